"""The afternoon jobs' one-query scan agrees with the care day's own rules, and its cost does not grow
with the number of classes."""

from __future__ import annotations

from sqlalchemy import event, insert, select

from bot.bootstrap import Services
from bot.jobs.pickup import JOBS
from bot.jobs.runner import run_job
from bot.store.care import guardian_contacts, school_day
from bot.store.care_scan import waiting_children
from bot.store.db import Database
from bot.store.tables import Chat, ClassGroup, School, Student
from tests.conftest import shanghai
from tests.integration.care_day import demo_services, sayer

DAY = shanghai(2026, 11, 23, 8).date()


async def test_scan_matches_the_class_day_rules(db: Database) -> None:
    services = await demo_services(db)
    say = sayer(services)
    await say("parent-li", "请假 今天 发烧", (9, 0))  # on leave
    await say("parent-liu", "请假 今天", (9, 1))
    await say("parent-liu", "销假 今天", (9, 2))  # a cancelled leave: still expected
    await say("parent-wang", "王小明今天6点10分左右到", (16, 0))  # late notice
    await say("teacher-li", "杨雨涵没来", (16, 21))  # unnotified absence
    await say("teacher-li", "陈思远 已接走", (17, 25))  # confirmed pickup
    await say("parent-zhang-grandma", "孩子我接走了", (17, 26))  # a guardian's claim, unconfirmed
    async with db.transaction() as s:
        school_id = await s.scalar(select(School.id))
        assert school_id is not None
        scanned = await waiting_children(s, school_id, DAY)
        days = await school_day(s, school_id, DAY)
        # A guardian's unconfirmed claim stays on the lists (marked claimed) until a teacher confirms.
        expected = [(cid, k) for cid, d in days.items() for k in d.waiting()]
        contacts = await guardian_contacts(s, [k.id for _, k in expected])
    assert [(c.id, c.name, c.class_group_id) for c in scanned] == [(k.id, k.name, cid) for cid, k in expected]
    assert [c.child for c in scanned] == [k for _, k in expected]  # the class day's own Child, grade and all
    names = {c.name for c in scanned}
    assert "李华" not in names and "陈思远" not in names and "杨雨涵" not in names and "刘洋" in names
    for child in scanned:
        plan = days[child.class_group_id].plans.get(child.id)
        assert child.expected_time == (plan.expected_time if plan else None)
        assert child.guardians == contacts.get(child.id, [])
        assert child.claimed == (child.id in days[child.class_group_id].pickups)
    assert [c.name for c in scanned if c.claimed] == ["张一一"]
    assert any(c.expected_time is not None for c in scanned)  # 王小明's 18:10
    assert any(g.user_ids for c in scanned for g in c.guardians)


async def _late_pickup(db: Database, services: Services, day: int) -> tuple[int, str]:
    """One late-pickup fire at 17:45 on 2026-11-`day`: (SQL statements, the fire's summary)."""
    at = shanghai(2026, 11, day, 17, 45)
    services.clock.instant = at  # type: ignore[attr-defined]
    statements: list[str] = []

    def count(*args: object) -> None:
        statements.append("x")

    event.listen(db.engine.sync_engine, "before_cursor_execute", count)
    try:
        results = await run_job(services, JOBS[1], at)
    finally:
        event.remove(db.engine.sync_engine, "before_cursor_execute", count)
    assert results[0].status == "done"
    return len(statements), results[0].detail


async def test_late_pickup_statements_do_not_grow_with_classes(db: Database) -> None:
    services = await demo_services(db)
    few, detail = await _late_pickup(db, services, 23)
    assert detail.startswith("晚接提醒 ")
    async with db.transaction() as s:
        school_id = await s.scalar(select(School.id))
        await s.execute(
            insert(ClassGroup), [{"school_id": school_id, "name": f"扩{c}班", "grade": 3} for c in range(40)]
        )
        classes = (await s.scalars(select(ClassGroup.id).where(ClassGroup.name.startswith("扩")))).all()
        await s.execute(
            insert(Chat),
            [
                {
                    "class_group_id": c,
                    "platform": "wecom",
                    "chat_id": f"x-{c}",
                    "webhook": f"k-{c}",
                    "webhook_secret": "",
                }
                for c in classes
            ],
        )
        await s.execute(
            insert(Student),
            [
                {"school_id": school_id, "student_no": f"X{c}-{i}", "name": f"扩生{i}", "class_group_id": c}
                for c in classes
                for i in range(3)
            ],
        )
    many, detail = await _late_pickup(db, services, 24)  # the next school day: a new fire, 120 more late
    late = int(detail.split()[1].rstrip("人,"))
    assert late >= 120
    assert many == few
