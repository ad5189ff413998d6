"""APScheduler 3.x wiring inside `tuoguan serve`: explicit timezone, stable ids, memory job store.

The database is the source of truth: every fire claims its (job, fire time, school) row first, so
several instances may each run a scheduler and still push once.
"""

from __future__ import annotations

import logging
from datetime import datetime

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.bootstrap import Services
from bot.jobs.registry import JobSpec
from bot.jobs.runner import instance_name, run_job

log = logging.getLogger(__name__)


async def fire(services: Services, spec: JobSpec, instance: str) -> None:
    """Module-level entry the scheduler calls: the fire time is 'now' on the injected clock."""
    at: datetime = services.clock.now()
    await run_job(services, spec, at.replace(second=0, microsecond=0), instance)


def build_scheduler(services: Services, specs: list[JobSpec]) -> AsyncIOScheduler:
    tz = services.settings.school.tz
    scheduler = AsyncIOScheduler(timezone=tz)
    instance = instance_name()
    for spec in specs:
        scheduler.add_job(
            fire,
            trigger=spec.trigger(tz),
            args=[services, spec, instance],
            id=spec.name,
            name=spec.name,
            replace_existing=True,
            coalesce=True,
            max_instances=1,
            misfire_grace_time=60,
        )
    return scheduler
