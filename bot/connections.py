"""Long connections started with the server (WeCom AI bot, DingTalk Stream): one cleanup_ctx per client, each a
tracked task stopped and drained on shutdown. They are handed a `receive` callable; they never import the
pipeline. The WeCom connection also carries the group pushes of chats without a custom robot (the outbox).
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import AsyncIterator, Callable

import aiohttp
from aiohttp import web

from bot.background import instance_name, running
from bot.bootstrap import Services
from bot.domain.messages import Receive
from bot.outbox.lifecycle import LINKS
from bot.platforms.dingtalk.openapi import DingtalkAppRobot
from bot.platforms.dingtalk.stream import DingtalkReplies, DingtalkStream
from bot.platforms.wecom.link import WecomLink
from bot.platforms.wecom.long_connection import WecomLongConnection
from bot.settings import Settings
from bot.store.leases import DbLease

log = logging.getLogger(__name__)

Ctx = Callable[[web.Application], AsyncIterator[None]]


def planned(settings: Settings) -> list[str]:
    """The long connections this configuration opens, in words for the console."""
    lines = []
    if settings.wecom.long_connection:
        lines.append(f"企业微信智能机器人长连接 {settings.wecom.ws_url} (bot_id {settings.wecom.bot_id})")
    if settings.dingtalk.stream:
        lines.append(
            f"钉钉 Stream 长连接 {settings.dingtalk.openapi_base} (app_key {settings.dingtalk.app_key})"
        )
    return lines


def _wecom_ctx(services: Services, receive: Receive) -> Ctx:
    settings = services.settings.wecom

    async def ctx(app: web.Application) -> AsyncIterator[None]:
        async with aiohttp.ClientSession() as http:
            lease = DbLease(
                services.db,
                services.clock,
                f"wecom-bot:{settings.bot_id}"[:64],
                f"{instance_name()}:{uuid.uuid4().hex[:8]}",
                settings.lease_seconds,
            )
            client = WecomLongConnection(http, settings, receive, services.clock, lease)
            app[LINKS]["wecom"] = WecomLink(client)
            async with running(client.run):
                yield

    return ctx


def _dingtalk_ctx(services: Services, receive: Receive) -> Ctx:
    settings = services.settings.dingtalk

    async def ctx(app: web.Application) -> AsyncIterator[None]:
        async with aiohttp.ClientSession() as http:
            robot = DingtalkAppRobot(http, services.clock, settings)
            client = DingtalkStream(
                http,
                settings,
                receive,
                services.clock,
                DingtalkReplies(http, settings, robot, services.clock),
            )
            async with running(client.run):
                yield

    return ctx


def setup_connections(app: web.Application, services: Services) -> list[str]:
    """Add a cleanup_ctx per configured long connection (before the outbox's); what will be opened."""
    app[LINKS] = {}
    receive = services.inbox.receive  # stored before any acknowledgement; handled and answered from there
    if services.settings.wecom.long_connection:
        app.cleanup_ctx.append(_wecom_ctx(services, receive))
    if services.settings.dingtalk.stream:
        app.cleanup_ctx.append(_dingtalk_ctx(services, receive))
    return planned(services.settings)
