"""Runs the outbox worker alongside the web server; drained and stopped on shutdown."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable

import aiohttp
from aiohttp import web

from bot.background import instance_name, running
from bot.clock import Clock
from bot.metrics import Metrics
from bot.outbox.worker import OutboxWorker
from bot.platforms.base import GroupMessenger
from bot.platforms.registry import build_messengers
from bot.settings import Settings
from bot.store.db import Database

# Links a long connection offers the outbox, by platform (e.g. the WeCom AI bot's), set up before it starts.
LINKS: web.AppKey[dict[str, GroupMessenger]] = web.AppKey("outbox_links")


def outbox_ctx(
    db: Database, settings: Settings, clock: Clock, metrics: Metrics
) -> Callable[[web.Application], AsyncIterator[None]]:
    async def ctx(app: web.Application) -> AsyncIterator[None]:
        async with aiohttp.ClientSession() as http:
            messengers = build_messengers(http, clock, settings)  # the registry, by platform
            for platform, link in app.get(LINKS, {}).items():
                messengers[platform].attach(link)
            worker = OutboxWorker(
                db, settings, clock, http, metrics, instance=instance_name(), messengers=messengers
            )
            async with running(worker.run):
                yield

    return ctx
