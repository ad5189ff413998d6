"""DingTalk app robot, one-to-one (单聊): oToMessages/batchSend with a cached access token; images via oapi."""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

import aiohttp

from bot.clock import Clock
from bot.platforms.apps import AppMessenger, Token, TokenError
from bot.platforms.base import Outgoing, SendResult, call_json, image_form
from bot.platforms.split import DINGTALK_BYTES, split_text
from bot.settings import DingtalkSettings

log = logging.getLogger(__name__)

# The organisation's monthly API quota is spent: sending pauses, the admins are told.
QUOTA_CODES = frozenset({"90020", "Forbidden.AccessDenied.ApiCountLimitForOrg"})


def classify(status: int, data: Any) -> SendResult:
    """An OpenAPI answer: ok with a processQueryKey; a quota, a token or a throttle; else retry or failed."""
    data = data if isinstance(data, dict) else {}
    code = str(data.get("code", ""))
    detail = str(data.get("message", ""))[:100]
    if code in QUOTA_CODES:
        return SendResult("quota", code, detail)
    if status == 401 or code == "InvalidAuthentication":
        return SendResult("token", code or "401", detail)
    if status == 429 or "QpsLimit" in code or data.get("flowControlledStaffIdList"):
        return SendResult("throttled", code or str(status), "flow controlled")
    if status >= 500:
        return SendResult("retry", f"http {status}")
    if status != 200:
        return SendResult("failed", code or str(status), detail)
    if not data.get("processQueryKey"):
        return SendResult("retry", "bad answer")
    return SendResult("ok", "0")


def message_param(part: str, markdown: bool) -> tuple[str, dict[str, str]]:
    """A robot message's msgKey and msgParam for one part (one-to-one and group alike)."""
    if markdown:
        return "sampleMarkdown", {"title": part.split("\n", 1)[0][:30] or "托管助手", "text": part}
    return "sampleText", {"content": part}


class DingtalkApp(AppMessenger):
    """DingTalk app robot: POST /v1.0/oauth2/accessToken, then /v1.0/robot/oToMessages/batchSend.

    An image is uploaded first (oapi `media/upload`, which takes the app's oapi access_token from
    `gettoken`) and sent as `sampleImageMsg` whose `photoURL` is the returned media_id, after the text.
    """

    platform = "dingtalk"  # batchSend has no idempotency key (dedupe 0): a cut-off send is never repeated
    # A refused access_token on the oapi host: 40014 invalid, 42001 expired (the legacy global codes), 88
    # 鉴权异常 (often a bad token, else a missing permission): fetched again once, then the upload fails.
    OAPI_TOKEN_CODES = frozenset({40014, 42001, 88})

    def __init__(self, http: aiohttp.ClientSession, clock: Clock, settings: DingtalkSettings) -> None:
        super().__init__(http, clock)
        self.settings, self.base = settings, settings.openapi_base.rstrip("/")
        self.oapi = settings.api_base.rstrip("/")
        self.oapi_token = Token()
        self._oapi_lock = asyncio.Lock()

    async def _fetch_token(self) -> tuple[str, int]:
        body = {"appKey": self.settings.app_key, "appSecret": self.settings.app_secret.get_secret_value()}
        status, data = await call_json(
            self.http, "POST", f"{self.base}/v1.0/oauth2/accessToken", self.timeout, json=body
        )
        if status >= 500 or status == 429:
            raise TokenError(SendResult("retry", f"http {status}", "accessToken"))
        if status != 200 or not isinstance(data, dict) or not data.get("accessToken"):
            code = str(data.get("code", status)) if isinstance(data, dict) else str(status)
            log.error("DingTalk accessToken refused (%s): check dingtalk.app_key / app_secret", code)
            raise TokenError(SendResult("failed", code, "accessToken refused"))
        return str(data["accessToken"]), int(data.get("expireIn", 7200))

    async def _fetch_oapi_token(self) -> tuple[str, int]:
        params = {"appkey": self.settings.app_key, "appsecret": self.settings.app_secret.get_secret_value()}
        status, data = await call_json(self.http, "GET", f"{self.oapi}/gettoken", self.timeout, params=params)
        if status != 200 or not isinstance(data, dict):
            raise TokenError(SendResult("retry", f"http {status}", "gettoken"))
        if data.get("errcode", 0) != 0 or not data.get("access_token"):
            log.error(
                "DingTalk gettoken refused (%s): check dingtalk.app_key / app_secret", data.get("errcode")
            )
            raise TokenError(SendResult("failed", str(data.get("errcode")), "gettoken refused"))
        return str(data["access_token"]), int(data.get("expires_in", 7200))

    async def media_token(self, stale: str = "") -> str:
        async with self._oapi_lock:
            if self.oapi_token.fresh(self.clock.now()) and self.oapi_token.value != stale:
                return self.oapi_token.value
            self.token_fetches += 1
            self.oapi_token = await self._fresh_token(self._fetch_oapi_token)
            return self.oapi_token.value

    def bodies(self, user_id: str, msg: Outgoing) -> list[dict[str, Any]]:
        bodies: list[dict[str, Any]] = []
        for part in split_text(msg.text, DINGTALK_BYTES):
            key, param = message_param(part, msg.markdown)
            bodies.append({"msgKey": key, "msgParam": json.dumps(param, ensure_ascii=False)})
        if msg.image is not None:
            bodies.append({"msgKey": "sampleImageMsg", "image": msg.image})  # uploaded just before it is sent
        return [{"robotCode": self.settings.robot, "userIds": [user_id], **body} for body in bodies]

    async def _send_body(self, token: str, body: dict[str, Any]) -> SendResult:
        if isinstance(body.get("image"), bytes):
            uploaded = await self._upload(body["image"])
            if isinstance(uploaded, SendResult):
                return uploaded
            body = {k: v for k, v in body.items() if k != "image"} | {
                "msgParam": json.dumps({"photoURL": uploaded})
            }
        status, data = await call_json(
            self.http,
            "POST",
            f"{self.base}/v1.0/robot/oToMessages/batchSend",
            self.timeout,
            json=body,
            headers={"x-acs-dingtalk-access-token": token},
        )
        result = classify(status, data)
        if (
            result.outcome in ("ok", "retry")
            and status == 200
            and isinstance(data, dict)
            and data.get("invalidStaffIdList")
        ):
            return SendResult("failed", "invalidStaffId", "user not in the organisation")
        return result

    async def _upload(self, image: bytes) -> str | SendResult:
        """The image's media_id from oapi media/upload (a refused oapi token is fetched again once)."""
        token = await self.media_token()
        result, media_id = await self._upload_once(token, image)
        if result.outcome == "token":
            log.info("DingTalk oapi token refused (%s): fetching a new one", result.code)
            result, media_id = await self._upload_once(await self.media_token(stale=token), image)
            if result.outcome == "token":
                return SendResult("failed", result.code, "oapi token refused twice")
        return media_id if result.outcome == "ok" else result

    async def _upload_once(self, token: str, image: bytes) -> tuple[SendResult, str]:
        form = image_form(image, type="image")
        status, data = await call_json(
            self.http,
            "POST",
            f"{self.oapi}/media/upload",
            self.timeout,
            params={"access_token": token, "type": "image"},
            data=form,
        )
        if status >= 500 or status == 429 or not isinstance(data, dict) or "errcode" not in data:
            return SendResult(
                "retry", f"http {status}" if status != 200 else "bad answer", "media/upload"
            ), ""
        code = data["errcode"]
        if code == 0 and data.get("media_id"):
            return SendResult("ok", "0"), str(data["media_id"])
        detail = str(data.get("errmsg", ""))[:100]
        if code in self.OAPI_TOKEN_CODES:
            return SendResult("token", str(code), detail), ""
        if code == -1:
            return SendResult("retry", "-1", "busy"), ""
        return SendResult("failed", str(code), detail or "no media_id"), ""
