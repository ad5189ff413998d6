"""Runs the outbox worker alongside the web server; drained and stopped on shutdown."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable

import aiohttp
from aiohttp import web

from bot.background import running
from bot.bootstrap import Services
from bot.jobs.runner import instance_name
from bot.outbox.worker import OutboxWorker
from bot.platforms.base import GroupMessenger
from bot.platforms.registry import build_messengers

# Links a long connection offers the outbox, by platform (e.g. the WeCom AI bot's), set up before it starts.
LINKS: web.AppKey[dict[str, GroupMessenger]] = web.AppKey("outbox_links")


def outbox_ctx(services: Services) -> Callable[[web.Application], AsyncIterator[None]]:
    async def ctx(app: web.Application) -> AsyncIterator[None]:
        async with aiohttp.ClientSession() as http:
            messengers = build_messengers(http, services.clock, services.settings)  # the registry, by platform
            for platform, link in app.get(LINKS, {}).items():
                messengers[platform].attach(link)
            worker = OutboxWorker(services.db, services.settings, services.clock, http, services.metrics,
                                  instance=instance_name(), messengers=messengers)
            async with running(worker.run):
                yield

    return ctx
