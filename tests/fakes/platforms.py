"""Local fake WeCom webhook and DingTalk robot servers that speak the protocols the way the platforms do.

They check the key / the 加签 signature, enforce 20 messages per minute per robot on the test's clock,
return the real error codes, and can be told to misbehave (busy, 5xx, hang, robot removed).
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
from collections import defaultdict, deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from aiohttp import web

from bot.clock import Clock
from bot.platforms.dingtalk.signing import sign as sign_dingtalk


@dataclass
class FakePlatforms:
    clock: Clock
    wecom_keys: set[str] = field(default_factory=set)
    dingtalk_secrets: dict[str, str] = field(default_factory=dict)  # access_token -> secret
    # key/token -> ok | busy | 5xx | hang | broken (WeCom 93000, DingTalk 300001) | image-busy | quota (DingTalk 90020)
    modes: dict[str, str] = field(default_factory=dict)
    received: dict[str, list[dict[str, Any]]] = field(default_factory=lambda: defaultdict(list))
    shown_at: dict[str, list[datetime]] = field(
        default_factory=lambda: defaultdict(list)
    )  # parallel to received
    attempts: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    throttled: int = 0
    before_send: Callable[[str], Awaitable[None]] | None = None  # a test's hook, given the key / token
    _window: dict[str, deque[datetime]] = field(default_factory=lambda: defaultdict(deque))
    _uuids: set[str] = field(default_factory=set)

    def _over_limit(self, robot: str) -> bool:
        now, window = self.clock.now(), self._window[robot]
        while window and now - window[0] >= timedelta(seconds=60):
            window.popleft()
        if len(window) >= 20:
            self.throttled += 1
            return True
        window.append(now)
        return False

    async def _misbehave(self, robot: str) -> web.Response | None:
        mode = self.modes.get(robot, "ok")
        if mode == "5xx":
            return web.Response(status=502, text="bad gateway")
        if mode == "hang":
            await asyncio.sleep(30)
        return None

    async def wecom_send(self, request: web.Request) -> web.Response:
        key = request.query.get("key", "")
        self.attempts[key] += 1
        if self.before_send is not None:
            await self.before_send(key)
        if key not in self.wecom_keys or self.modes.get(key) == "broken":
            return web.json_response({"errcode": 93000, "errmsg": "invalid webhook url"})
        if (bad := await self._misbehave(key)) is not None:
            return bad
        if self.modes.get(key) == "busy":
            return web.json_response({"errcode": -1, "errmsg": "system busy"})
        body = await request.json()
        if body.get("msgtype") == "image" and self.modes.get(key) == "image-busy":
            return web.json_response({"errcode": -1, "errmsg": "system busy"})
        if body.get("msgtype") == "text" and len(body["text"]["content"].encode()) > 2048:
            return web.json_response({"errcode": 40058, "errmsg": "content exceed max length"})
        if body.get("msgtype") == "image" and (refused := self._bad_image(body["image"])) is not None:
            return refused
        if self._over_limit(key):
            return web.json_response({"errcode": 45009, "errmsg": "api freq out of limit"})
        self.received[key].append(body)
        self.shown_at[key].append(self.clock.now())
        return web.json_response({"errcode": 0, "errmsg": "ok"})

    async def dingtalk_send(self, request: web.Request) -> web.Response:
        token = request.query.get("access_token", "")
        self.attempts[token] += 1
        if self.before_send is not None:
            await self.before_send(token)
        secret = self.dingtalk_secrets.get(token)
        timestamp, sign = request.query.get("timestamp", ""), request.query.get("sign", "")
        expected = sign_dingtalk(timestamp, secret or "")  # the one signer, pinned by DingTalk's own vectors
        stale = (
            not timestamp.isdigit() or abs(int(timestamp) - self.clock.now().timestamp() * 1000) > 3600_000
        )
        if secret is None or self.modes.get(token) == "broken":
            return web.json_response({"errcode": 300001, "errmsg": "robot not exist"})
        if stale or not hmac.compare_digest(expected, sign):
            return web.json_response({"errcode": 310000, "errmsg": "sign not match"})
        if self.modes.get(token) == "quota":
            return web.json_response({"errcode": 90020, "errmsg": "org api quota exceeded"})
        if (bad := await self._misbehave(token)) is not None:
            return bad
        if self._over_limit(token):
            return web.json_response({"errcode": 410100, "errmsg": "send too fast"})
        body = await request.json()
        uuid = body.get("msgUuid")
        if uuid and uuid in self._uuids:
            return web.json_response({"errcode": 0, "errmsg": "ok"})  # a retry: accepted, not shown twice
        if uuid:
            self._uuids.add(uuid)
        self.received[token].append(body)
        self.shown_at[token].append(self.clock.now())
        return web.json_response({"errcode": 0, "errmsg": "ok"})

    @staticmethod
    def _bad_image(image: dict[str, Any]) -> web.Response | None:
        """A robot image must be base64 of at most 2 MB of PNG/JPEG, with the md5 of those bytes."""
        try:
            data = base64.b64decode(image.get("base64", ""), validate=True)
        except ValueError:
            return web.json_response({"errcode": 40005, "errmsg": "invalid base64"})
        if not data or len(data) > 2 * 1024 * 1024:
            return web.json_response({"errcode": 40009, "errmsg": "invalid image size"})
        if hashlib.md5(data).hexdigest() != image.get("md5"):
            return web.json_response({"errcode": 40006, "errmsg": "image md5 mismatch"})
        return None

    def app(self) -> web.Application:
        app = web.Application(client_max_size=4 * 1024 * 1024)  # a 2 MB image is ~2.7 MB as base64 JSON
        app.router.add_post("/cgi-bin/webhook/send", self.wecom_send)
        app.router.add_post("/robot/send", self.dingtalk_send)
        return app
