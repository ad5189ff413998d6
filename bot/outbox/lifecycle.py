"""Runs the outbox worker alongside the web server; drained and stopped on shutdown."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable

import aiohttp
from aiohttp import web

from bot.bootstrap import Services
from bot.jobs.runner import instance_name
from bot.outbox.links import DingtalkAppLink, WecomLink
from bot.outbox.worker import OutboxWorker

# Group links a long connection offers the worker (e.g. "wecom": WecomLink), set up before the outbox starts.
LINKS: web.AppKey[dict[str, WecomLink | DingtalkAppLink]] = web.AppKey("outbox_links")


def outbox_ctx(services: Services) -> Callable[[web.Application], AsyncIterator[None]]:
    async def ctx(app: web.Application) -> AsyncIterator[None]:
        stop = asyncio.Event()
        async with aiohttp.ClientSession() as http:
            worker = OutboxWorker(services.db, services.settings, services.clock, http, services.metrics,
                                  instance=instance_name())
            if LINKS in app:
                links: dict[str, WecomLink | DingtalkAppLink] = app[LINKS]
                worker.links.update(links)
            task = asyncio.create_task(worker.run(stop))
            try:
                yield
            finally:
                stop.set()
                await task

    return ctx
