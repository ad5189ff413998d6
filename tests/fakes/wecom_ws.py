"""A local fake of WeCom's AI-bot long-connection server (aiohttp WebSocket), speaking the documented frames.

It refuses a wrong bot_id/secret, answers pings (unless told not to), kicks the older connection when a newer
one subscribes (`disconnected_event`), can close cleanly or drop the socket, delivers message and event frames,
and acks replies and pushes with a configurable errcode.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestServer

REFUSED_CODE = 40058


@dataclass
class FakeWecomWs:
    bot_id: str
    secret: str
    answer_pings: bool = True
    reply_errcode: int = 0
    send_errcode: int = 0
    ack_sends: bool = (
        True  # False: swallow aibot_send_msg without an ack (the socket is then dropped by a test)
    )
    subscribes: int = 0
    refused: int = 0
    pings: int = 0
    replies: list[dict[str, Any]] = field(default_factory=list)  # aibot_respond_msg / welcome frames
    pushes: list[dict[str, Any]] = field(default_factory=list)  # aibot_send_msg frames
    live: list[web.WebSocketResponse] = field(default_factory=list)  # subscribed connections, newest last
    _changed: asyncio.Event = field(default_factory=asyncio.Event)
    _acks: dict[str, Any] = field(default_factory=dict)

    def _note(self) -> None:
        self._changed.set()

    async def wait_for(self, check: Callable[[], bool], within: float = 10.0) -> None:
        async def loop() -> None:
            while not check():
                self._changed.clear()
                await self._changed.wait()

        await asyncio.wait_for(loop(), within)

    async def handler(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(autoping=True)
        await ws.prepare(request)
        try:
            async for frame in ws:
                data = json.loads(frame.data)
                await self._on_frame(ws, data)
        finally:
            if ws in self.live:
                self.live.remove(ws)
            self._note()
        return ws

    async def _on_frame(self, ws: web.WebSocketResponse, data: dict[str, Any]) -> None:
        cmd, req_id, body = data.get("cmd"), data["headers"]["req_id"], data.get("body") or {}
        if cmd == "aibot_subscribe":
            if body.get("bot_id") != self.bot_id or body.get("secret") != self.secret:
                self.refused += 1
                await ws.send_json(
                    {"headers": {"req_id": req_id}, "errcode": REFUSED_CODE, "errmsg": "invalid secret"}
                )
                self._note()
                return
            for older in list(self.live):  # one live connection per bot: the newer one wins
                await self.event(older, "disconnected_event")
                await older.close()
            self.subscribes += 1
            self.live.append(ws)
            await ws.send_json({"headers": {"req_id": req_id}, "errcode": 0, "errmsg": "ok"})
        elif ws not in self.live:
            await ws.send_json({"headers": {"req_id": req_id}, "errcode": 40001, "errmsg": "not subscribed"})
        elif cmd == "ping":
            self.pings += 1
            if self.answer_pings:
                await ws.send_json({"headers": {"req_id": req_id}, "errcode": 0, "errmsg": "ok"})
        elif cmd in ("aibot_respond_msg", "aibot_respond_welcome_msg"):
            self.replies.append(data)
            await ws.send_json({"headers": {"req_id": req_id}, "errcode": self.reply_errcode, "errmsg": "x"})
        elif cmd == "aibot_send_msg":
            self.pushes.append(data)
            if self.ack_sends:
                await ws.send_json(
                    {"headers": {"req_id": req_id}, "errcode": self.send_errcode, "errmsg": "x"}
                )
        self._note()

    async def event(self, ws: web.WebSocketResponse, kind: str, userid: str = "u1") -> str:
        req_id = uuid.uuid4().hex
        await ws.send_json(
            {
                "cmd": "aibot_event_callback",
                "headers": {"req_id": req_id},
                "body": {
                    "msgid": uuid.uuid4().hex,
                    "aibotid": self.bot_id,
                    "from": {"userid": userid},
                    "msgtype": "event",
                    "event": {"eventtype": kind},
                },
            }
        )
        return req_id

    async def message(self, body: dict[str, Any]) -> str:
        """Deliver one aibot_msg_callback to the live connection; its req_id."""
        req_id = uuid.uuid4().hex
        await self.live[-1].send_json(
            {
                "cmd": "aibot_msg_callback",
                "headers": {"req_id": req_id},
                "body": {"aibotid": self.bot_id, **body},
            }
        )
        return req_id

    async def close_live(self) -> None:
        """A clean close frame from the server."""
        await self.live[-1].close()

    def drop_live(self) -> None:
        """The socket vanishes without a close frame."""
        ws = self.live.pop()
        assert ws._req is not None and ws._req.transport is not None
        ws._req.transport.abort()
        self._note()


def text_body(
    msgid: str, userid: str, content: str, chatid: str = "", msgtype: str = "text"
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "msgid": msgid,
        "from": {"userid": userid},
        "chattype": "group" if chatid else "single",
        "msgtype": msgtype,
    }
    if chatid:
        body["chatid"] = chatid
    body[msgtype] = {"content": content}
    return body


@asynccontextmanager
async def wecom_ws_server(fake: FakeWecomWs) -> AsyncIterator[str]:
    """Serve the fake on a free port; yields its ws:// URL."""
    app = web.Application()
    app.router.add_get("/", fake.handler)
    server = TestServer(app)
    await server.start_server()
    try:
        yield f"ws://127.0.0.1:{server.port}/"
    finally:
        for ws in list(fake.live):
            await ws.close()
        await server.close()
