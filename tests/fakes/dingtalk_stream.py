"""A local fake of DingTalk's OpenAPI (accessToken, gateway/connections/open, robot groupMessages/send and
oToMessages/batchSend), its Stream WebSocket and a sessionWebhook, speaking the documented shapes.

Tickets are one-use; the stream sends SYSTEM pings and disconnects, CALLBACK robot messages, and records the
acks; the group push answers with a configurable error (e.g. the org's monthly API quota).
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

TOPIC = "/v1.0/im/bot/messages/get"


@dataclass
class FakeDingtalk:
    app_key: str
    app_secret: str
    base: str = ""  # http://127.0.0.1:PORT, set once serving
    group_error: tuple[int, dict[str, Any]] | None = None  # (HTTP status, body) for groupMessages/send
    tokens_issued: int = 0
    opens: int = 0
    refused_opens: int = 0
    tickets: set[str] = field(default_factory=set)
    acks: list[dict[str, Any]] = field(default_factory=list)
    group_sends: list[dict[str, Any]] = field(default_factory=list)
    private_sends: list[dict[str, Any]] = field(default_factory=list)
    session_posts: list[dict[str, Any]] = field(default_factory=list)
    live: list[web.WebSocketResponse] = field(default_factory=list)
    media: dict[str, bytes] = field(default_factory=dict)
    _token: str = ""
    _oapi_token: str = ""
    _changed: asyncio.Event = field(default_factory=asyncio.Event)

    def _note(self) -> None:
        self._changed.set()

    async def wait_for(self, check: Callable[[], bool], within: float = 10.0) -> None:
        async def loop() -> None:
            while not check():
                self._changed.clear()
                await self._changed.wait()

        await asyncio.wait_for(loop(), within)

    async def access_token(self, request: web.Request) -> web.Response:
        body = await request.json()
        if body.get("appKey") != self.app_key or body.get("appSecret") != self.app_secret:
            return web.json_response({"code": "invalidClientId", "message": "bad app"}, status=400)
        self.tokens_issued += 1
        self._token = uuid.uuid4().hex
        return web.json_response({"accessToken": self._token, "expireIn": 7200})

    async def open_connection(self, request: web.Request) -> web.Response:
        body = await request.json()
        topics = {(s.get("type"), s.get("topic")) for s in body.get("subscriptions", [])}
        if (
            body.get("clientId") != self.app_key
            or body.get("clientSecret") != self.app_secret
            or ("CALLBACK", TOPIC) not in topics
        ):
            self.refused_opens += 1
            self._note()
            return web.json_response({"code": "invalidClientId", "message": "bad client"}, status=400)
        self.opens += 1
        ticket = uuid.uuid4().hex
        self.tickets.add(ticket)
        return web.json_response({"endpoint": f"{self.base.replace('http', 'ws')}/connect", "ticket": ticket})

    async def connect(self, request: web.Request) -> web.StreamResponse:
        ticket = request.query.get("ticket", "")
        if ticket not in self.tickets:
            return web.Response(status=401, text="bad ticket")
        self.tickets.discard(ticket)  # one use
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        self.live.append(ws)
        self._note()
        try:
            async for frame in ws:
                self.acks.append(json.loads(frame.data))
                self._note()
        finally:
            if ws in self.live:
                self.live.remove(ws)
            self._note()
        return ws

    def _authorised(self, request: web.Request) -> bool:
        return bool(self._token) and request.headers.get("x-acs-dingtalk-access-token") == self._token

    async def group_send(self, request: web.Request) -> web.Response:
        if not self._authorised(request):
            return web.json_response({"code": "InvalidAuthentication", "message": "token"}, status=401)
        body = await request.json()
        if len(body["msgParam"].encode()) > 15000:
            return web.json_response({"code": "invalidParameter", "message": "msgParam too long"}, status=400)
        if self.group_error is not None:
            status, error = self.group_error
            return web.json_response(error, status=status)
        self.group_sends.append(body)
        self._note()
        return web.json_response({"processQueryKey": uuid.uuid4().hex})

    async def private_send(self, request: web.Request) -> web.Response:
        if not self._authorised(request):
            return web.json_response({"code": "InvalidAuthentication", "message": "token"}, status=401)
        self.private_sends.append(await request.json())
        self._note()
        return web.json_response({"processQueryKey": uuid.uuid4().hex})

    async def oapi_token(self, request: web.Request) -> web.Response:
        if request.query.get("appkey") != self.app_key or request.query.get("appsecret") != self.app_secret:
            return web.json_response({"errcode": 40089, "errmsg": "invalid appkey or appsecret"})
        self._oapi_token = uuid.uuid4().hex
        return web.json_response({"errcode": 0, "access_token": self._oapi_token, "expires_in": 7200})

    async def media_upload(self, request: web.Request) -> web.Response:
        if not self._oapi_token or request.query.get("access_token") != self._oapi_token:
            return web.json_response({"errcode": 40014, "errmsg": "invalid token"})
        form = await request.post()
        media = form["media"]
        assert isinstance(media, web.FileField)
        media_id = f"@media-{uuid.uuid4().hex[:8]}"
        self.media[media_id] = media.file.read()
        return web.json_response({"errcode": 0, "media_id": media_id, "type": "image"})

    async def session_webhook(self, request: web.Request) -> web.Response:
        self.session_posts.append({"session": request.query.get("session"), **(await request.json())})
        self._note()
        return web.json_response({"errcode": 0, "errmsg": "ok"})

    # -- driving the stream ------------------------------------------------------------------------------------

    async def _send(self, kind: str, topic: str, data: str) -> str:
        message_id = uuid.uuid4().hex
        await self.live[-1].send_json(
            {
                "specVersion": "1.0",
                "type": kind,
                "headers": {
                    "topic": topic,
                    "messageId": message_id,
                    "contentType": "application/json",
                    "time": "0",
                },
                "data": data,
            }
        )
        return message_id

    async def ping(self) -> str:
        return await self._send("SYSTEM", "ping", json.dumps({"opaque": uuid.uuid4().hex}))

    async def disconnect(self) -> str:
        return await self._send("SYSTEM", "disconnect", json.dumps({"reason": "server restart"}))

    async def robot_message(self, data: dict[str, Any]) -> str:
        return await self._send("CALLBACK", TOPIC, json.dumps(data, ensure_ascii=False))

    def drop_live(self) -> None:
        ws = self.live.pop()
        assert ws._req is not None and ws._req.transport is not None
        ws._req.transport.abort()
        self._note()

    def acked(self, message_id: str) -> dict[str, Any] | None:
        return next((a for a in self.acks if a.get("headers", {}).get("messageId") == message_id), None)

    def session_url(self, session: str = "s1") -> str:
        return f"{self.base}/robot/sendBySession?session={session}"


def robot_data(
    msg_id: str,
    text: str,
    *,
    group: bool = True,
    msgtype: str = "text",
    webhook: str | None = None,
    expires_ms: int = 4_102_444_800_000,
    conversation: str = "cid-class-1",
    staff: str = "staff-mum",
) -> dict[str, Any]:
    data: dict[str, Any] = {
        "msgId": msg_id,
        "conversationId": conversation,
        "conversationType": "2" if group else "1",
        "senderStaffId": staff,
        "senderNick": "王小明妈妈",
        "isInAtList": True,
        "robotCode": "app-key",
        "msgtype": msgtype,
        "createAt": 1,
    }
    if msgtype == "text":
        data["text"] = {"content": f" {text}"}
    elif msgtype == "audio":
        data["content"] = {"recognition": text, "duration": 2000}
    elif msgtype == "richText":
        data["content"] = {"richText": [{"text": text}, {"pictureDownloadCode": "x", "type": "picture"}]}
    elif msgtype == "picture":
        data["content"] = {"pictureDownloadCode": "x"}
    if webhook:
        data["sessionWebhook"], data["sessionWebhookExpiredTime"] = webhook, expires_ms
    return data


@asynccontextmanager
async def dingtalk_server(fake: FakeDingtalk) -> AsyncIterator[str]:
    """Serve the fake on a free port; yields its http:// base (OpenAPI, oapi and the stream on one host)."""
    app = web.Application(client_max_size=4 * 1024 * 1024)
    app.router.add_post("/v1.0/oauth2/accessToken", fake.access_token)
    app.router.add_get("/gettoken", fake.oapi_token)
    app.router.add_post("/media/upload", fake.media_upload)
    app.router.add_post("/v1.0/gateway/connections/open", fake.open_connection)
    app.router.add_get("/connect", fake.connect)
    app.router.add_post("/v1.0/robot/groupMessages/send", fake.group_send)
    app.router.add_post("/v1.0/robot/oToMessages/batchSend", fake.private_send)
    app.router.add_post("/robot/sendBySession", fake.session_webhook)
    server = TestServer(app)
    await server.start_server()
    fake.base = f"http://127.0.0.1:{server.port}"
    try:
        yield fake.base
    finally:
        for ws in list(fake.live):
            await ws.close()
        await server.close()
