"""The DingTalk custom group robot (自定义机器人, 加签): text / markdown pushes to its 推送地址."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any
from urllib.parse import parse_qs, quote_plus, urlsplit

import aiohttp

from bot.platforms.base import Outgoing, SendResult, classify_errcode, post_json
from bot.platforms.dingtalk.signing import sign
from bot.platforms.split import DINGTALK_BYTES, split_text

log = logging.getLogger(__name__)

# Said in a DingTalk group instead of @-mentioning guardians who have no account by phone.
UNBOUND_GUARDIANS = "(未绑定托管助手的家长请留意本群消息)"


class DingtalkRobot:
    THROTTLED = frozenset({410100, 130101})
    BROKEN = frozenset({300001})  # robot or its token gone
    CONFIG = frozenset({310000})  # security setting check failed (加签, 关键词, IP): not a removed robot
    QUOTA = frozenset({90020})  # the organisation's monthly API quota
    backoff_seconds = 600  # DingTalk throttles a robot for 10 minutes

    def __init__(self, http: aiohttp.ClientSession, api_base: str, timeout: float = 10.0) -> None:
        self.http, self.api_base, self.timeout = http, api_base.rstrip("/"), timeout

    @staticmethod
    def identity(webhook: str) -> str:
        """The robot a push address names (its access_token), given bare or as a URL."""
        if webhook.startswith("http"):
            values = parse_qs(urlsplit(webhook).query).get("access_token")
            if values:
                return f"dingtalk:{values[0]}"
        return f"dingtalk:{webhook}"

    def url(self, webhook: str, secret: str, now: datetime) -> str:
        base = (
            webhook
            if webhook.startswith("http")
            else f"{self.api_base}/robot/send?access_token={quote_plus(webhook)}"
        )
        if not secret:
            return base
        timestamp = str(int(now.timestamp() * 1000))
        return f"{base}&timestamp={timestamp}&sign={quote_plus(sign(timestamp, secret))}"

    def bodies(self, msg: Outgoing) -> list[dict[str, Any]]:
        if msg.image is not None:
            log.info("push %s: DingTalk custom robots take no images; image dropped, text sent", msg.key)
        parts = split_text(msg.text, DINGTALK_BYTES)
        bodies = []
        for index, part in enumerate(parts):
            uuid = msg.key if len(parts) == 1 else f"{msg.key}#{index + 1}"
            if msg.markdown:
                title = part.split("\n", 1)[0][:30] or "托管助手"
                bodies.append(
                    {"msgtype": "markdown", "markdown": {"title": title, "text": part}, "msgUuid": uuid}
                )
                continue
            body: dict[str, Any] = {"msgtype": "text", "text": {"content": part}, "msgUuid": uuid}
            if index == 0 and (msg.mention_user_ids or msg.mention_phones):
                body["text"]["content"] = self._mentioned(part, msg)
                if msg.mention_user_ids:
                    body["at"] = {"atUserIds": list(msg.mention_user_ids)}
            bodies.append(body)
        return bodies

    @staticmethod
    def _mentioned(part: str, msg: Outgoing) -> str:
        """The @ must appear in the content for DingTalk to highlight it, so guardians without an account are
        not @-mentioned by phone (the whole group would read the number): one neutral line asks them to look."""
        tags = " ".join(f"@{m}" for m in msg.mention_user_ids if f"@{m}" not in part)
        text = f"{part} {tags}".strip()
        return f"{text}\n{UNBOUND_GUARDIANS}" if msg.mention_phones else text

    async def send_body(
        self, webhook: str, secret: str, body: dict[str, Any], key: str, now: datetime
    ) -> SendResult:
        try:
            status, data = await post_json(self.http, self.url(webhook, secret, now), body, self.timeout)
        except (aiohttp.ClientError, TimeoutError) as exc:
            return SendResult("retry", type(exc).__name__)
        return classify_errcode(status, data, self.THROTTLED, self.BROKEN, self.CONFIG, self.QUOTA)
