"""The real APScheduler on the wall clock, moved with time-machine: every job fires at its time on a normal day,
does nothing on a holiday, runs on a make-up workday and in summer time, respects leave and late notices,
pushes once with two instances, and catches up after a restart in the middle of the afternoon."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest
import time_machine
from sqlalchemy import select

from bot.bootstrap import Services, bootstrap
from bot.clock import FixedClock, SystemClock
from bot.demo import CHAT_32, load_demo
from bot.domain.messages import IncomingMessage, Platform
from bot.jobs import build_jobs
from bot.jobs.runner import catch_up
from bot.jobs.scheduler import build_scheduler
from bot.settings import load_settings
from bot.store.calendar_tables import JobRun
from bot.store.db import Database
from bot.store.outbox_tables import OutboxMessage
from tests.conftest import shanghai

LEAD = timedelta(milliseconds=600)  # the scheduler starts this long before the fire time


@pytest.fixture
def traveller() -> Iterator[Any]:
    with time_machine.travel(shanghai(2026, 11, 23, 8), tick=True) as t:
        yield t


async def wall_clock_services(db: Database) -> Services:
    settings = load_settings()
    await load_demo(db, settings, FixedClock(shanghai(2026, 9, 1, 8)))
    return bootstrap(settings, clock=SystemClock(), db=db)


async def say(services: Services, traveller: Any, user: str, text: str, at: datetime, msg_id: str) -> None:
    traveller.move_to(at)
    msg = IncomingMessage(Platform.WECOM, CHAT_32, user, text, msg_id, services.clock.now())
    await services.pipeline.handle_message(msg)


def same_instant(stored: datetime, at: datetime) -> bool:
    """PostgreSQL gives the fire time back aware; SQLite keeps the school-local wall time without offset."""
    return stored == at if stored.tzinfo else stored == at.replace(tzinfo=None)


async def runs(db: Database, job: str) -> list[JobRun]:
    async with db.transaction() as s:
        return list((await s.scalars(select(JobRun).where(JobRun.job == job).order_by(JobRun.id))).all())


async def pushes(db: Database, prefix: str) -> list[OutboxMessage]:
    async with db.transaction() as s:
        return list(
            (
                await s.scalars(
                    select(OutboxMessage)
                    .where(OutboxMessage.key.startswith(prefix))
                    .order_by(OutboxMessage.id)
                )
            ).all()
        )


async def fire_with_schedulers(
    services: Services, traveller: Any, job: str, at: datetime, instances: int = 1
) -> JobRun:
    """Start `instances` schedulers just before `at`, wait for the fire to be recorded as finished, stop them."""
    spec = next(s for s in build_jobs() if s.name == job)
    traveller.move_to(at - LEAD)
    schedulers = [build_scheduler(services, [spec]) for _ in range(instances)]
    for scheduler in schedulers:
        scheduler.start()
    try:
        for _ in range(100):
            await asyncio.sleep(0.05)
            done = [
                r
                for r in await runs(services.db, job)
                if r.finished_at is not None and same_instant(r.fire_time, at)
            ]
            if done:
                await asyncio.sleep(0.2)  # let a racing second instance finish its attempt
                return done[-1]
        raise AssertionError(f"{job} did not fire at {at}")
    finally:
        for scheduler in schedulers:
            scheduler.shutdown(wait=False)


async def test_reminder_on_a_normal_day_skips_leave_and_late_notice(db: Database, traveller: Any) -> None:
    services = await wall_clock_services(db)
    await say(services, traveller, "parent-li", "请假 今天 发烧", shanghai(2026, 11, 23, 9), "m1")
    await say(services, traveller, "parent-wang", "王小明今天6点10分左右到", shanghai(2026, 11, 23, 16), "m2")
    run = await fire_with_schedulers(services, traveller, "pickup-reminder", shanghai(2026, 11, 23, 17, 15))
    assert run.status == "done" and run.detail == "提醒 2 个班"
    reminders = await pushes(db, "pickup-reminder")
    class32 = next(r for r in reminders if "三年级2班" in r.text)
    assert (
        "parent-li" not in class32.mentions["user_ids"] and "parent-wang" not in class32.mentions["user_ids"]
    )
    assert "parent-chen" in class32.mentions["user_ids"]


async def test_holiday_fires_but_does_nothing(db: Database, traveller: Any) -> None:
    services = await wall_clock_services(db)
    run = await fire_with_schedulers(services, traveller, "late-pickup", shanghai(2026, 10, 1, 17, 40))
    assert run.status == "skipped" and "法定节假日" in run.detail
    assert await pushes(db, "late-pickup") == []


async def test_make_up_workday_in_summer_time(db: Database, traveller: Any) -> None:
    services = await wall_clock_services(db)
    # Saturday 20 September 2026 is a make-up workday; September is summer time: care ends at 18:00.
    early = await fire_with_schedulers(services, traveller, "pickup-reminder", shanghai(2026, 9, 20, 17, 15))
    assert early.status == "done" and early.detail == "未到提醒时间"
    run = await fire_with_schedulers(services, traveller, "pickup-reminder", shanghai(2026, 9, 20, 17, 45))
    assert run.status == "done" and run.detail == "提醒 2 个班"
    assert all("18:00" in p.text for p in await pushes(db, "pickup-reminder"))


async def test_daily_summary_and_family_call_fire_once_with_two_instances(
    db: Database, traveller: Any
) -> None:
    services = await wall_clock_services(db)
    run = await fire_with_schedulers(
        services, traveller, "daily-summary", shanghai(2026, 11, 23, 18, 30), instances=2
    )
    assert run.status == "done"
    assert len(await runs(db, "daily-summary")) == 1 and len(await pushes(db, "daily-summary")) == 1
    run = await fire_with_schedulers(
        services, traveller, "family-call", shanghai(2026, 12, 1, 9), instances=2
    )
    assert run.status == "done" and "私信 1 位家长" in run.detail
    assert len(await pushes(db, "family-call:2026-12:prompt")) == 2


async def test_restart_in_the_middle_of_the_afternoon(db: Database, traveller: Any) -> None:
    services = await wall_clock_services(db)
    await fire_with_schedulers(services, traveller, "late-pickup", shanghai(2026, 11, 23, 17, 40))
    first = await pushes(db, "late-pickup")
    assert first
    # The bot is down from 17:41 to 17:52: the 17:45 and 17:50 fires are missed.
    traveller.move_to(shanghai(2026, 11, 23, 17, 52))
    decisions = await catch_up(
        services, [s for s in build_jobs() if s.name in ("late-pickup", "pickup-reminder")]
    )
    assert any(d.startswith("late-pickup") and "补执行" in d for d in decisions)
    assert any(d.startswith("pickup-reminder") and "跳过" in d for d in decisions)
    fires = [r.fire_time for r in await runs(db, "late-pickup")]
    assert len(fires) == 2 and same_instant(fires[-1], shanghai(2026, 11, 23, 17, 50))
    assert len(await pushes(db, "late-pickup")) == len(first)  # the same children: nothing sent twice
