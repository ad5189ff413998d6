"""Local fake app APIs for one-to-one pushes: WeCom 应用消息 (gettoken, message/send, media/upload) and the
DingTalk app robot (oauth2/accessToken, robot/oToMessages/batchSend; images via the oapi gettoken token,
media/upload and sampleImageMsg).

They issue tokens that expire on the test's clock (and can be revoked early), check the credentials,
the agentid / robotCode and the recipients, enforce a per-user frequency limit, apply WeCom's
duplicate check, and can be told to answer 5xx or to hang after taking a message (a crash mid-send).
"""

from __future__ import annotations

import asyncio
import hashlib
import itertools
import json
from collections import defaultdict, deque
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from aiohttp import web

from bot.clock import Clock

PER_MINUTE = 30  # WeCom: an app may send one member 30 messages a minute


@dataclass
class FakeApps:
    clock: Clock
    corp_id: str = "corp-1"
    corp_secret: str = "corp-SECRET"
    agent_id: int = 1000002
    wecom_users: set[str] = field(default_factory=set)
    app_key: str = "ding-app-key"
    app_secret: str = "ding-APP-secret"
    robot_code: str = "ding-app-key"
    dingtalk_users: set[str] = field(default_factory=set)
    # "wecom"/"dingtalk" -> ok | 5xx | hang ("wecom" also untrusted-ip: 60020); "dingtalk-upload" -> 5xx; "dingtalk-image" -> hang (an image send)
    modes: dict[str, str] = field(default_factory=dict)
    received: dict[str, list[dict[str, Any]]] = field(
        default_factory=lambda: defaultdict(list)
    )  # user -> msgs
    token_calls: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    refused: list[str] = field(default_factory=list)  # error codes answered, in order
    media: dict[str, bytes] = field(default_factory=dict)
    _tokens: dict[str, datetime] = field(default_factory=dict)  # token -> expiry
    _window: dict[str, deque[datetime]] = field(default_factory=lambda: defaultdict(deque))
    _recent: dict[str, datetime] = field(default_factory=dict)  # WeCom duplicate check: body -> sent at
    _ids: itertools.count[int] = field(default_factory=itertools.count)

    def revoke_tokens(self) -> None:
        """Every token issued so far stops working now (as after a secret reset)."""
        for token in self._tokens:
            self._tokens[token] = self.clock.now() - timedelta(seconds=1)

    def _issue(self, prefix: str) -> str:
        token = f"{prefix}-{next(self._ids)}"
        self._tokens[token] = self.clock.now() + timedelta(seconds=7200)
        return token

    def _token_state(self, token: str) -> str:
        if token not in self._tokens:
            return "invalid"
        return "expired" if self.clock.now() >= self._tokens[token] else "ok"

    def _over_limit(self, user: str, limit: int = PER_MINUTE) -> bool:
        now, window = self.clock.now(), self._window[user]
        while window and now - window[0] >= timedelta(seconds=60):
            window.popleft()
        if len(window) >= limit:
            return True
        window.append(now)
        return False

    def fill_quota(self, user: str) -> None:
        self._window[user].extend([self.clock.now()] * PER_MINUTE)

    async def _misbehave(self, platform: str) -> web.Response | None:
        if self.modes.get(platform) == "5xx":
            return web.Response(status=502, text="bad gateway")
        return None

    async def _hang_after_taking(self, platform: str) -> None:
        if self.modes.get(platform) == "hang":
            await asyncio.sleep(30)

    def _wecom_error(self, code: int, message: str) -> web.Response:
        self.refused.append(str(code))
        return web.json_response({"errcode": code, "errmsg": message})

    async def wecom_gettoken(self, request: web.Request) -> web.Response:
        self.token_calls["wecom"] += 1
        if request.query.get("corpid") != self.corp_id:
            return self._wecom_error(40013, "invalid corpid")
        if request.query.get("corpsecret") != self.corp_secret:
            return self._wecom_error(40001, "invalid credential")
        return web.json_response(
            {"errcode": 0, "errmsg": "ok", "access_token": self._issue("wt"), "expires_in": 7200}
        )

    def _wecom_token_refusal(self, request: web.Request) -> web.Response | None:
        state = self._token_state(request.query.get("access_token", ""))
        if state == "invalid":
            return self._wecom_error(40014, "invalid access_token")
        if state == "expired":
            return self._wecom_error(42001, "access_token expired")
        return None

    async def wecom_send(self, request: web.Request) -> web.Response:
        if (bad := await self._misbehave("wecom")) is not None:
            return bad
        if self.modes.get("wecom") == "untrusted-ip":
            self.refused.append("60020")
            return web.json_response({"errcode": 60020, "errmsg": "not allow to access from your ip"})
        if (refused := self._wecom_token_refusal(request)) is not None:
            return refused
        body = await request.json()
        if body.get("agentid") != self.agent_id:
            return self._wecom_error(40056, "invalid agentid")
        user = body.get("touser", "")
        if user not in self.wecom_users:
            return self._wecom_error(81013, "user & party & tag all invalid")
        kind = body.get("msgtype")
        if kind == "image" and body["image"].get("media_id") not in self.media:
            return self._wecom_error(40007, "invalid media_id")
        if kind in ("text", "markdown") and len(body[kind]["content"].encode()) > 2048:
            return self._wecom_error(44004, "content exceed max length")
        if self._over_limit(user):
            return self._wecom_error(45009, "api freq out of limit")
        fingerprint = json.dumps(body, sort_keys=True, ensure_ascii=False)
        seen = self._recent.get(fingerprint)
        window = timedelta(seconds=int(body.get("duplicate_check_interval", 1800)))
        if body.get("enable_duplicate_check") == 1 and seen is not None and self.clock.now() - seen < window:
            return web.json_response(
                {"errcode": 0, "errmsg": "ok", "msgid": "dup"}
            )  # dropped, not shown again
        self._recent[fingerprint] = self.clock.now()
        self.received[user].append(body)
        await self._hang_after_taking("wecom")
        return web.json_response({"errcode": 0, "errmsg": "ok", "msgid": f"m{len(self.received[user])}"})

    async def wecom_upload(self, request: web.Request) -> web.Response:
        if (refused := self._wecom_token_refusal(request)) is not None:
            return refused
        if request.query.get("type") != "image":
            return self._wecom_error(40004, "invalid media type")
        form = await request.post()
        media = form.get("media")
        data = media.file.read() if isinstance(media, web.FileField) else b""
        if not data or len(data) > 2 * 1024 * 1024:
            return self._wecom_error(40009, "invalid image size")
        if not (data.startswith(b"\x89PNG") or data.startswith(b"\xff\xd8\xff")):
            return self._wecom_error(40005, "invalid file type")
        media_id = f"media-{hashlib.md5(data).hexdigest()}-{next(self._ids)}"
        self.media[media_id] = data
        return web.json_response(
            {
                "errcode": 0,
                "errmsg": "ok",
                "type": "image",
                "media_id": media_id,
                "created_at": str(int(self.clock.now().timestamp())),
            }
        )

    def _ding_error(self, status: int, code: str, message: str) -> web.Response:
        self.refused.append(code)
        return web.json_response({"code": code, "message": message, "requestid": "fake"}, status=status)

    async def dingtalk_token(self, request: web.Request) -> web.Response:
        self.token_calls["dingtalk"] += 1
        body = await request.json()
        if body.get("appKey") != self.app_key or body.get("appSecret") != self.app_secret:
            return self._ding_error(400, "invalidClientIdOrSecret", "无效的clientId或者clientSecret")
        return web.json_response({"accessToken": self._issue("dt"), "expireIn": 7200})

    async def dingtalk_gettoken(self, request: web.Request) -> web.Response:
        """The oapi (legacy) app token that oapi endpoints such as media/upload take as `access_token`."""
        self.token_calls["dingtalk-oapi"] += 1
        if request.query.get("appkey") != self.app_key or request.query.get("appsecret") != self.app_secret:
            self.refused.append("40089")
            return web.json_response({"errcode": 40089, "errmsg": "不合法的appkey或appsecret"})
        return web.json_response(
            {"errcode": 0, "errmsg": "ok", "access_token": self._issue("do"), "expires_in": 7200}
        )

    def _oapi_error(self, code: int, message: str) -> web.Response:
        self.refused.append(str(code))
        return web.json_response({"errcode": code, "errmsg": message})

    async def dingtalk_upload(self, request: web.Request) -> web.Response:
        if self.modes.get("dingtalk-upload") == "5xx":
            return web.Response(status=502, text="bad gateway")
        token = request.query.get("access_token", "")
        state = self._token_state(token) if token.startswith("do-") else "invalid"  # only gettoken's tokens
        if state == "invalid":
            return self._oapi_error(40014, "不合法的access_token")
        if state == "expired":
            return self._oapi_error(42001, "access_token超时")
        form = await request.post()
        if request.query.get("type", form.get("type")) != "image":
            return self._oapi_error(40004, "无效的媒体文件类型")
        media = form.get("media")
        data = media.file.read() if isinstance(media, web.FileField) else b""
        if not data or len(data) > 20 * 1024 * 1024:
            return self._oapi_error(40009, "无效的图片大小")
        if not (data.startswith(b"\x89PNG") or data.startswith(b"\xff\xd8\xff")):
            return self._oapi_error(40005, "不合法的文件类型")
        media_id = f"@lA{hashlib.md5(data).hexdigest()[:12]}{next(self._ids)}"
        self.media[media_id] = data
        return web.json_response(
            {
                "errcode": 0,
                "errmsg": "ok",
                "type": "image",
                "media_id": media_id,
                "created_at": int(self.clock.now().timestamp() * 1000),
            }
        )

    def _ding_message(self, body: dict[str, Any]) -> dict[str, Any] | web.Response:
        key, raw = body.get("msgKey"), body.get("msgParam")
        if key not in ("sampleText", "sampleMarkdown", "sampleImageMsg") or not isinstance(raw, str):
            return self._ding_error(400, "invalidParameter", "msgKey/msgParam")
        param = json.loads(raw)
        if key == "sampleImageMsg" and param.get("photoURL") not in self.media:
            return self._ding_error(
                400, "invalidParameter.photoURL", "photoURL 不是有效的图片地址或 media_id"
            )
        return {"msgKey": key, **param}

    async def dingtalk_send(self, request: web.Request) -> web.Response:
        if (bad := await self._misbehave("dingtalk")) is not None:
            return bad
        if self._token_state(request.headers.get("x-acs-dingtalk-access-token", "")) != "ok":
            return self._ding_error(401, "InvalidAuthentication", "不合法的access_token")
        body = await request.json()
        if body.get("robotCode") != self.robot_code:
            return self._ding_error(400, "invalidParameter.robotCode.notExist", "robotCode不存在")
        message = self._ding_message(body)
        if isinstance(message, web.Response):
            return message
        users = list(body.get("userIds", []))
        invalid = [u for u in users if u not in self.dingtalk_users]
        if any(self._over_limit(f"ding:{u}", 20) for u in users if u not in invalid):
            return self._ding_error(403, "Forbidden.AccessDenied.QpsLimitForApi", "调用频率超限")
        for user in users:
            if user not in invalid:
                self.received[user].append(message)
        await self._hang_after_taking("dingtalk")
        if message["msgKey"] == "sampleImageMsg":
            await self._hang_after_taking("dingtalk-image")
        return web.json_response(
            {
                "processQueryKey": f"q{next(self._ids)}",
                "invalidStaffIdList": invalid,
                "flowControlledStaffIdList": [],
            }
        )

    def install(self, app: web.Application) -> web.Application:
        app.router.add_get("/cgi-bin/gettoken", self.wecom_gettoken)
        app.router.add_post("/cgi-bin/message/send", self.wecom_send)
        app.router.add_post("/cgi-bin/media/upload", self.wecom_upload)
        app.router.add_post("/v1.0/oauth2/accessToken", self.dingtalk_token)
        app.router.add_post("/v1.0/robot/oToMessages/batchSend", self.dingtalk_send)
        app.router.add_get("/gettoken", self.dingtalk_gettoken)
        app.router.add_post("/media/upload", self.dingtalk_upload)
        return app
