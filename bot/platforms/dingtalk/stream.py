"""DingTalk Stream mode: one outbound WebSocket for robot messages, no public host needed.

Opens a connection with POST {openapi_base}/v1.0/gateway/connections/open (a fresh one-use ticket each time),
echoes SYSTEM pings, reconnects after a `disconnect`, a dropped socket or a clean close (capped exponential
back-off with jitter), and acks a robot message (CALLBACK on /v1.0/im/bot/messages/get) only once `receive`
returned, i.e. the message is durably stored: DingTalk never resends a bot message it saw acked.
The answer goes to the message's sessionWebhook while it is unexpired and on dingtalk.api_base's host,
otherwise through the app robot (group: groupMessages/send; one-to-one: oToMessages/batchSend).

A small aiohttp client of the documented frames, not the official `dingtalk-stream` SDK: the SDK opens its
connection with blocking `requests` on a fixed host (it would stall the event loop and cannot be pointed at
dingtalk.openapi_base or a local test server).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote, urlsplit

import aiohttp

from bot.clock import Clock
from bot.domain.messages import IncomingMessage, Platform, Receive, Reply
from bot.platforms import Rejected, backoff, clean_id, clean_text, platform_reply_url
from bot.platforms.base import Outgoing, SendResult
from bot.platforms.content import CAN_DO, dingtalk_text
from bot.platforms.dingtalk.openapi import DingtalkAppRobot
from bot.platforms.dingtalk.replies import reply_body
from bot.settings import DingtalkSettings

log = logging.getLogger(__name__)

BOT_TOPIC = "/v1.0/im/bot/messages/get"
ANSWER_WITHIN = 60.0
DRAIN_SECONDS = 8.0
STOPPED, LOST, REFUSED = "stopped", "lost", "refused"
UNREACHABLE = "connections/open unreachable"


def message_from_data(
    data: dict[str, Any], received_at: datetime, api_base: str = "https://oapi.dingtalk.com"
) -> tuple[IncomingMessage | None, bool]:
    """A robot message as an IncomingMessage (None: not for the bot), and whether it holds any text.

    A sessionWebhook off `api_base`'s host is dropped (never posted to, now or late)."""
    msg_id, conversation = (
        clean_id(data.get("msgId"), "msgId"),
        clean_id(data.get("conversationId"), "conversationId"),
    )
    user = clean_id(data.get("senderStaffId") or data.get("senderId"), "sender")
    is_group = data.get("conversationType") == "2"
    if is_group and data.get("isInAtList") is False:
        return None, False
    text = dingtalk_text(data)
    webhook = platform_reply_url(data.get("sessionWebhook"), api_base, "DingTalk sessionWebhook")
    expires = data.get("sessionWebhookExpiredTime")
    return IncomingMessage(
        platform=Platform.DINGTALK,
        chat_id=conversation,
        sender_id=user,
        text=clean_text(text or "").strip(),
        message_id=msg_id,
        received_at=received_at,
        sender_name=clean_text(str(data.get("senderNick") or "")),
        is_group=is_group,
        reply_url=webhook,
        reply_kind="dingtalk",
        reply_expires_at=datetime.fromtimestamp(expires / 1000, UTC) if isinstance(expires, int) else None,
    ), text is not None


class DingtalkReplies:
    """Where an answer goes: the sessionWebhook while valid and on the configured oapi host; else the app robot."""

    def __init__(
        self, http: aiohttp.ClientSession, settings: DingtalkSettings, robot: DingtalkAppRobot, clock: Clock
    ) -> None:
        self.http, self.settings, self.robot, self.clock = http, settings, robot, clock

    def webhook_usable(self, msg: IncomingMessage) -> bool:
        if not msg.reply_url:
            return False
        if msg.reply_expires_at is not None and self.clock.now() >= msg.reply_expires_at:
            return False
        return urlsplit(msg.reply_url).hostname == urlsplit(self.settings.api_base).hostname

    async def send(self, msg: IncomingMessage, reply: Reply) -> SendResult:
        if self.webhook_usable(msg):
            assert msg.reply_url is not None
            try:
                async with self.http.post(
                    msg.reply_url,
                    json=reply_body(reply.text, reply.mention_user_ids),
                    timeout=aiohttp.ClientTimeout(total=10),
                ) as resp:
                    data = await resp.json(content_type=None) if resp.status == 200 else None
            except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
                data = None
                log.warning("DingTalk sessionWebhook failed: %s; using the app robot", type(exc).__name__)
            if isinstance(data, dict) and data.get("errcode") in (0, "0"):
                return SendResult("ok", "0")
            log.warning(
                "DingTalk sessionWebhook refused (%s); using the app robot",
                data.get("errcode") if isinstance(data, dict) else "no answer",
            )
        outgoing = Outgoing(key=msg.message_id, text=reply.text)
        if msg.is_group:
            return await self.robot.send_group(msg.chat_id, outgoing)
        return await self.robot.send(msg.sender_id, outgoing)


class DingtalkStream:
    def __init__(
        self,
        http: aiohttp.ClientSession,
        settings: DingtalkSettings,
        receive: Receive,
        clock: Clock,
        replies: DingtalkReplies,
    ) -> None:
        self.http, self.settings, self.receive, self.clock, self.replies = (
            http,
            settings,
            receive,
            clock,
            replies,
        )
        self.connected = asyncio.Event()
        self.connections = 0
        self._tasks: set[asyncio.Task[Any]] = set()

    async def run(self, stop: asyncio.Event) -> None:
        failures = 0
        try:
            while not stop.is_set():
                served = self.connections
                outcome = await self._session(stop)
                if outcome == STOPPED:
                    break
                failures = 1 if self.connections > served else failures + 1
                delay = backoff(
                    failures, self.settings.reconnect_min_seconds, self.settings.reconnect_max_seconds
                )
                log.warning("DingTalk stream %s; reconnecting in %.1f s", outcome, delay)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), delay)
        finally:
            if self._tasks:
                await asyncio.wait(set(self._tasks), timeout=15)

    async def open_connection(self) -> tuple[str, str] | str:
        """(endpoint, ticket), or the reason it was refused."""
        body = {
            "clientId": self.settings.app_key,
            "clientSecret": self.settings.app_secret.get_secret_value(),
            "subscriptions": [{"type": "CALLBACK", "topic": BOT_TOPIC}],
            "ua": "tuoguan-bot",
            "localIp": "",
        }
        url = f"{self.settings.openapi_base.rstrip('/')}/v1.0/gateway/connections/open"
        try:
            async with self.http.post(url, json=body, timeout=aiohttp.ClientTimeout(total=10)) as resp:
                data = await resp.json(content_type=None)
                status = resp.status
        except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
            return f"{UNREACHABLE}: {type(exc).__name__}"
        if status == 200 and isinstance(data, dict) and data.get("endpoint") and data.get("ticket"):
            return str(data["endpoint"]), str(data["ticket"])
        code = data.get("code", "") if isinstance(data, dict) else ""
        return f"connections/open refused: HTTP {status} {code}"

    async def _session(self, stop: asyncio.Event) -> str:
        opened = await self.open_connection()
        if isinstance(opened, str) and opened.startswith(UNREACHABLE):
            log.warning("DingTalk stream: %s (network or dingtalk.openapi_base)", opened)
            return LOST
        if isinstance(opened, str):
            log.error("DingTalk stream: %s. Check dingtalk.app_key and TUOGUAN_DINGTALK__APP_SECRET.", opened)
            return REFUSED
        endpoint, ticket = opened
        try:
            ws = await self.http.ws_connect(
                f"{endpoint}?ticket={quote(ticket)}",
                heartbeat=None,
                timeout=aiohttp.ClientWSTimeout(ws_close=5),
            )
        except (aiohttp.ClientError, OSError, TimeoutError) as exc:
            log.warning("DingTalk stream failed to connect: %s", type(exc).__name__)
            return LOST
        self.connections += 1
        self.connected.set()
        log.info("DingTalk stream open")
        reader = asyncio.ensure_future(self._read(ws))
        stopping = asyncio.ensure_future(stop.wait())
        try:
            await asyncio.wait({reader, stopping}, return_when=asyncio.FIRST_COMPLETED)
            return STOPPED if stop.is_set() else LOST
        finally:
            if self._tasks and not ws.closed:
                # Shutting down or told to reconnect (the server closes 10 s later): messages being stored
                # still get their ack on this socket.
                await asyncio.wait(set(self._tasks), timeout=DRAIN_SECONDS)
            self.connected.clear()
            stopping.cancel()
            reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await reader
            await ws.close()

    async def _read(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        async for frame in ws:
            if frame.type != aiohttp.WSMsgType.TEXT:
                continue
            try:
                data = json.loads(frame.data)
            except ValueError:
                continue
            if not isinstance(data, dict):
                continue
            headers: dict[str, Any] = data["headers"] if isinstance(data.get("headers"), dict) else {}
            kind, topic = data.get("type"), headers.get("topic")
            if kind == "SYSTEM" and topic == "disconnect":
                log.info("DingTalk stream: the server asks to reconnect")
                return
            if kind == "SYSTEM":  # ping: echo its data
                await self._ack(ws, headers, str(data.get("data", "")))
            elif kind == "CALLBACK" and topic == BOT_TOPIC:
                task = asyncio.ensure_future(self._on_message(ws, headers, data.get("data")))
                self._tasks.add(task)
                task.add_done_callback(self._tasks.discard)
            else:
                await self._ack(ws, headers, json.dumps({"response": None}))

    @staticmethod
    async def _ack(ws: aiohttp.ClientWebSocketResponse, headers: dict[str, Any], data: str) -> None:
        frame = {
            "code": 200,
            "headers": {"messageId": headers.get("messageId", ""), "contentType": "application/json"},
            "message": "OK",
            "data": data,
        }
        with contextlib.suppress(aiohttp.ClientError, ConnectionError, RuntimeError):
            await ws.send_str(json.dumps(frame))

    async def _on_message(
        self, ws: aiohttp.ClientWebSocketResponse, headers: dict[str, Any], raw: Any
    ) -> None:
        try:
            data = json.loads(raw) if isinstance(raw, str) else None
            if not isinstance(data, dict):
                raise Rejected(400, "data is not a JSON object")
            msg, has_text = message_from_data(data, self.clock.now(), self.settings.api_base)
        except (Rejected, ValueError) as exc:
            log.warning("DingTalk stream: message refused: %s", getattr(exc, "reason", type(exc).__name__))
            await self._ack(ws, headers, json.dumps({"response": None}))
            return
        if (
            msg is None or not has_text
        ):  # not for the bot; or a picture or file alone: say what the bot can do
            await self._ack(ws, headers, json.dumps({"response": None}))
            if msg is not None:
                await self._answer(msg, Reply(CAN_DO))
            return
        # The chat id is what the roster's 群ID needs: a school reads it here after its first message.
        log.info(
            "message in", extra={"chat": msg.chat_id, "group": msg.is_group, "message_id": msg.message_id}
        )
        try:
            accepted = await self.receive(msg)  # durably stored: only now may DingTalk forget it
        except Exception:  # not stored: not acked
            log.exception("DingTalk message not stored; not acked", extra={"message_id": msg.message_id})
            return
        await self._ack(ws, headers, json.dumps({"response": None}))
        reply = await accepted.answer(within=ANSWER_WITHIN)
        if reply is not None:
            await self._answer(msg, reply)

    async def _answer(self, msg: IncomingMessage, reply: Reply) -> None:
        result = await self.replies.send(msg, reply)
        if result.outcome != "ok":
            log.warning(
                "DingTalk reply not sent: %s %s",
                result.code,
                result.detail,
                extra={"message_id": msg.message_id},
            )
