"""The WeCom group webhook robot (群机器人): text / markdown / image pushes to its 推送地址."""

from __future__ import annotations

import base64
import hashlib
from datetime import datetime
from typing import Any
from urllib.parse import parse_qs, quote_plus, urlsplit

import aiohttp

from bot.platforms.base import Outgoing, SendResult, classify_errcode, post_json
from bot.platforms.split import WECOM_MARKDOWN_BYTES, WECOM_TEXT_BYTES, split_text


def image_body(image: bytes) -> dict[str, Any]:
    """A WeCom robot image message: the bytes as base64 plus their md5 (hex)."""
    return {
        "msgtype": "image",
        "image": {"base64": base64.b64encode(image).decode(), "md5": hashlib.md5(image).hexdigest()},
    }


class WecomRobot:
    THROTTLED = frozenset({45009})
    BROKEN = frozenset({93000})
    backoff_seconds = 60

    def __init__(self, http: aiohttp.ClientSession, api_base: str, timeout: float = 10.0) -> None:
        self.http, self.api_base, self.timeout = http, api_base.rstrip("/"), timeout

    @staticmethod
    def identity(webhook: str) -> str:
        """The robot a push address names (its webhook key), given bare or as a URL."""
        if webhook.startswith("http"):
            values = parse_qs(urlsplit(webhook).query).get("key")
            if values:
                return f"wecom:{values[0]}"
        return f"wecom:{webhook}"

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
            return [
                {"msgtype": "markdown", "markdown": {"content": p}}
                for p in split_text(msg.text, WECOM_MARKDOWN_BYTES)
            ]
        bodies = []
        for index, part in enumerate(split_text(msg.text, WECOM_TEXT_BYTES)):
            text: dict[str, Any] = {"content": part}
            if index == 0 and msg.mention_user_ids:
                text["mentioned_list"] = list(msg.mention_user_ids)
            if index == 0 and msg.mention_phones:
                text["mentioned_mobile_list"] = list(msg.mention_phones)
            bodies.append({"msgtype": "text", "text": text})
        return bodies

    async def send_body(
        self, webhook: str, secret: str, body: dict[str, Any], key: str, now: datetime
    ) -> SendResult:
        try:
            status, data = await post_json(self.http, self.url(webhook), body, self.timeout)
        except (aiohttp.ClientError, TimeoutError) as exc:
            return SendResult("retry", type(exc).__name__)
        return classify_errcode(status, data, self.THROTTLED, self.BROKEN)
