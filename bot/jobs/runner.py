"""Running a job: per school, skip days without care, claim the fire, run, record; catch up misfires."""

from __future__ import annotations

import logging
import os
import socket
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.bootstrap import Services
from bot.jobs.registry import JobContext, JobSpec
from bot.store.calendar import claim_fire, finish_fire, fire_recorded, school_calendar, school_ids
from bot.store.db import is_transient, retry_transient

log = logging.getLogger(__name__)


def instance_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


@dataclass(frozen=True)
class FireResult:
    school_id: int
    status: str  # done | skipped | taken | failed
    detail: str

    def render(self) -> str:
        return f"学校#{self.school_id}: {self.status} {self.detail}".rstrip()


async def run_job(services: Services, spec: JobSpec, at: datetime, instance: str | None = None) -> list[FireResult]:
    """One fire of `spec` at `at` for every school; each school's fire is claimed once across instances."""
    instance = instance or instance_name()
    tz = services.settings.school.tz
    at = at.astimezone(tz)

    async def schools_now() -> list[int]:
        async with services.db.transaction() as session:
            return list(await school_ids(session))

    schools = await retry_transient(schools_now, services.settings.database.retry_seconds, f"job {spec.name}")
    results = []
    for school_id in schools:
        result = await _run_for_school(services, spec, at, school_id, instance)
        services.metrics.job_runs.labels(spec.name, result.status).inc()
        results.append(result)
    if not schools:
        log.info("job %s at %s: no school loaded, nothing to do", spec.name, at.isoformat())
    return results


async def _run_for_school(
    services: Services, spec: JobSpec, at: datetime, school_id: int, instance: str
) -> FireResult:
    """One school's fire; tried again while the database is away (a restart at 17:15 must not lose the reminder)."""
    return await retry_transient(lambda: _fire_for_school(services, spec, at, school_id, instance),
                                 services.settings.database.retry_seconds,
                                 f"job {spec.name} at {at.isoformat()} school {school_id}")


async def _fire_for_school(
    services: Services, spec: JobSpec, at: datetime, school_id: int, instance: str
) -> FireResult:
    now = services.clock.now()
    if not await claim_fire(services.db, spec.name, at, school_id, instance, now, spec.lease):
        log.info("job %s at %s school %s: already claimed by another run", spec.name, at.isoformat(), school_id)
        return FireResult(school_id, "taken", "已由其他实例执行")
    async with services.db.transaction() as session:
        calendar = await school_calendar(session, school_id)
    if spec.care_days_only and not calendar.is_care_day(at.date()):
        reason = calendar.why_not(at.date())
        log.info("job %s at %s school %s: no care today (%s), nothing pushed", spec.name, at.isoformat(), school_id, reason)
        await finish_fire(services.db, spec.name, at, school_id, "skipped", f"今天没有托管({reason})", services.clock.now())
        return FireResult(school_id, "skipped", f"今天没有托管({reason})")
    ctx = JobContext(services, school_id, at, calendar)
    try:
        detail = await spec.run(ctx)
        await store_job_pushes(services, ctx)
    except Exception as exc:
        if is_transient(exc):
            raise  # not the job's fault: the whole fire is tried again (its pushes are idempotent by key)
        log.exception("job %s at %s school %s failed", spec.name, at.isoformat(), school_id)
        await finish_fire(services.db, spec.name, at, school_id, "failed", "执行出错,见日志", services.clock.now())
        return FireResult(school_id, "failed", "执行出错,见日志")
    await finish_fire(services.db, spec.name, at, school_id, "done", detail, services.clock.now())
    log.info("job %s at %s school %s done: %s", spec.name, at.isoformat(), school_id, detail)
    return FireResult(school_id, "done", detail)


async def store_job_pushes(services: Services, ctx: JobContext) -> None:
    """Write the pushes a fire produced into the durable outbox (keys make a re-run harmless)."""
    if ctx.pushes:
        async with services.db.unit_of_work() as uow:
            await uow.outbox.add(ctx.pushes, services.clock.now())


async def catch_up(services: Services, specs: list[JobSpec], now: datetime | None = None) -> list[str]:
    """On start: for fires missed today while the bot was down, run those still useful, skip the rest.

    Every decision is logged and returned, one line per missed fire.
    """
    tz = services.settings.school.tz
    now = (now or services.clock.now()).astimezone(tz)
    start_of_day = now.replace(hour=0, minute=0, second=0, microsecond=0)
    async with services.db.transaction() as session:
        schools = await school_ids(session)
    decisions: list[str] = []
    for spec in specs:
        fires = spec.fires_between(start_of_day, now - timedelta(seconds=1), tz)
        for fire in fires[-1:] if spec.coalesce else fires:
            missing = [s for s in schools if not await fire_recorded(services.db, spec.name, fire, s)]
            if not missing:
                continue
            if spec.still_useful(fire, now):
                decisions.append(f"{spec.name} {fire.isoformat()}: 补执行")
                log.info("misfire %s at %s: still useful, running now", spec.name, fire.isoformat())
                await run_job(services, spec, fire)
            else:
                decisions.append(f"{spec.name} {fire.isoformat()}: 已过时,跳过")
                log.info("misfire %s at %s: no longer useful, skipped", spec.name, fire.isoformat())
    return decisions
