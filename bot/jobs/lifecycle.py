"""Starts the scheduler with the server: catch up today's missed fires, then run on schedule."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable

from aiohttp import web

from bot.jobs import build_jobs
from bot.jobs.registry import JobDeps
from bot.jobs.runner import catch_up
from bot.jobs.scheduler import build_scheduler

log = logging.getLogger(__name__)


def scheduler_ctx(deps: JobDeps) -> Callable[[web.Application], AsyncIterator[None]]:
    """An aiohttp cleanup_ctx: the scheduler lives exactly as long as the web app."""

    async def ctx(app: web.Application) -> AsyncIterator[None]:
        specs = build_jobs()
        for decision in await catch_up(deps, specs):
            log.info("catch-up: %s", decision)
        scheduler = build_scheduler(deps, specs)
        scheduler.start()
        for job in scheduler.get_jobs():
            log.info("job %s next at %s", job.id, job.next_run_time)
        try:
            yield
        finally:
            scheduler.shutdown(wait=True)

    return ctx
