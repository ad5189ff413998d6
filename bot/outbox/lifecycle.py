"""Runs the outbox worker alongside the web server; drained and stopped on shutdown."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable

import aiohttp
from aiohttp import web

from bot.bootstrap import Services
from bot.jobs.runner import instance_name
from bot.outbox.worker import OutboxWorker


def outbox_ctx(services: Services) -> Callable[[web.Application], AsyncIterator[None]]:
    async def ctx(app: web.Application) -> AsyncIterator[None]:
        stop = asyncio.Event()
        async with aiohttp.ClientSession() as http:
            worker = OutboxWorker(services.db, services.settings, services.clock, http, services.metrics,
                                  instance=instance_name())
            task = asyncio.create_task(worker.run(stop))
            try:
                yield
            finally:
                stop.set()
                await task

    return ctx
