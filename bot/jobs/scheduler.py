"""APScheduler 3.x wiring inside `tuoguan serve`: explicit timezone, stable ids, memory job store.

The database is the source of truth: every fire claims its (job, fire time, school) row first, so
several instances may each run a scheduler and still push once.
"""

from __future__ import annotations

import logging
from datetime import datetime

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.background import instance_name
from bot.jobs.registry import JobDeps, JobSpec
from bot.jobs.runner import run_job

log = logging.getLogger(__name__)


async def fire(deps: JobDeps, spec: JobSpec, instance: str) -> None:
    """Module-level entry the scheduler calls: the fire time is 'now' on the injected clock."""
    at: datetime = deps.clock.now()
    await run_job(deps, spec, at.replace(second=0, microsecond=0), instance)


def build_scheduler(deps: JobDeps, specs: list[JobSpec]) -> AsyncIOScheduler:
    tz = deps.settings.school.tz
    scheduler = AsyncIOScheduler(timezone=tz)
    instance = instance_name()
    for spec in specs:
        scheduler.add_job(
            fire,
            trigger=spec.trigger(tz),
            args=[deps, spec, instance],
            id=spec.name,
            name=spec.name,
            replace_existing=True,
            coalesce=True,
            max_instances=1,
            misfire_grace_time=60,
        )
    return scheduler
