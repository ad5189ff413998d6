"""Window close: under-filled courses cancelled with families told; second round only for their children."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from bot.bootstrap import bootstrap
from bot.clock import FixedClock
from bot.settings import load_settings
from bot.store.db import Database
from bot.store.enroll_tables import CourseWindow
from bot.store.outbox_tables import OutboxMessage
from bot.store.tables import Course
from tests.conftest import shanghai
from tests.integration.enroll_factory import sayer, seed

OPEN = shanghai(2026, 9, 1, 8, 0)
CLOSE = shanghai(2026, 9, 5, 18, 0)


async def test_close_cancels_under_filled_and_opens_second_round(db: Database) -> None:
    school = await seed(db, families=4, min_size=2)
    async with db.transaction() as s:
        for cid in school.course_ids.values():
            s.add(CourseWindow(course_id=cid, opens_at=OPEN, closes_at=CLOSE, round=1, reserved_places=0))
    early = sayer(db, OPEN - timedelta(hours=1))
    (u0, _, _), (u1, _, _), (u2, _, _), (u3, _, _) = school.families
    assert "尚未开始" in (await early(u0, "报名 书法")).reply.text
    during = sayer(db, OPEN + timedelta(hours=1))
    await during(u0, "报名 书法")  # 1 < min 2: cancelled
    await during(u1, "报名 篮球")
    await during(u2, "报名 篮球")  # 2 >= min 2: kept
    late = sayer(db, CLOSE + timedelta(minutes=1))
    assert "已截止" in (await late(u0, "报名 篮球")).reply.text

    services = bootstrap(load_settings(), clock=FixedClock(CLOSE), db=db)
    report = await services.use_cases.enrollment.close_enrollment(CLOSE)
    assert "书法" in report and "通知 1 位家长" in report
    assert "没有到期" in await services.use_cases.enrollment.close_enrollment(CLOSE + timedelta(days=10))
    async with db.transaction() as s:
        states = dict((await s.execute(select(Course.name, Course.state))).all())
        keys = list((await s.execute(select(OutboxMessage.key))).scalars())
    assert states == {"书法": "cancelled", "篮球": "open"}
    assert any(k.endswith(":cancelled") for k in keys)

    second = sayer(db, CLOSE + timedelta(days=1))
    assert "已撤班" in (await second(u0, "我的课程")).reply.text
    assert "等待班主任审核" in (await second(u0, "报名 篮球")).reply.text
    assert "仅面向" in (await second(u3, "报名 篮球")).reply.text
    assert "没有可报名的课程" in (await second(u1, "报名 书法")).reply.text


async def test_close_respects_the_hour_across_timezones(db: Database) -> None:
    school = await seed(db, families=1, min_size=2)
    async with db.transaction() as s:
        s.add(
            CourseWindow(
                course_id=school.course_ids["书法"],
                opens_at=OPEN,
                closes_at=CLOSE,
                round=1,
                reserved_places=0,
            )
        )
    services = bootstrap(load_settings(), clock=FixedClock(CLOSE), db=db)
    assert "没有到期" in await services.use_cases.enrollment.close_enrollment(CLOSE - timedelta(hours=1))
    assert "书法" in await services.use_cases.enrollment.close_enrollment(CLOSE)
