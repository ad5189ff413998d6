"""Priority groups (reserved places, earlier window; off by default), grade check, 我的课程 without N+1."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from sqlalchemy import event, select, update

from bot.bootstrap import bootstrap
from bot.cli.enroll import cmd_course
from bot.cli.main import build_parser
from bot.clock import FixedClock
from bot.settings import load_settings
from bot.store.db import Database
from bot.store.enroll_tables import CourseWindow, Enrollment, PriorityMark
from bot.store.tables import Course, Student
from tests.conftest import shanghai
from tests.integration.enroll_factory import EnrollSchool, sayer, seed

NOW = shanghai(2026, 9, 2, 9, 0)
OPEN, CLOSE = shanghai(2026, 9, 3, 8, 0), shanghai(2026, 9, 5, 18, 0)


@pytest.fixture
def priority_on(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TUOGUAN_ENROLLMENT__PRIORITY_GROUPS", '["left_behind", "hardship"]')


async def left_behind(db: Database, *names: str) -> None:
    async with db.transaction() as s:
        await s.execute(update(Student).where(Student.name.in_(names)).values(left_behind="both"))


async def window(
    db: Database,
    school: EnrollSchool,
    course: str = "篮球",
    reserved: int = 0,
    opens: object = None,
    closes: object = None,
) -> None:
    async with db.transaction() as s:
        s.add(
            CourseWindow(
                course_id=school.course_ids[course],
                opens_at=opens,
                closes_at=closes,
                round=1,
                reserved_places=reserved,
            )
        )


async def states(db: Database) -> dict[str, str]:
    async with db.transaction() as s:
        rows = (
            await s.execute(
                select(Student.name, Enrollment.state).join(Enrollment, Enrollment.student_id == Student.id)
            )
        ).all()
    return dict(rows)


async def test_off_by_default_reserved_places_do_nothing(db: Database) -> None:
    school = await seed(db, families=3, capacity=2)
    await window(db, school, reserved=1)
    (u0, _, _), (u1, _, _), (u2, c2, _) = school.families
    await left_behind(db, c2)
    say = sayer(db, NOW)
    assert "等待班主任审核" in (await say(u0, "报名 篮球")).reply.text
    assert "等待班主任审核" in (await say(u1, "报名 篮球")).reply.text  # no place held back
    reply = (await say(u2, "报名 篮球")).reply.text  # and no priority either
    assert "已满" in reply and "候补第1位" in reply


async def test_reserved_place_goes_to_a_left_behind_child(db: Database, priority_on: None) -> None:
    school = await seed(db, families=4, capacity=3)
    await window(db, school, reserved=1)
    (u0, _, _), (u1, _, _), (u2, c2, _), (u3, c3, _) = school.families
    await left_behind(db, c3)
    say = sayer(db, NOW)
    await say(u0, "报名 篮球")
    await say(u1, "报名 篮球")
    reply = (await say(u2, "报名 篮球")).reply.text  # the third place is reserved
    assert "剩余名额优先保障" in reply and "候补第1位" in reply
    assert "等待班主任审核" in (await say(u3, "报名 篮球")).reply.text
    assert (await states(db))[c2] == "waitlist"


async def test_hardship_mark_from_the_cli_and_the_default_reserve(
    db: Database, priority_on: None, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("TUOGUAN_ENROLLMENT__RESERVED_PLACES", "1")
    school = await seed(db, families=3, capacity=2)
    (u0, _, _), (u1, _, _), (u2, c2, _) = school.families
    services = bootstrap(load_settings(), clock=FixedClock(NOW), db=db)
    assert (
        await cmd_course(services, build_parser().parse_args(["course", "priority", "S00002", "hardship"]))
        == 0
    )
    assert "已标记困难家庭" in capsys.readouterr().out
    say = sayer(db, NOW)
    await say(u0, "报名 篮球")
    assert "候补第1位" in (await say(u1, "报名 篮球")).reply.text
    assert "等待班主任审核" in (await say(u2, "报名 篮球")).reply.text
    assert (await states(db))[c2] == "applied"
    await cmd_course(
        services, build_parser().parse_args(["course", "priority", "S00002", "hardship", "--off"])
    )
    async with db.transaction() as s:
        assert (await s.execute(select(PriorityMark))).first() is None


async def test_priority_groups_apply_earlier(
    db: Database, priority_on: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TUOGUAN_ENROLLMENT__PRIORITY_EARLY_HOURS", "24")
    school = await seed(db, families=2)
    await window(db, school, opens=OPEN, closes=CLOSE)
    await window(db, school, "书法", opens=OPEN, closes=CLOSE)
    (u0, _, _), (u1, c1, _) = school.families
    await left_behind(db, c1)
    early = sayer(db, OPEN - timedelta(hours=3))
    assert "尚未开始" in (await early(u0, "报名 篮球")).reply.text
    assert "等待班主任审核" in (await early(u1, "报名 篮球")).reply.text
    too_early = sayer(db, OPEN - timedelta(hours=25))
    assert "尚未开始" in (await too_early(u1, "报名 书法")).reply.text


async def test_a_course_window_may_set_its_own_priority_opening(db: Database, priority_on: None) -> None:
    school = await seed(db, families=2)
    async with db.transaction() as s:
        s.add(
            CourseWindow(
                course_id=school.course_ids["篮球"],
                opens_at=OPEN,
                closes_at=CLOSE,
                round=1,
                reserved_places=0,
                priority_opens_at=OPEN - timedelta(hours=2),
            )
        )
    (u0, _, _), (u1, c1, _) = school.families
    await left_behind(db, c1)
    say = sayer(db, OPEN - timedelta(hours=1))
    assert "尚未开始" in (await say(u0, "报名 篮球")).reply.text
    assert "等待班主任审核" in (await say(u1, "报名 篮球")).reply.text


async def test_promotion_passes_over_only_while_the_place_is_reserved(
    db: Database, priority_on: None
) -> None:
    school = await seed(db, families=4, capacity=2, min_size=1)
    await window(db, school, reserved=1, opens=NOW - timedelta(days=1), closes=CLOSE)
    (u0, _, _), (u1, c1, _), (u2, c2, _), (u3, c3, g3) = school.families
    await left_behind(db, c2, c3)
    say = sayer(db, NOW)
    await say(u0, "报名 篮球")
    assert "候补第1位" in (await say(u1, "报名 篮球")).reply.text
    await say(u2, "报名 篮球")  # left-behind: the reserved place
    assert "候补第2位" in (await say(u3, "报名 篮球")).reply.text
    out = await say(u2, "退出 篮球")  # frees the reserved place: the next left-behind child, not c1, gets it
    assert [p.guardian_id for p in out.pushes] == [g3]
    assert (await states(db))[c1] == "waitlist" and (await states(db))[c3] == "applied"
    await say(u0, "退出 篮球")  # an ordinary place frees: c3 already holds the reserve, so c1 moves up
    assert (await states(db))[c1] == "applied"


async def test_unused_reserved_places_are_released_when_the_window_closes(
    db: Database, priority_on: None
) -> None:
    school = await seed(db, families=2, capacity=2, min_size=1)
    await window(db, school, reserved=1, opens=NOW - timedelta(days=1), closes=CLOSE)
    (u0, _, _), (u1, c1, _) = school.families
    say = sayer(db, NOW)
    await say(u0, "报名 篮球")
    assert "候补第1位" in (await say(u1, "报名 篮球")).reply.text
    services = bootstrap(load_settings(), clock=FixedClock(CLOSE), db=db)
    assert "通知 1 位家长" in await services.use_cases.enrollment.close_enrollment(CLOSE)
    assert (await states(db))[c1] == "applied"
    assert "待审核" in (await sayer(db, CLOSE)(u1, "我的课程")).reply.text


async def test_grade_check_on_apply(db: Database) -> None:
    school = await seed(db, families=1)
    async with db.transaction() as s:
        await s.execute(update(Course).where(Course.name == "篮球").values(grades="1,2"))
        await s.execute(update(Course).where(Course.name == "书法").values(grades="3,5"))
    user, child, _ = school.families[0]
    say = sayer(db, NOW)
    reply = (await say(user, "报名 篮球")).reply.text
    assert reply == (
        f"「篮球」面向1-2年级,{child}在三年级2班(3年级),不能报名。发送「我的课程」查看已报课程。"
    )
    assert "等待班主任审核" in (await say(user, "报名 书法")).reply.text
    assert list((await states(db)).values()) == ["applied"]


async def test_my_courses_query_count_does_not_grow_with_courses(db: Database) -> None:
    school = await seed(db, families=3, capacity=1)
    (u0, _, _), (u1, _, _), (u2, _, _) = school.families
    say = sayer(db, NOW)
    for course in ("篮球", "书法"):
        await say(u0, f"报名 {course}")
        await say(u1, f"报名 {course}")
    await say(u2, "报名 篮球")
    counts = []
    for user, expect in ((u2, ["候补第2位"]), (u1, ["候补第1位", "候补第1位"])):
        statements: list[str] = []

        def count(_c: object, _cur: object, stmt: str, *_a: object, sink: list[str] = statements) -> None:
            sink.append(stmt)

        event.listen(db.engine.sync_engine, "before_cursor_execute", count)
        try:
            text = (await say(user, "我的课程")).reply.text
        finally:
            event.remove(db.engine.sync_engine, "before_cursor_execute", count)
        assert all(e in text for e in expect) and text.count("候补") == len(expect)
        counts.append(len(statements))
    assert counts[0] == counts[1]


@pytest.mark.parametrize("n", [40])
async def test_concurrent_applications_keep_the_reserve(db: Database, priority_on: None, n: int) -> None:
    school = await seed(db, families=n, capacity=20)
    await window(db, school, reserved=5)
    await left_behind(db, *(name for _, name, _ in school.families[::4]))  # 10 priority children
    say = sayer(db, NOW)
    outs = await asyncio.gather(*(say(u, "报名 篮球") for u, _, _ in school.families))
    assert all(o.result == "ok" for o in outs)
    async with db.transaction() as s:
        rows = (
            await s.execute(
                select(Student.left_behind, Enrollment.state).join(
                    Enrollment, Enrollment.student_id == Student.id
                )
            )
        ).all()
    held = [lb for lb, st in rows if st == "applied"]
    assert len(held) == 20
    assert sum(1 for lb in held if lb == "none") <= 15
    assert sum(1 for lb in held if lb != "none") >= 5
