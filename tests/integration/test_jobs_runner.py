"""The job runner: claims once across instances, skips days without care, catches up misfires."""

from __future__ import annotations

import asyncio
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from bot.bootstrap import bootstrap
from bot.clock import FixedClock
from bot.jobs.registry import JobContext, JobSpec, never_late, same_evening
from bot.jobs.runner import catch_up, run_job
from bot.settings import load_settings
from bot.store.calendar import add_entry
from bot.store.calendar_tables import JobRun
from bot.store.db import Database
from tests.conftest import shanghai
from tests.integration.seed import seed_tiny_school

MONDAY = shanghai(2026, 11, 23, 17, 15)


def counting_job(calls: list[str], **kwargs: object) -> JobSpec:
    async def run(ctx: JobContext) -> str:
        calls.append(f"{ctx.school_id}@{ctx.at:%m-%d %H:%M}")
        await asyncio.sleep(0)
        return "1 条"

    return JobSpec(
        name="test-job",
        summary="测试",
        cron={"day_of_week": "mon-fri", "hour": 17, "minute": 15},
        run=run,
        **kwargs,
    )  # type: ignore[arg-type]


@pytest.fixture
async def services(db: Database):  # type: ignore[no-untyped-def]
    await seed_tiny_school(db)
    return bootstrap(load_settings(), clock=FixedClock(MONDAY), db=db)


async def test_runs_once_per_fire_even_when_two_instances_race(services) -> None:  # type: ignore[no-untyped-def]
    calls: list[str] = []
    spec = counting_job(calls)
    results = await asyncio.gather(
        run_job(services, spec, MONDAY, instance="a"), run_job(services, spec, MONDAY, instance="b")
    )
    statuses = sorted(r.status for batch in results for r in batch)
    assert statuses == ["done", "taken"]
    assert len(calls) == 1
    # A third try later (e.g. a restart) does nothing either.
    assert [r.status for r in await run_job(services, spec, MONDAY, instance="c")] == ["taken"]
    assert len(calls) == 1


@pytest.mark.parametrize(
    ("day", "has_care"),
    [
        (shanghai(2026, 11, 23, 17, 15), True),  # an ordinary Monday
        (shanghai(2026, 11, 22, 17, 15), False),  # Sunday
        (shanghai(2026, 10, 1, 17, 15), False),  # National Day holiday, a Thursday
        (shanghai(2026, 9, 20, 17, 15), True),  # make-up workday (Sunday 调休) before National Day
    ],
)
async def test_days_without_care_do_nothing(services, day, has_care) -> None:  # type: ignore[no-untyped-def]
    import chinese_calendar

    if day.date() == date(2026, 9, 20) and not chinese_calendar.is_workday(day.date()):
        pytest.skip("chinese-calendar lists another make-up day for 2026")
    calls: list[str] = []
    results = await run_job(services, counting_job(calls), day)
    assert (results[0].status == "done") is has_care
    assert bool(calls) is has_care
    if not has_care:
        assert "没有托管" in results[0].detail


async def test_school_closure_and_term_dates(services) -> None:  # type: ignore[no-untyped-def]
    async with services.db.transaction() as s:
        await add_entry(s, 1, "学期", date(2026, 9, 1), date(2027, 1, 20), "秋季学期")
        await add_entry(s, 1, "停课", date(2026, 11, 23), date(2026, 11, 23), "运动会")
    calls: list[str] = []
    results = await run_job(services, counting_job(calls), MONDAY)
    assert results[0].detail == "今天没有托管(学校停课)" and not calls
    after_term = shanghai(2027, 1, 25, 17, 15)
    results = await run_job(services, counting_job(calls), after_term)
    assert "不在学期内" in results[0].detail and not calls


async def test_a_dead_instance_claim_is_taken_over_after_the_lease(services) -> None:  # type: ignore[no-untyped-def]
    async with services.db.transaction() as s:
        s.add(JobRun(job="test-job", fire_time=MONDAY, school_id=1, instance="dead", started_at=MONDAY))
    calls: list[str] = []
    spec = counting_job(calls)
    assert [r.status for r in await run_job(services, spec, MONDAY)] == ["taken"]
    services.clock.advance(minutes=11)
    assert [r.status for r in await run_job(services, spec, MONDAY)] == ["done"]
    assert len(calls) == 1


async def test_catch_up_runs_useful_misfires_and_skips_stale_ones(services) -> None:  # type: ignore[no-untyped-def]
    services.clock.instant = MONDAY + timedelta(minutes=40)  # the bot was down at 17:15
    calls: list[str] = []
    alert = counting_job(calls, still_useful=same_evening)
    decisions = await catch_up(services, [alert])
    assert decisions == ["test-job 2026-11-23T17:15:00+08:00: 补执行"]
    assert calls == ["1@11-23 17:15"]
    assert await catch_up(services, [alert]) == []  # already recorded: nothing more

    reminder_calls: list[str] = []
    reminder = JobSpec(
        name="reminder",
        summary="提醒",
        cron={"hour": 17, "minute": 15},
        run=counting_job(reminder_calls).run,
        still_useful=never_late,
    )
    decisions = await catch_up(services, [reminder])
    assert decisions == ["reminder 2026-11-23T17:15:00+08:00: 已过时,跳过"]
    assert reminder_calls == []


async def test_failed_job_is_recorded(services) -> None:  # type: ignore[no-untyped-def]
    async def boom(ctx: JobContext) -> str:
        raise RuntimeError("bug")

    spec = JobSpec(name="boom", summary="", cron={"hour": 17}, run=boom)
    assert [r.status for r in await run_job(services, spec, MONDAY)] == ["failed"]
    async with services.db.transaction() as s:
        assert (await s.scalar(select(JobRun.status).where(JobRun.job == "boom"))) == "failed"
