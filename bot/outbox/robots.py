"""Group robots that push into a chat: WeCom webhook robot and DingTalk custom robot (加签)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import io
import json
import logging
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, Protocol
from urllib.parse import parse_qs, quote_plus, urlsplit

import aiohttp

from bot.domain.privacy import mask_phones
from bot.outbox.split import DINGTALK_BYTES, WECOM_MARKDOWN_BYTES, WECOM_TEXT_BYTES, split_text

log = logging.getLogger(__name__)

# Said in a DingTalk group instead of @-mentioning guardians who have no account by phone.
UNBOUND_GUARDIANS = "(未绑定托管助手的家长请留意本群消息)"


@dataclass(frozen=True)
class SendResult:
    # ok | retry | throttled | broken (robot gone) | config (a setting to fix, told to the admins) |
    # quota (the organisation's API quota: sending pauses) | unsure (cut off mid-send) |
    # away (a long connection down or held by another instance: nothing sent) | failed
    outcome: str
    code: str
    detail: str = ""


@dataclass(frozen=True)
class Outgoing:
    key: str
    text: str
    mention_user_ids: tuple[str, ...] = ()
    mention_phones: tuple[str, ...] = ()
    markdown: bool = False
    image: bytes | None = None


class MakesBodies(Protocol):
    """A group sender (custom robot, long connection, app robot): the bodies one push becomes."""

    def bodies(self, msg: Outgoing) -> list[dict[str, Any]]: ...


def group_safe_bodies(robot: MakesBodies, msg: Outgoing) -> list[dict[str, Any]]:
    """The bodies of a group push, with any phone number in the text the group will read masked and logged.

    Masked before the text is split (a part stays within the byte limit) and again in what the robot
    rendered. Mention fields outside the text (WeCom's mentioned_mobile_list) are not shown and are kept.
    """
    text, masked = mask_phones(msg.text)
    bodies = robot.bodies(replace(msg, text=text))
    for body in bodies:
        for field in ("text", "markdown"):
            section = body.get(field)
            if not isinstance(section, dict):
                continue
            for name in ("content", "text", "title"):
                if isinstance(section.get(name), str):
                    section[name], found = mask_phones(section[name])
                    masked += found
    if masked:
        log.error("push %s: %s phone number(s) in group text masked before sending", msg.key, masked)
    return bodies


def robot_identity(platform: str, webhook: str) -> str:
    """The robot a push address names (WeCom webhook key, DingTalk access_token), given bare or as a URL."""
    if webhook.startswith("http"):
        values = parse_qs(urlsplit(webhook).query).get("key" if platform == "wecom" else "access_token")
        if values:
            return f"{platform}:{values[0]}"
    return f"{platform}:{webhook}"


def image_body(image: bytes) -> dict[str, Any]:
    """A WeCom robot image message: the bytes as base64 plus their md5 (hex)."""
    return {"msgtype": "image",
            "image": {"base64": base64.b64encode(image).decode(), "md5": hashlib.md5(image).hexdigest()}}


async def _post(http: aiohttp.ClientSession, url: str, body: dict[str, Any], limit: float) -> tuple[int, Any]:
    # A BytesIO body: an image message runs to ~2.7 MB, which aiohttp would not stream from raw bytes.
    async with http.post(url, data=io.BytesIO(json.dumps(body, ensure_ascii=False).encode()),
                         headers={"Content-Type": "application/json"},
                         timeout=aiohttp.ClientTimeout(total=limit)) as resp:
        if resp.status != 200:
            return resp.status, None
        try:
            return 200, await resp.json(content_type=None)
        except (ValueError, aiohttp.ContentTypeError):
            return 200, None


def _classify(status: int, data: Any, throttled: frozenset[int], broken: frozenset[int],
              config: frozenset[int] = frozenset(), quota: frozenset[int] = frozenset()) -> SendResult:
    if status != 200:
        return SendResult("retry", f"http {status}")
    if not isinstance(data, dict) or "errcode" not in data:
        return SendResult("retry", "bad answer")
    code = data.get("errcode")
    if code == 0:
        return SendResult("ok", "0")
    if code in throttled:
        return SendResult("throttled", str(code), str(data.get("errmsg", ""))[:100])
    if code in broken:
        return SendResult("broken", str(code), str(data.get("errmsg", ""))[:100])
    if code in config:
        return SendResult("config", str(code), str(data.get("errmsg", ""))[:100])
    if code in quota:
        return SendResult("quota", str(code), str(data.get("errmsg", ""))[:100])
    if code == -1:
        return SendResult("retry", "-1", "busy")
    return SendResult("failed", str(code), str(data.get("errmsg", ""))[:100])


class WecomRobot:
    THROTTLED = frozenset({45009})
    BROKEN = frozenset({93000})
    backoff_seconds = 60

    def __init__(self, http: aiohttp.ClientSession, api_base: str, timeout: float = 10.0) -> None:
        self.http, self.api_base, self.timeout = http, api_base.rstrip("/"), timeout

    def url(self, webhook: str) -> str:
        if webhook.startswith("http"):
            return webhook
        return f"{self.api_base}/cgi-bin/webhook/send?key={quote_plus(webhook)}"

    def bodies(self, msg: Outgoing) -> list[dict[str, Any]]:
        bodies = self._text_bodies(msg)
        if msg.image is not None:
            bodies.append(image_body(msg.image))
        return bodies

    def _text_bodies(self, msg: Outgoing) -> list[dict[str, Any]]:
        if msg.markdown:
            return [{"msgtype": "markdown", "markdown": {"content": p}} for p in split_text(msg.text, WECOM_MARKDOWN_BYTES)]
        bodies = []
        for index, part in enumerate(split_text(msg.text, WECOM_TEXT_BYTES)):
            text: dict[str, Any] = {"content": part}
            if index == 0 and msg.mention_user_ids:
                text["mentioned_list"] = list(msg.mention_user_ids)
            if index == 0 and msg.mention_phones:
                text["mentioned_mobile_list"] = list(msg.mention_phones)
            bodies.append({"msgtype": "text", "text": text})
        return bodies

    async def send_body(self, webhook: str, secret: str, body: dict[str, Any], key: str, now: datetime) -> SendResult:
        try:
            status, data = await _post(self.http, self.url(webhook), body, self.timeout)
        except (aiohttp.ClientError, TimeoutError) as exc:
            return SendResult("retry", type(exc).__name__)
        return _classify(status, data, self.THROTTLED, self.BROKEN)


class DingtalkRobot:
    THROTTLED = frozenset({410100, 130101})
    BROKEN = frozenset({300001})  # robot or its token gone
    CONFIG = frozenset({310000})  # security setting check failed (加签, 关键词, IP): not a removed robot
    QUOTA = frozenset({90020})  # the organisation's monthly API quota
    backoff_seconds = 600  # DingTalk throttles a robot for 10 minutes

    def __init__(self, http: aiohttp.ClientSession, api_base: str, timeout: float = 10.0) -> None:
        self.http, self.api_base, self.timeout = http, api_base.rstrip("/"), timeout

    def url(self, webhook: str, secret: str, now: datetime) -> str:
        base = webhook if webhook.startswith("http") else f"{self.api_base}/robot/send?access_token={quote_plus(webhook)}"
        if not secret:
            return base
        timestamp = str(int(now.timestamp() * 1000))
        digest = hmac.new(secret.encode(), f"{timestamp}\n{secret}".encode(), hashlib.sha256).digest()
        return f"{base}&timestamp={timestamp}&sign={quote_plus(base64.b64encode(digest).decode())}"

    def bodies(self, msg: Outgoing) -> list[dict[str, Any]]:
        if msg.image is not None:
            log.info("push %s: DingTalk custom robots take no images; image dropped, text sent", msg.key)
        parts = split_text(msg.text, DINGTALK_BYTES)
        bodies = []
        for index, part in enumerate(parts):
            uuid = msg.key if len(parts) == 1 else f"{msg.key}#{index + 1}"
            if msg.markdown:
                title = part.split("\n", 1)[0][:30] or "托管助手"
                bodies.append({"msgtype": "markdown", "markdown": {"title": title, "text": part}, "msgUuid": uuid})
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

    async def send_body(self, webhook: str, secret: str, body: dict[str, Any], key: str, now: datetime) -> SendResult:
        try:
            status, data = await _post(self.http, self.url(webhook, secret, now), body, self.timeout)
        except (aiohttp.ClientError, TimeoutError) as exc:
            return SendResult("retry", type(exc).__name__)
        return _classify(status, data, self.THROTTLED, self.BROKEN, self.CONFIG, self.QUOTA)
