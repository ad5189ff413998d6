"""The WeCom long connection's answers: a message in -> the durable inbox -> its reply as a finished stream
with the frame's req_id; pushes out as `aibot_send_msg`, each awaiting its ack."""

from __future__ import annotations

import logging
import uuid
from typing import Any

from bot.clock import Clock
from bot.domain.messages import Receive
from bot.platform_settings import WecomSettings
from bot.platforms import Rejected
from bot.platforms.base import SendResult
from bot.platforms.content import CAN_DO
from bot.platforms.split import split_text
from bot.platforms.wecom.frames import (
    STREAM_BYTES,
    Cut,
    NotConnected,
    message_from_frame,
    reply_markdown,
    send_result,
)

log = logging.getLogger("bot.platforms.wecom.long_connection")

ANSWER_WITHIN = 60.0  # seconds the reply may take before the inbox owns it


class Replies:
    """Mixed into the connection: needs its `_request`, `receive`, `clock` and `settings`."""

    settings: WecomSettings
    receive: Receive
    clock: Clock

    async def _request(
        self, cmd: str, body: dict[str, Any] | None, wait: float = 10.0, req_id: str = ""
    ) -> dict[str, Any]:
        raise NotImplementedError

    async def _on_message(self, req_id: str, body: dict[str, Any]) -> None:
        try:
            msg = message_from_frame(body, self.clock.now(), self.settings.bot_name)
        except Rejected as exc:
            log.warning("WeCom long connection: message refused: %s", exc.reason)
            return
        if msg is None:
            await self._respond_stream(req_id, str(body.get("msgid", "")), CAN_DO)
            return
        # The chat id is what the roster's 群ID needs: a school reads it here after its first message.
        log.info(
            "message in", extra={"chat": msg.chat_id, "group": msg.is_group, "message_id": msg.message_id}
        )
        try:
            accepted = await self.receive(msg)
        except Exception:  # not stored: nothing acknowledged, nothing answered (the platform may resend)
            log.exception("WeCom message not stored", extra={"message_id": msg.message_id})
            return
        reply = await accepted.answer(within=ANSWER_WITHIN)
        if reply is None:
            return  # the inbox owns the late reply
        first, *rest = split_text(reply_markdown(reply), STREAM_BYTES)
        await self._respond_stream(req_id, msg.message_id, first)
        for part in rest:  # over the stream's limit: the rest follows as pushes, nothing dropped
            sent = await self.send_markdown(msg.chat_id, part)
            if sent.outcome != "ok":
                log.warning("WeCom reply part not sent: %s %s", sent.code, sent.detail)

    async def _respond_stream(self, req_id: str, stream_id: str, content: str) -> None:
        body = {
            "msgtype": "stream",
            "stream": {"id": stream_id or uuid.uuid4().hex, "finish": True, "content": content},
        }
        await self._respond(req_id, body, "aibot_respond_msg")

    async def _respond(self, req_id: str, body: dict[str, Any], cmd: str) -> None:
        try:
            ack = await self._request(cmd, body, req_id=req_id)
        except (NotConnected, Cut) as exc:
            log.warning("WeCom reply (%s) not confirmed: %s", cmd, type(exc).__name__)
            return
        if ack.get("errcode") != 0:
            log.warning(
                "WeCom refused a reply (%s): errcode %s %s",
                cmd,
                ack.get("errcode"),
                str(ack.get("errmsg", ""))[:100],
            )

    async def send_markdown(self, chatid: str, content: str) -> SendResult:
        """Push one markdown message to a group (its chatid) or a person (userid), awaiting the ack."""
        body = {"chatid": chatid, "msgtype": "markdown", "markdown": {"content": content}}
        try:
            ack = await self._request("aibot_send_msg", body)
        except NotConnected:
            return SendResult(
                "away", "not connected", "WeCom long connection down or held by another instance"
            )
        except Cut:
            return SendResult("unsure", "cut", "socket lost before the ack")
        return send_result(ack)
