"""WeCom self-built app (应用消息): one-to-one pushes with a cached access token."""

from __future__ import annotations

import json
import logging
from datetime import timedelta
from typing import Any

import aiohttp

from bot.clock import Clock
from bot.platforms.apps import AppMessenger, TokenError
from bot.platforms.base import Outgoing, SendResult, call_json, image_form
from bot.platforms.split import WECOM_TEXT_BYTES, split_text
from bot.settings import WecomSettings

log = logging.getLogger(__name__)

# WeCom app messages to one member: at most 30 a minute (the outbox's 20-per-minute window stays under it) and
# 1,000 an hour (this cap), else WeCom drops them without an error.
PER_HOUR = 990


class WecomApp(AppMessenger):
    """WeCom self-built app: gettoken, message/send (text, markdown, image after media/upload)."""

    platform = "wecom"
    per_hour = PER_HOUR
    TOKEN_CODES = frozenset({40014, 42001})
    THROTTLED = frozenset({45009})

    def __init__(self, http: aiohttp.ClientSession, clock: Clock, settings: WecomSettings) -> None:
        super().__init__(http, clock)
        self.settings, self.base = settings, settings.api_base.rstrip("/")
        # WeCom drops a resend of the same request body inside this window: a crashed send is safe to
        # repeat within it (the worker checks the age of an unrecorded send against it).
        self.dedupe = timedelta(seconds=settings.duplicate_check_seconds)

    async def _fetch_token(self) -> tuple[str, int]:
        params = {"corpid": self.settings.corp_id, "corpsecret": self.settings.corp_secret.get_secret_value()}
        status, data = await call_json(
            self.http, "GET", f"{self.base}/cgi-bin/gettoken", self.timeout, params=params
        )
        if status != 200 or not isinstance(data, dict):
            raise TokenError(SendResult("retry", f"http {status}", "gettoken"))
        if data.get("errcode", 0) != 0 or not data.get("access_token"):
            log.error("WeCom gettoken refused (%s): check wecom.corp_id / corp_secret", data.get("errcode"))
            raise TokenError(SendResult("failed", str(data.get("errcode")), "gettoken refused"))
        return str(data["access_token"]), int(data.get("expires_in", 7200))

    def bodies(self, user_id: str, msg: Outgoing) -> list[dict[str, Any]]:
        kind = "markdown" if msg.markdown else "text"
        bodies: list[dict[str, Any]] = [
            {"msgtype": kind, kind: {"content": part}} for part in split_text(msg.text, WECOM_TEXT_BYTES)
        ]
        if msg.image is not None:
            bodies.append({"msgtype": "image", "image": msg.image})  # uploaded just before it is sent
        base = {
            "touser": user_id,
            "agentid": self.settings.agent_id,
            "enable_duplicate_check": 1,
            "duplicate_check_interval": self.settings.duplicate_check_seconds,
        }
        return [{**base, **body} for body in bodies]

    async def _send_body(self, token: str, body: dict[str, Any]) -> SendResult:
        if body["msgtype"] == "image" and isinstance(body["image"], bytes):
            uploaded = await self._upload(token, body["image"])
            if isinstance(uploaded, SendResult):
                return uploaded
            body = {**body, "image": {"media_id": uploaded}}
        url = f"{self.base}/cgi-bin/message/send"
        status, data = await call_json(
            self.http,
            "POST",
            url,
            self.timeout,
            params={"access_token": token},
            data=json.dumps(body, ensure_ascii=False).encode(),
            headers={"Content-Type": "application/json"},
        )
        return self._classify(status, data)

    async def _upload(self, token: str, image: bytes) -> str | SendResult:
        form = image_form(image)
        status, data = await call_json(
            self.http,
            "POST",
            f"{self.base}/cgi-bin/media/upload",
            self.timeout,
            params={"access_token": token, "type": "image"},
            data=form,
        )
        result = self._classify(status, data)
        if result.outcome != "ok":
            return result
        return str(data.get("media_id", ""))

    def _classify(self, status: int, data: Any) -> SendResult:
        if status != 200 or not isinstance(data, dict) or "errcode" not in data:
            return SendResult("retry", f"http {status}" if status != 200 else "bad answer")
        code = data["errcode"]
        if code == 0:
            return SendResult("ok", "0")
        detail = str(data.get("errmsg", ""))[:100]
        if code in self.TOKEN_CODES:
            return SendResult("token", str(code), detail)
        if code in self.THROTTLED:
            return SendResult("throttled", str(code), detail)
        if code == 60020:  # the sending IP is not among the app's 企业可信IP
            return SendResult("config", "60020", detail)
        if code == -1:
            return SendResult("retry", "-1", "busy")
        return SendResult("failed", str(code), detail)
