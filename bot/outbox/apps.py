"""One-to-one pushes through the platforms' app APIs: WeCom 应用消息 and the DingTalk app robot (单聊).

Each keeps its access token (cached until shortly before it expires, fetched once under a lock) and,
when the platform says the token expired or is invalid, fetches a new one and retries once.
"""

from __future__ import annotations

import asyncio
import io
import json
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import aiohttp

from bot.clock import Clock
from bot.outbox.robots import Outgoing, SendResult
from bot.outbox.split import DINGTALK_BYTES, WECOM_TEXT_BYTES, split_text
from bot.settings import DingtalkSettings, WecomSettings

log = logging.getLogger(__name__)

EARLY = timedelta(minutes=5)  # refresh a token this long before the platform's expiry


class TokenError(Exception):
    """The platform refused the app's credentials (or never answered with a token)."""

    def __init__(self, result: SendResult) -> None:
        super().__init__(result.code)
        self.result = result


@dataclass
class Token:
    value: str = ""
    expires: datetime | None = None

    def fresh(self, now: datetime) -> bool:
        return bool(self.value) and self.expires is not None and now < self.expires - EARLY


async def _call(http: aiohttp.ClientSession, method: str, url: str, limit: float, **kwargs: Any) -> tuple[int, Any]:
    async with http.request(method, url, timeout=aiohttp.ClientTimeout(total=limit), **kwargs) as resp:
        try:
            return resp.status, await resp.json(content_type=None)
        except (ValueError, aiohttp.ContentTypeError):
            return resp.status, None


class AppMessenger:
    """Shared token handling; subclasses fetch tokens and send one message part to one user."""

    platform = ""
    backoff_seconds = 60  # after the platform's frequency limit
    dedupe = timedelta(0)  # how long the platform drops an identical resend (0: it does not)

    def __init__(self, http: aiohttp.ClientSession, clock: Clock, timeout: float = 10.0) -> None:
        self.http, self.clock, self.timeout = http, clock, timeout
        self.token = Token()
        self.token_fetches = 0
        self._lock = asyncio.Lock()

    async def access_token(self, stale: str = "") -> str:
        async with self._lock:
            if self.token.fresh(self.clock.now()) and self.token.value != stale:
                return self.token.value
            self.token_fetches += 1
            self.token = await self._fresh_token(self._fetch_token)
            return self.token.value

    async def _fresh_token(self, fetch: Callable[[], Awaitable[tuple[str, int]]]) -> Token:
        try:
            value, seconds = await fetch()
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise TokenError(SendResult("retry", type(exc).__name__, "token")) from None
        return Token(value, self.clock.now() + timedelta(seconds=seconds))

    async def send(self, user_id: str, msg: Outgoing, done: int = 0,
                   on_part: Callable[[int], Awaitable[None]] | None = None) -> SendResult:
        """The parts of the message not yet `done` to one user, in order; the first that fails decides.

        `on_part(n)` is awaited once n parts have gone through, so a retry resumes after them and
        never shows a part twice (a text that went before its image failed, say).
        """
        result = SendResult("ok", "0")
        for index, body in enumerate(self.bodies(user_id, msg)[done:], start=done + 1):
            result = await self._send_refreshing(body)
            if result.outcome != "ok":
                break
            if on_part is not None:
                await on_part(index)
        return result

    async def _send_refreshing(self, body: dict[str, Any]) -> SendResult:
        try:
            token = await self.access_token()
            result = await self._send_guarded(token, body)
            if result.outcome == "token":  # expired or revoked early: a new token, one more try
                log.info("%s app token refused (%s): fetching a new one", self.platform, result.code)
                result = await self._send_guarded(await self.access_token(stale=token), body)
        except TokenError as exc:
            return exc.result
        if result.outcome == "token":
            return SendResult("failed", result.code, "token refused twice")
        return result

    async def _send_guarded(self, token: str, body: dict[str, Any]) -> SendResult:
        try:
            return await self._send_body(token, body)
        except (aiohttp.ClientError, TimeoutError) as exc:
            return SendResult("retry", type(exc).__name__)

    def bodies(self, user_id: str, msg: Outgoing) -> list[dict[str, Any]]:
        raise NotImplementedError

    async def _fetch_token(self) -> tuple[str, int]:
        raise NotImplementedError

    async def _send_body(self, token: str, body: dict[str, Any]) -> SendResult:
        raise NotImplementedError


class WecomApp(AppMessenger):
    """WeCom self-built app: gettoken, message/send (text, markdown, image after media/upload)."""

    platform = "wecom"
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
        status, data = await _call(self.http, "GET", f"{self.base}/cgi-bin/gettoken", self.timeout, params=params)
        if status != 200 or not isinstance(data, dict):
            raise TokenError(SendResult("retry", f"http {status}", "gettoken"))
        if data.get("errcode", 0) != 0 or not data.get("access_token"):
            log.error("WeCom gettoken refused (%s): check wecom.corp_id / corp_secret", data.get("errcode"))
            raise TokenError(SendResult("failed", str(data.get("errcode")), "gettoken refused"))
        return str(data["access_token"]), int(data.get("expires_in", 7200))

    def bodies(self, user_id: str, msg: Outgoing) -> list[dict[str, Any]]:
        kind = "markdown" if msg.markdown else "text"
        bodies: list[dict[str, Any]] = [{"msgtype": kind, kind: {"content": part}}
                                        for part in split_text(msg.text, WECOM_TEXT_BYTES)]
        if msg.image is not None:
            bodies.append({"msgtype": "image", "image": msg.image})  # uploaded just before it is sent
        base = {"touser": user_id, "agentid": self.settings.agent_id, "enable_duplicate_check": 1,
                "duplicate_check_interval": self.settings.duplicate_check_seconds}
        return [{**base, **body} for body in bodies]

    async def _send_body(self, token: str, body: dict[str, Any]) -> SendResult:
        if body["msgtype"] == "image" and isinstance(body["image"], bytes):
            uploaded = await self._upload(token, body["image"])
            if isinstance(uploaded, SendResult):
                return uploaded
            body = {**body, "image": {"media_id": uploaded}}
        url = f"{self.base}/cgi-bin/message/send"
        status, data = await _call(self.http, "POST", url, self.timeout, params={"access_token": token},
                                   data=json.dumps(body, ensure_ascii=False).encode(),
                                   headers={"Content-Type": "application/json"})
        return self._classify(status, data)

    async def _upload(self, token: str, image: bytes) -> str | SendResult:
        form = aiohttp.FormData()
        name, kind = ("chart.png", "image/png") if image.startswith(b"\x89PNG") else ("chart.jpg", "image/jpeg")
        form.add_field("media", io.BytesIO(image), filename=name, content_type=kind)
        status, data = await _call(self.http, "POST", f"{self.base}/cgi-bin/media/upload", self.timeout,
                                   params={"access_token": token, "type": "image"}, data=form)
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
        status, data = await _call(self.http, "POST", f"{self.base}/v1.0/oauth2/accessToken", self.timeout, json=body)
        if status >= 500 or status == 429:
            raise TokenError(SendResult("retry", f"http {status}", "accessToken"))
        if status != 200 or not isinstance(data, dict) or not data.get("accessToken"):
            code = str(data.get("code", status)) if isinstance(data, dict) else str(status)
            log.error("DingTalk accessToken refused (%s): check dingtalk.app_key / app_secret", code)
            raise TokenError(SendResult("failed", code, "accessToken refused"))
        return str(data["accessToken"]), int(data.get("expireIn", 7200))

    async def _fetch_oapi_token(self) -> tuple[str, int]:
        params = {"appkey": self.settings.app_key, "appsecret": self.settings.app_secret.get_secret_value()}
        status, data = await _call(self.http, "GET", f"{self.oapi}/gettoken", self.timeout, params=params)
        if status != 200 or not isinstance(data, dict):
            raise TokenError(SendResult("retry", f"http {status}", "gettoken"))
        if data.get("errcode", 0) != 0 or not data.get("access_token"):
            log.error("DingTalk gettoken refused (%s): check dingtalk.app_key / app_secret", data.get("errcode"))
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
            if msg.markdown:
                key, param = "sampleMarkdown", {"title": part.split("\n", 1)[0][:30] or "托管助手", "text": part}
            else:
                key, param = "sampleText", {"content": part}
            bodies.append({"msgKey": key, "msgParam": json.dumps(param, ensure_ascii=False)})
        if msg.image is not None:
            bodies.append({"msgKey": "sampleImageMsg", "image": msg.image})  # uploaded just before it is sent
        return [{"robotCode": self.settings.robot, "userIds": [user_id], **body} for body in bodies]

    async def _send_body(self, token: str, body: dict[str, Any]) -> SendResult:
        if isinstance(body.get("image"), bytes):
            uploaded = await self._upload(body["image"])
            if isinstance(uploaded, SendResult):
                return uploaded
            body = {k: v for k, v in body.items() if k != "image"} | {"msgParam": json.dumps({"photoURL": uploaded})}
        status, data = await _call(self.http, "POST", f"{self.base}/v1.0/robot/oToMessages/batchSend", self.timeout,
                                   json=body, headers={"x-acs-dingtalk-access-token": token})
        data = data if isinstance(data, dict) else {}
        code = str(data.get("code", ""))
        if code in ("90020", "Forbidden.AccessDenied.ApiCountLimitForOrg"):  # the org's monthly API quota
            return SendResult("quota", code, str(data.get("message", ""))[:100])
        if status == 401 or code == "InvalidAuthentication":
            return SendResult("token", code or "401", str(data.get("message", ""))[:100])
        if status == 429 or "QpsLimit" in code or data.get("flowControlledStaffIdList"):
            return SendResult("throttled", code or str(status), "flow controlled")
        if status >= 500:
            return SendResult("retry", f"http {status}")
        if status != 200:
            return SendResult("failed", code or str(status), str(data.get("message", ""))[:100])
        if data.get("invalidStaffIdList"):
            return SendResult("failed", "invalidStaffId", "user not in the organisation")
        if not data.get("processQueryKey"):
            return SendResult("retry", "bad answer")
        return SendResult("ok", "0")

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
        form = aiohttp.FormData()
        form.add_field("type", "image")
        name, kind = ("chart.png", "image/png") if image.startswith(b"\x89PNG") else ("chart.jpg", "image/jpeg")
        form.add_field("media", io.BytesIO(image), filename=name, content_type=kind)
        status, data = await _call(self.http, "POST", f"{self.oapi}/media/upload", self.timeout,
                                   params={"access_token": token, "type": "image"}, data=form)
        if status >= 500 or status == 429 or not isinstance(data, dict) or "errcode" not in data:
            return SendResult("retry", f"http {status}" if status != 200 else "bad answer", "media/upload"), ""
        code = data["errcode"]
        if code == 0 and data.get("media_id"):
            return SendResult("ok", "0"), str(data["media_id"])
        detail = str(data.get("errmsg", ""))[:100]
        if code in self.OAPI_TOKEN_CODES:
            return SendResult("token", str(code), detail), ""
        if code == -1:
            return SendResult("retry", "-1", "busy"), ""
        return SendResult("failed", str(code), detail or "no media_id"), ""
