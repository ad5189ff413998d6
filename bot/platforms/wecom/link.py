"""Pushes over the WeCom AI bot's long connection (aibot_send_msg): group pushes for a class with a 群ID and no
custom-robot 推送地址 (the robots' interface, the 群ID standing where a robot's address would), and one-to-one
pushes when no self-built app is configured.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any

from bot.clock import Clock
from bot.platforms.base import GroupMessenger, Outgoing, SendResult
from bot.platforms.split import split_text
from bot.platforms.wecom.app import PER_HOUR
from bot.platforms.wecom.frames import STREAM_BYTES
from bot.platforms.wecom.long_connection import WecomLongConnection


class WecomLink:
    """aibot_send_msg over the live connection; markdown, mentions as <@userid>; no images on this channel."""

    backoff_seconds = 60

    def __init__(self, connection: WecomLongConnection) -> None:
        self.connection = connection

    def bodies(self, msg: Outgoing) -> list[dict[str, Any]]:
        tags = " ".join(f"<@{m}>" for m in msg.mention_user_ids)
        text = f"{msg.text}\n{tags}" if tags else msg.text
        return [{"markdown": part} for part in split_text(text, STREAM_BYTES)]

    async def send_body(
        self, chat_id: str, secret: str, body: dict[str, Any], key: str, now: datetime
    ) -> SendResult:
        return await self.connection.send_markdown(chat_id, body["markdown"])


class WecomLinkApp:
    """One-to-one pushes over the long connection (aibot_send_msg, chatid = the person's userid), used when no
    WeCom self-built app is configured. No dedupe on this channel: a send cut off mid-way is never repeated."""

    platform = "wecom"
    backoff_seconds = 60
    dedupe = timedelta(0)
    per_hour = PER_HOUR  # WeCom's cap on messages to one member an hour, kept on this channel too

    def __init__(self, link: GroupMessenger, clock: Clock) -> None:
        self.link, self.clock = link, clock

    def bodies(self, user_id: str, msg: Outgoing) -> list[dict[str, Any]]:
        return self.link.bodies(msg)

    async def send(
        self,
        user_id: str,
        msg: Outgoing,
        done: int = 0,
        on_part: Callable[[int], Awaitable[None]] | None = None,
    ) -> SendResult:
        result = SendResult("ok", "0")
        for index, body in enumerate(self.bodies(user_id, msg)[done:], start=done + 1):
            result = await self.link.send_body(user_id, "", body, msg.key, self.clock.now())
            if result.outcome != "ok":
                break
            if on_part is not None:
                await on_part(index)
        return result
