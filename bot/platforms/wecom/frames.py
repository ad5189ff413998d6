"""The WeCom AI bot long connection's frames, apart from the socket: the message in an `aibot_msg_callback`,
a reply as stream markdown, and the ack of a request (what an `aibot_send_msg` ack means)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable
from typing import Any

from bot.domain.messages import IncomingMessage, Platform, Reply
from bot.platforms import clean_id, clean_text
from bot.platforms.base import SendResult
from bot.platforms.content import wecom_text
from bot.platforms.wecom.callback import strip_mention

STREAM_BYTES = 20480  # a stream reply's content


class NotConnected(Exception):
    """No live, subscribed connection: nothing was sent."""


class Cut(Exception):
    """The socket went away after the frame was written and before its ack: the platform may have it."""


def message_from_frame(body: dict[str, Any], received_at: Any, bot_name: str) -> IncomingMessage | None:
    """An `aibot_msg_callback` body as an IncomingMessage; None when it holds no text (a picture, a file)."""
    sender: dict[str, Any] = body["from"] if isinstance(body.get("from"), dict) else {}
    msgid, user = clean_id(body.get("msgid"), "msgid"), clean_id(sender.get("userid"), "from.userid")
    text = wecom_text(body)
    if text is None:
        return None
    is_group = body.get("chattype") == "group"
    chat = (
        clean_id(body["chatid"], "chatid")
        if is_group and isinstance(body.get("chatid"), str) and body["chatid"]
        else user
    )
    return IncomingMessage(
        platform=Platform.WECOM,
        chat_id=chat,
        sender_id=user,
        text=strip_mention(clean_text(text), bot_name),
        message_id=msgid,
        received_at=received_at,
        is_group=is_group,
        reply_kind="wecom_long_connection",
    )


def reply_markdown(reply: Reply) -> str:
    """A reply as the markdown of a stream message: mentions as <@userid>."""
    tags = " ".join(f"<@{m}>" for m in reply.mention_user_ids)
    return f"{reply.text}\n{tags}" if tags else reply.text


def send_result(ack: dict[str, Any]) -> SendResult:
    """An `aibot_send_msg` ack as a SendResult."""
    code = ack.get("errcode")
    if code == 0:
        return SendResult("ok", "0")
    detail = str(ack.get("errmsg", ""))[:100]
    if code == 45009:
        return SendResult("throttled", str(code), detail)
    if code == -1:
        return SendResult("retry", "-1", "busy")
    return SendResult("failed", str(code), detail)


async def ack_unless_ended(
    reader: asyncio.Task[str], request: Awaitable[dict[str, Any]]
) -> dict[str, Any] | None:
    """The ack of a request, or None when the socket (its `reader`) ended first."""
    task = asyncio.ensure_future(request)
    await asyncio.wait({task, reader}, return_when=asyncio.FIRST_COMPLETED)
    if not task.done():
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError, Cut, NotConnected):
            await task
        return None
    try:
        return task.result()
    except (Cut, NotConnected, TimeoutError):
        return None
