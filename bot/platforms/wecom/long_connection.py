"""WeCom AI bot long connection (智能机器人 长连接): one outbound WebSocket, no public host needed.

Subscribes with bot_id + secret, pings every `heartbeat_seconds` and drops the socket when two pings go
unanswered, and reconnects with capped exponential back-off and jitter after ANY loss (a dropped socket or a
clean close frame alike). Being kicked by a newer connection of the same bot (`disconnected_event`) is logged
and retried only after `kicked_wait_seconds`, never fought over in a loop. With a lease, only the instance
holding it connects. Messages go to `receive` (they are durably stored when it returns), the answer goes back
as a finished stream with the frame's req_id; pushes go out as `aibot_send_msg`, each awaiting its ack.

A small aiohttp client of the documented frames, not the official SDK: the SDK (websockets-based) stops for
good on a clean close frame, runs its own reconnect/heartbeat loop we could not hold to a lease, and cannot be
pointed at a local test server through our shared aiohttp session.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import uuid
from collections.abc import Awaitable
from typing import Any

import aiohttp

from bot.clock import Clock
from bot.domain.messages import Receive
from bot.platforms import backoff
from bot.platforms.content import WELCOME
from bot.platforms.wecom.frames import (
    Cut,
    NotConnected,
    ack_unless_ended,
)
from bot.platforms.wecom.lease_hold import HeldLease, Lease, wait_or_stop
from bot.platforms.wecom.ws_replies import Replies
from bot.settings import WecomSettings

log = logging.getLogger(__name__)

ACK_SECONDS = 10.0  # a request's ack (subscribe, reply, push) must come within this
DRAIN_SECONDS = 10.0  # on shutdown, messages being handled may finish on the open socket this long

STOPPED, LOST, KICKED, REFUSED, LEASE_LOST = "stopped", "lost", "kicked", "refused", "lease_lost"


class WecomLongConnection(Replies):
    """The socket's life (subscribe, heartbeat, lease, reconnect) and its frames; answers in `Replies`."""

    def __init__(
        self,
        http: aiohttp.ClientSession,
        settings: WecomSettings,
        receive: Receive,
        clock: Clock,
        lease: Lease | None = None,
    ) -> None:
        self.http, self.settings, self.receive, self.clock, self.lease = http, settings, receive, clock, lease
        self.held = HeldLease(lease, settings.lease_seconds)
        self.connected = asyncio.Event()  # subscribed and serving
        self.connections = 0  # successful subscriptions so far (for the log and tests)
        self.last_outcome = ""
        self._ws: aiohttp.ClientWebSocketResponse | None = None
        self._pending: dict[str, asyncio.Future[dict[str, Any]]] = {}
        self._tasks: set[asyncio.Task[Any]] = set()
        self._kicked = False
        self._served = False

    # -- the connection's life -------------------------------------------------------------------------------

    async def run(self, stop: asyncio.Event) -> None:
        """Connect, serve, reconnect until `stop` is set; then wait for the messages being handled."""
        failures = 0
        try:
            while not stop.is_set():
                if not await self.held.acquire():
                    await wait_or_stop(stop, max(0.2, self.settings.lease_seconds / 3))
                    continue
                outcome = await self._session(stop)
                self.last_outcome = outcome
                if outcome == STOPPED:
                    break
                if outcome == KICKED:
                    # Still holding the lease: the newer connection is not one of our instances (another
                    # program or PC uses this bot). Keep the lease while waiting, so no instance of ours
                    # fights over the bot either.
                    ours = self.lease is not None and await self.held.renew()
                    log.error(
                        "WeCom long connection taken over by a newer connection of bot %s (%s); trying "
                        "again in %.0f s",
                        self.settings.bot_id,
                        "another program or PC uses this bot" if ours else "another instance",
                        self.settings.kicked_wait_seconds,
                    )
                    await self.held.hold(stop, self.settings.kicked_wait_seconds, ours)
                    continue
                failures = 1 if outcome == LOST and self._served else failures + 1
                delay = backoff(
                    failures, self.settings.reconnect_min_seconds, self.settings.reconnect_max_seconds
                )
                log.warning("WeCom long connection %s; reconnecting in %.1f s", outcome, delay)
                await wait_or_stop(stop, delay)
        finally:
            await self._drain()
            await self.held.release()

    async def _session(self, stop: asyncio.Event) -> str:
        self._served, self._kicked = False, False
        try:
            ws = await self.http.ws_connect(
                self.settings.ws_url,
                autoping=True,
                heartbeat=None,
                timeout=aiohttp.ClientWSTimeout(ws_close=5),
            )
        except (aiohttp.ClientError, OSError, TimeoutError) as exc:
            log.warning("WeCom long connection failed to open: %s", type(exc).__name__)
            return LOST
        self._ws = ws
        reader = asyncio.create_task(self._read(ws))
        try:
            refused = await self._subscribe(reader)
            if refused:
                return refused
            self._served = True
            self.connections += 1
            self.connected.set()
            log.info("WeCom long connection open (bot %s)", self.settings.bot_id)
            return await self._serve(reader, stop)
        except (NotConnected, Cut):
            return LOST
        finally:
            await self._close(ws, reader, stop)

    async def _subscribe(self, reader: asyncio.Task[str]) -> str:
        """Subscribe with bot_id + secret: "" when accepted, else LOST or REFUSED."""
        secret = self.settings.bot_secret.get_secret_value()
        ack = await ack_unless_ended(
            reader, self._request("aibot_subscribe", {"bot_id": self.settings.bot_id, "secret": secret})
        )
        if ack is None:
            return LOST
        if ack.get("errcode") != 0:
            log.error(
                "WeCom refused the subscription: errcode %s %s. Check wecom.bot_id and "
                "TUOGUAN_WECOM__BOT_SECRET (智能机器人 → API模式 → 长连接).",
                ack.get("errcode"),
                str(ack.get("errmsg", ""))[:100],
            )
            return REFUSED
        return ""

    async def _close(
        self, ws: aiohttp.ClientWebSocketResponse, reader: asyncio.Task[str], stop: asyncio.Event
    ) -> None:
        if stop.is_set() and self._tasks and not reader.done():
            # Shutting down: let the messages being handled send their replies on this socket first.
            await asyncio.wait(set(self._tasks), timeout=DRAIN_SECONDS)
        self.connected.clear()
        self._ws = None
        reader.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await reader
        for future in self._pending.values():
            if not future.done():
                future.set_exception(Cut())
        self._pending.clear()
        await ws.close()

    async def _serve(self, reader: asyncio.Task[str], stop: asyncio.Event) -> str:
        """Heartbeat and lease renewal until the socket ends, `stop` is set or the lease is lost."""
        loop = asyncio.get_running_loop()
        hb = self.settings.heartbeat_seconds
        tick = min(hb, self.settings.lease_seconds / 3) if self.lease is not None else hb
        stopping = asyncio.ensure_future(stop.wait())
        ping: asyncio.Future[dict[str, Any]] | None = None
        missed, next_ping = 0, loop.time() + hb
        try:
            while True:
                await asyncio.wait(
                    {reader, stopping},
                    timeout=max(0.0, min(tick, next_ping - loop.time())),
                    return_when=asyncio.FIRST_COMPLETED,
                )
                if reader.done():
                    return KICKED if self._kicked else LOST
                if stop.is_set():
                    return STOPPED
                if not await self.held.renew():
                    log.warning("WeCom connection lease lost: closing this instance's connection")
                    return LEASE_LOST
                if loop.time() < next_ping:
                    continue
                next_ping = loop.time() + hb
                missed = missed + 1 if ping is not None and not ping.done() else 0
                if missed >= 2:
                    log.warning("WeCom long connection: two pings unanswered")
                    return LOST
                if ping is not None and not ping.done():
                    ping.cancel()
                ping = asyncio.ensure_future(self._request("ping", None, wait=hb * 2))
                ping.add_done_callback(lambda f: f.cancelled() or f.exception())
        finally:
            stopping.cancel()
            if ping is not None and not ping.done():
                ping.cancel()

    async def _read(self, ws: aiohttp.ClientWebSocketResponse) -> str:
        async for frame in ws:
            if frame.type != aiohttp.WSMsgType.TEXT:
                continue
            try:
                data = json.loads(frame.data)
            except ValueError:
                log.warning("WeCom long connection: a frame that is not JSON")
                continue
            if isinstance(data, dict):
                self._dispatch(data)
        return "closed"

    def _dispatch(self, data: dict[str, Any]) -> None:
        headers: dict[str, Any] = data["headers"] if isinstance(data.get("headers"), dict) else {}
        req_id = str(headers.get("req_id", ""))
        cmd, body = data.get("cmd"), data.get("body")
        if not cmd:
            future = self._pending.pop(req_id, None)
            if future is not None and not future.done():
                future.set_result(data)
            return
        if not isinstance(body, dict):
            return
        if cmd == "aibot_msg_callback":
            self._track(self._on_message(req_id, body))
        elif cmd == "aibot_event_callback":
            event: dict[str, Any] = body["event"] if isinstance(body.get("event"), dict) else {}
            kind = event.get("eventtype")
            if kind == "disconnected_event":
                self._kicked = True
            elif kind == "enter_chat":
                self._track(
                    self._respond(
                        req_id, {"msgtype": "text", "text": {"content": WELCOME}}, "aibot_respond_welcome_msg"
                    )
                )

    def _track(self, coro: Awaitable[Any]) -> None:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _drain(self, seconds: float = 15.0) -> None:
        if self._tasks:
            await asyncio.wait(set(self._tasks), timeout=seconds)

    # -- frames ----------------------------------------------------------------------------------------------

    async def _request(
        self, cmd: str, body: dict[str, Any] | None, wait: float = ACK_SECONDS, req_id: str = ""
    ) -> dict[str, Any]:
        """Send one frame and wait for its ack (the frame with the same req_id and no cmd)."""
        ws = self._ws
        if ws is None or ws.closed:
            raise NotConnected()
        req_id = req_id or f"{cmd}_{uuid.uuid4().hex}"
        frame: dict[str, Any] = {
            "cmd": cmd,
            "headers": {"req_id": req_id},
            **({} if body is None else {"body": body}),
        }
        future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._pending[req_id] = future
        try:
            await ws.send_str(json.dumps(frame, ensure_ascii=False))
        except (aiohttp.ClientError, ConnectionError, RuntimeError):
            self._pending.pop(req_id, None)
            raise NotConnected() from None
        try:
            return await asyncio.wait_for(future, wait)
        except TimeoutError:
            raise Cut() from None
        finally:
            self._pending.pop(req_id, None)
