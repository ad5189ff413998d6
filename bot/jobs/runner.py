"""Running a job: per school, skip days without care, claim the fire, run, record; catch up misfires."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.background import instance_name
from bot.jobs.registry import JobContext, JobDeps, JobSpec
from bot.store.db import is_transient, retry_transient

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class FireResult:
    school_id: int
    status: str  # done | skipped | taken | failed
    detail: str

    def render(self) -> str:
        return f"学校#{self.school_id}: {self.status} {self.detail}".rstrip()


async def _school_ids(deps: JobDeps) -> list[int]:
    async with deps.db.unit_of_work() as uow:
        return await uow.calendar.school_ids()


async def run_job(
    deps: JobDeps, spec: JobSpec, at: datetime, instance: str | None = None
) -> list[FireResult]:
    """One fire of `spec` at `at` for every school; each school's fire is claimed once across instances."""
    instance = instance or instance_name()
    at = at.astimezone(deps.settings.school.tz)
    schools = await retry_transient(
        lambda: _school_ids(deps), deps.settings.database.retry_seconds, f"job {spec.name}"
    )
    results = []
    for school_id in schools:
        result = await _run_for_school(deps, spec, at, school_id, instance)
        deps.metrics.job_runs.labels(spec.name, result.status).inc()
        results.append(result)
    if not schools:
        log.info("job %s at %s: no school loaded, nothing to do", spec.name, at.isoformat())
    return results


async def _run_for_school(
    deps: JobDeps, spec: JobSpec, at: datetime, school_id: int, instance: str
) -> FireResult:
    """One school's fire; tried again while the database is away (a restart at 17:15 must not lose the reminder)."""
    return await retry_transient(
        lambda: _fire_for_school(deps, spec, at, school_id, instance),
        deps.settings.database.retry_seconds,
        f"job {spec.name} at {at.isoformat()} school {school_id}",
    )


async def _fire_for_school(
    deps: JobDeps, spec: JobSpec, at: datetime, school_id: int, instance: str
) -> FireResult:
    now = deps.clock.now()
    async with deps.db.unit_of_work() as uow:
        claimed = await uow.job_runs.claim(spec.name, at, school_id, instance, now, spec.lease)
    if not claimed:
        log.info(
            "job %s at %s school %s: already claimed by another run", spec.name, at.isoformat(), school_id
        )
        return FireResult(school_id, "taken", "已由其他实例执行")
    async with deps.db.unit_of_work() as uow:
        calendar = await uow.calendar.of(school_id)
    if spec.care_days_only and not calendar.is_care_day(at.date()):
        reason = calendar.why_not(at.date())
        log.info(
            "job %s at %s school %s: no care today (%s), nothing pushed",
            spec.name,
            at.isoformat(),
            school_id,
            reason,
        )
        await _finish(deps, spec, at, school_id, "skipped", f"今天没有托管({reason})")
        return FireResult(school_id, "skipped", f"今天没有托管({reason})")
    ctx = JobContext(deps, school_id, at, calendar)
    try:
        detail = await spec.run(ctx)
        async with (
            deps.db.unit_of_work() as uow
        ):  # the fire's pushes, idempotent by key: a re-run is harmless
            await uow.outbox.add(ctx.pushes, deps.clock.now())
    except Exception as exc:
        if is_transient(exc):
            raise  # not the job's fault: the whole fire is tried again (its pushes are idempotent by key)
        log.exception("job %s at %s school %s failed", spec.name, at.isoformat(), school_id)
        await _finish(deps, spec, at, school_id, "failed", "执行出错,见日志")
        return FireResult(school_id, "failed", "执行出错,见日志")
    await _finish(deps, spec, at, school_id, "done", detail)
    log.info("job %s at %s school %s done: %s", spec.name, at.isoformat(), school_id, detail)
    return FireResult(school_id, "done", detail)


async def _finish(
    deps: JobDeps, spec: JobSpec, at: datetime, school_id: int, status: str, detail: str
) -> None:
    async with deps.db.unit_of_work() as uow:
        await uow.job_runs.finish(spec.name, at, school_id, status, detail, deps.clock.now())


async def _recorded(deps: JobDeps, job: str, fire: datetime, school_id: int) -> bool:
    async with deps.db.unit_of_work() as uow:
        return await uow.job_runs.recorded(job, fire, school_id)


async def catch_up(deps: JobDeps, specs: list[JobSpec], now: datetime | None = None) -> list[str]:
    """On start: for fires missed today while the bot was down, run those still useful, skip the rest.

    Every decision is logged and returned, one line per missed fire.
    """
    tz = deps.settings.school.tz
    now = (now or deps.clock.now()).astimezone(tz)
    start_of_day = now.replace(hour=0, minute=0, second=0, microsecond=0)
    schools = await _school_ids(deps)
    decisions: list[str] = []
    for spec in specs:
        fires = spec.fires_between(start_of_day, now - timedelta(seconds=1), tz)
        for fire in fires[-1:] if spec.coalesce else fires:
            missing = [s for s in schools if not await _recorded(deps, spec.name, fire, s)]
            if not missing:
                continue
            if spec.still_useful(fire, now):
                decisions.append(f"{spec.name} {fire.isoformat()}: 补执行")
                log.info("misfire %s at %s: still useful, running now", spec.name, fire.isoformat())
                await run_job(deps, spec, fire)
            else:
                decisions.append(f"{spec.name} {fire.isoformat()}: 已过时,跳过")
                log.info("misfire %s at %s: no longer useful, skipped", spec.name, fire.isoformat())
    return decisions
