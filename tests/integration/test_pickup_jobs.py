"""pickup-reminder and late-pickup on a normal day, a holiday, a make-up workday in summer time,
with a child on leave, a late notice, a pickup, two instances racing, and a restart."""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Any

import pytest
from sqlalchemy import select

from bot.jobs.pickup import JOBS
from bot.jobs.runner import catch_up, run_job
from bot.store.db import Database
from bot.store.outbox_tables import OutboxMessage
from tests.conftest import shanghai
from tests.integration.care_day import demo_services, sayer

REMINDER, LATE = JOBS


async def outbox(db: Database, prefix: str) -> list[OutboxMessage]:
    async with db.transaction() as s:
        rows = (
            await s.scalars(
                select(OutboxMessage).where(OutboxMessage.key.startswith(prefix)).order_by(OutboxMessage.id)
            )
        ).all()
    return list(rows)


async def fire(services: Any, spec: Any, at: datetime) -> Any:
    services.clock.instant = at
    return await run_job(services, spec, at)


async def test_normal_day(db: Database) -> None:
    services = await demo_services(db)
    say = sayer(services)
    await say("parent-li", "请假 今天 发烧", (9, 0))  # on leave: not reminded
    await say("parent-wang", "王小明今天6点10分左右到", (16, 0))  # late notice covers the reminder
    await say("teacher-li", "陈思远 已接走", (17, 5))  # already gone
    results = await fire(services, REMINDER, shanghai(2026, 11, 23, 17, 10))
    assert results[0].detail == "未到提醒时间"
    await fire(services, REMINDER, shanghai(2026, 11, 23, 17, 15))
    reminders = await outbox(db, "pickup-reminder")
    assert len(reminders) == 2  # one per class group
    mentions = {u for r in reminders for u in r.mentions["user_ids"]}
    assert "parent-li" not in mentions and "parent-chen" not in mentions and "parent-wang" in mentions
    # parent-wang is mentioned for 王小红 in 五年级1班, not for 王小明 (late notice) in 三年级2班
    class32 = next(r for r in reminders if "三年级2班" in r.text)
    assert "parent-wang" not in class32.mentions["user_ids"]
    assert all("发烧" not in r.text for r in reminders)

    await fire(services, LATE, shanghai(2026, 11, 23, 17, 40))  # 17:30 + 10 min grace
    alerts = await outbox(db, "late-pickup")
    group = [a for a in alerts if a.chat_ref]
    assert group and all(a.state == "queued" for a in group)
    assert not any("王小明" in a.text for a in group)  # expected at 18:10, not late yet
    assert not any("陈思远" in a.text or "李华" in a.text for a in group)
    assert any(a.staff_id for a in alerts)  # the care teacher hears too
    assert await outbox(db, "late-escalation") == []
    await say("teacher-li", "全部已接走", (17, 50))
    await fire(services, LATE, shanghai(2026, 11, 23, 18, 0))  # 30 min: only 五年级1班 is still waiting
    escalation = await outbox(db, "late-escalation")
    assert len(escalation) == 1 and escalation[0].staff_id is not None
    assert "五年级1班" in escalation[0].text and "三年级2班" not in escalation[0].text
    assert "13800011111" in escalation[0].text  # phones go to the principal only
    assert all("1380" not in a.text for a in await outbox(db, "late-pickup") if a.chat_ref)


async def test_holiday_does_nothing(db: Database) -> None:
    services = await demo_services(db)
    results = await fire(services, REMINDER, shanghai(2026, 10, 1, 17, 15))
    assert results[0].status == "skipped" and "法定节假日" in results[0].detail
    assert await outbox(db, "pickup") == []


async def test_make_up_workday_in_summer_time(db: Database) -> None:
    from datetime import date

    import chinese_calendar

    if not chinese_calendar.is_workday(date(2026, 9, 20)):
        pytest.skip("2026-09-20 is not a make-up workday in this chinese-calendar")
    services = await demo_services(db)
    assert (await fire(services, REMINDER, shanghai(2026, 9, 20, 17, 15)))[0].detail == "未到提醒时间"
    await fire(services, REMINDER, shanghai(2026, 9, 20, 17, 45))  # summer: care ends 18:00
    reminders = await outbox(db, "pickup-reminder")
    assert len(reminders) == 2 and "18:00" in reminders[0].text


async def test_two_instances_push_once(db: Database) -> None:
    services = await demo_services(db)
    at = shanghai(2026, 11, 23, 17, 15)
    services.clock.instant = at
    await asyncio.gather(run_job(services, REMINDER, at, "a"), run_job(services, REMINDER, at, "b"))
    assert len(await outbox(db, "pickup-reminder")) == 2


async def test_restart_catches_up_late_alerts_but_not_reminders(db: Database) -> None:
    services = await demo_services(db)
    services.clock.instant = shanghai(2026, 11, 23, 17, 52)  # the bot was down from 17:00
    decisions = await catch_up(services, JOBS)
    assert any(d.startswith("late-pickup") and "补执行" in d for d in decisions)
    assert any(d.startswith("pickup-reminder") and "跳过" in d for d in decisions)
    assert await outbox(db, "pickup-reminder") == []
    assert await outbox(db, "late-pickup")
    before = len(await outbox(db, "late-pickup"))
    await catch_up(services, JOBS)  # a second restart adds nothing
    assert len(await outbox(db, "late-pickup")) == before
