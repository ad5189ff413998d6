"""Group pushes without a custom robot: over the WeCom AI bot's long connection (aibot_send_msg) or through
the DingTalk app robot (groupMessages/send). They speak the robots' interface (bodies, send_body), the chat's
群ID standing where a robot's address would.

A class whose roster row names a custom-robot 推送地址 keeps using that robot; a class with a 群ID and no
推送地址 uses these when its platform has one configured.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any

from bot.clock import Clock
from bot.outbox.robots import Outgoing, SendResult
from bot.outbox.split import split_text
from bot.platforms.dingtalk_openapi import DingtalkAppRobot
from bot.platforms.wecom_ws import STREAM_BYTES, WecomLongConnection


class WecomLink:
    """aibot_send_msg over the live connection; markdown, mentions as <@userid>; no images on this channel."""

    backoff_seconds = 60

    def __init__(self, connection: WecomLongConnection) -> None:
        self.connection = connection

    def bodies(self, msg: Outgoing) -> list[dict[str, Any]]:
        tags = " ".join(f"<@{m}>" for m in msg.mention_user_ids)
        text = f"{msg.text}\n{tags}" if tags else msg.text
        return [{"markdown": part} for part in split_text(text, STREAM_BYTES)]

    async def send_body(self, chat_id: str, secret: str, body: dict[str, Any], key: str, now: datetime) -> SendResult:
        return await self.connection.send_markdown(chat_id, body["markdown"])


class WecomLinkApp:
    """One-to-one pushes over the long connection (aibot_send_msg, chatid = the person's userid), used when no
    WeCom self-built app is configured. No dedupe on this channel: a send cut off mid-way is never repeated."""

    platform = "wecom"
    backoff_seconds = 60
    dedupe = timedelta(0)

    def __init__(self, link: WecomLink, clock: Clock) -> None:
        self.link, self.clock = link, clock

    def bodies(self, user_id: str, msg: Outgoing) -> list[dict[str, Any]]:
        return self.link.bodies(msg)

    async def send(self, user_id: str, msg: Outgoing, done: int = 0,
                   on_part: Callable[[int], Awaitable[None]] | None = None) -> SendResult:
        result = SendResult("ok", "0")
        for index, body in enumerate(self.bodies(user_id, msg)[done:], start=done + 1):
            result = await self.link.send_body(user_id, "", body, msg.key, self.clock.now())
            if result.outcome != "ok":
                break
            if on_part is not None:
                await on_part(index)
        return result


class DingtalkAppLink:
    """groupMessages/send with the app robot (openConversationId = the class's 群ID)."""

    backoff_seconds = 600

    def __init__(self, robot: DingtalkAppRobot) -> None:
        self.robot = robot

    def bodies(self, msg: Outgoing) -> list[dict[str, Any]]:
        return self.robot.group_bodies("", msg)

    async def send_body(self, chat_id: str, secret: str, body: dict[str, Any], key: str, now: datetime) -> SendResult:
        return await self.robot.send_group_body({**body, "openConversationId": chat_id})
