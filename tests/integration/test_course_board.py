"""Enrollment in the open, on SQLite and PostgreSQL: `tuoguan course add|publish` and the roster give the default
window, 课程 lists what a family's children may take, the groups are told at open and close-2h, the 公示."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, update

from bot.bootstrap import Services, bootstrap
from bot.cli.enroll import cmd_course
from bot.cli.main import build_parser
from bot.clock import FixedClock
from bot.jobs import build_jobs
from bot.jobs.runner import run_job
from bot.roster.importer import import_roster
from bot.settings import load_settings
from bot.store.db import Database
from bot.store.enroll_tables import CourseWindow, Enrollment, as_utc
from bot.store.outbox_tables import OutboxMessage
from bot.store.tables import Chat, Course, Staff
from tests.conftest import shanghai
from tests.integration.enroll_factory import EnrollSchool, sayer, seed
from tests.integration.roster_files import demo_rows, write_workbook

T0 = shanghai(2026, 9, 1, 8, 3)
DAY = timedelta(hours=24)
JOBS = {spec.name: spec for spec in build_jobs()}


def services_at(db: Database, at: datetime) -> Services:
    return bootstrap(load_settings(), clock=FixedClock(at), db=db)


async def course(db: Database, at: datetime, *argv: str) -> int:
    return await cmd_course(services_at(db, at), build_parser().parse_args(["course", *argv]))


async def window(db: Database, name: str) -> tuple[datetime | None, datetime | None] | None:
    async with db.transaction() as s:
        w = (
            (
                await s.execute(
                    select(CourseWindow)
                    .join(Course, Course.id == CourseWindow.course_id)
                    .where(Course.name == name)
                )
            )
            .scalars()
            .first()
        )
        return None if w is None else (as_utc(w.opens_at), as_utc(w.closes_at))


async def outbox(db: Database, prefix: str) -> list[OutboxMessage]:
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


async def enrolled(db: Database, name: str) -> int:
    async with db.transaction() as s:
        rows = await s.scalars(
            select(Enrollment.id).join(Course, Course.id == Enrollment.course_id).where(Course.name == name)
        )
        return len(rows.all())


def add(name: str, *extra: str) -> tuple[str, ...]:
    return ("add", name, "--weekdays", "2", "--time", "16:30-17:10", "--capacity", "5", *extra)


ADD_GO = ("add", "围棋", "--weekdays", "1,3", "--time", "16:30-17:10", "--capacity", "10", "--min-size", "2")
ADD_GO += ("--price", "25", "--grades", "3,4")


async def test_added_course_is_browsable_and_opens_for_24_hours_at_publish(
    db: Database, capsys: pytest.CaptureFixture[str]
) -> None:
    school = await seed(db, families=3)
    (u0, _, _), (u1, _, _), _ = school.families
    assert await course(db, T0, *ADD_GO) == 0
    assert await window(db, "围棋") is None
    say = sayer(db, T0)
    assert "尚未开放报名" in (await say(u0, "报名 围棋")).reply.text
    assert await enrolled(db, "围棋") == 0
    listing = (await say(u0, "课程")).reply.text
    assert "围棋" in listing and "尚未开放报名" in listing and "25元/课时" in listing

    capsys.readouterr()
    assert await course(db, T0, "publish", "围棋") == 0
    assert "截止" in capsys.readouterr().out
    assert await window(db, "围棋") == (T0, T0 + DAY)
    assert "等待班主任审核" in (await sayer(db, T0 + timedelta(hours=1))(u0, "报名 围棋")).reply.text
    assert "已截止" in (await sayer(db, T0 + DAY + timedelta(minutes=1))(u1, "报名 围棋")).reply.text
    assert await enrolled(db, "围棋") == 1

    assert await course(db, T0 + timedelta(hours=2), "publish", "围棋") == 0  # running: left as it is
    assert await window(db, "围棋") == (T0, T0 + DAY)
    assert await course(db, T0, "publish", "象棋") == 1
    capsys.readouterr()
    assert await course(db, T0, "list") == 0
    out = capsys.readouterr().out
    assert "25元/课时" in out and "20元/课时" in out and "分" not in out


async def test_add_with_publish_fen_compat_hours_and_no_default_window(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    school = await seed(db, families=1)
    u0 = school.families[0][0]
    assert await course(db, T0, *add("舞蹈", "--price-fen", "1500", "--publish")) == 0
    assert await window(db, "舞蹈") == (T0, T0 + DAY)
    assert await course(db, T0, *add("舞蹈")) == 1
    assert await course(db, T0, "add", "美术", "--weekdays", "2", "--time", "16:30", "--capacity", "5") == 1
    assert await course(db, T0, *add("美术", "--price", "abc")) == 1
    assert await course(db, T0, *add("美术")) == 0
    assert await course(db, T0, "publish", "美术", "--hours", "48") == 0
    assert await window(db, "美术") == (T0, T0 + 2 * DAY)
    async with db.transaction() as s:
        prices = dict((await s.execute(select(Course.name, Course.price_fen))).all())
    assert prices["舞蹈"] == 1500 and prices["美术"] == 2000

    assert await course(db, T0, *add("剪纸")) == 0
    assert await course(db, T0, "window", "剪纸", "2026-09-02T08:00", "2026-09-03T08:00") == 0  # publishes it
    assert await window(db, "剪纸") == (shanghai(2026, 9, 2, 8, 0), shanghai(2026, 9, 3, 8, 0))
    assert "尚未开始" in (await sayer(db, T0)(u0, "报名 剪纸")).reply.text

    monkeypatch.setenv("TUOGUAN_ENROLLMENT__WINDOW_HOURS", "0")
    assert await course(db, T0, *add("书画", "--publish")) == 0
    assert await window(db, "书画") is None
    async with db.transaction() as s:
        assert await s.scalar(select(Course.state).where(Course.name == "书画")) == "open"


async def publish_all(db: Database, at: datetime, *names: str) -> None:
    for name in names:
        assert await course(db, at, "publish", name) == 0


async def test_close_sends_the_gongshi_to_the_groups_and_the_principal(db: Database) -> None:
    school = await seed(db, families=4, min_size=2)
    (u0, n0, _), (u1, n1, _), (u2, n2, _), _ = school.families
    assert await course(db, T0, *ADD_GO[:-1], "5,6") == 0  # 围棋 for grades 5-6 only: not this class
    await publish_all(db, T0, "篮球", "书法", "围棋")
    say = sayer(db, T0 + timedelta(hours=1))
    await say(u0, "报名 篮球")
    await say(u1, "报名 篮球")
    await say(u2, "报名 书法")  # 1 < 2: 撤班
    services = services_at(db, T0 + DAY + timedelta(minutes=10))
    (result,) = await run_job(services, JOBS["close-enrollment"], T0 + DAY + timedelta(minutes=10))
    assert "公示 2 条" in str(result.detail)
    async with db.transaction() as s:
        chat = await s.scalar(select(Chat.id).where(Chat.chat_id == "chat-3-2"))
        principal = await s.scalar(select(Staff.id).where(Staff.name == "赵校长"))
    group, private = await outbox(db, "enroll-gongshi")
    assert group.chat_ref == chat and private.staff_id == principal
    assert f"{n0}、{n1}" in group.text and "书法" in group.text and "撤班" in group.text
    assert n2 not in group.text and "围棋" not in group.text
    assert "元" not in group.text and "138" not in group.text
    assert "围棋" in private.text and f"{n0}、{n1}" in private.text
    (again,) = await run_job(services, JOBS["close-enrollment"], T0 + DAY + timedelta(minutes=20))
    assert "没有到期" in str(again.detail)
    assert len(await outbox(db, "enroll-gongshi")) == 2


async def test_announce_at_open_and_two_hours_before_close(db: Database) -> None:
    school = await seed(db, families=2)
    assert await course(db, T0, *ADD_GO[:-1], "5,6") == 0
    await publish_all(db, T0, "篮球", "围棋")
    await sayer(db, T0 + timedelta(hours=1))(school.families[0][0], "报名 篮球")

    async def fire(at: datetime) -> list[OutboxMessage]:
        await run_job(services_at(db, at), JOBS["enrollment-announce"], at)
        return await outbox(db, "enroll-announce")

    assert await fire(T0 - timedelta(minutes=3)) == []
    (opened,) = await fire(T0 + timedelta(minutes=7))  # the 08:10 fire covers (08:00, 08:10]
    assert "篮球" in opened.text and "围棋" not in opened.text and "书法" not in opened.text
    assert "已开放" in opened.text and "9月2日 08:03 截止" in opened.text and "20元/课时" in opened.text
    assert len(await fire(T0 + timedelta(minutes=17))) == 1
    assert len(await fire(T0 + timedelta(minutes=7))) == 1  # the same fire again: claimed once
    assert len(await fire(T0 + timedelta(hours=21, minutes=57))) == 1  # 06:00: not yet
    closing = (await fire(T0 + timedelta(hours=22, minutes=7)))[-1]  # 06:10 covers 06:03 = close - 2h
    assert closing.id != opened.id and "剩余 19/20" in closing.text
    assert "将于 9月2日 08:03 截止" in closing.text
    assert len(await fire(T0 + timedelta(hours=22, minutes=17))) == 2


async def narrow(db: Database, school: EnrollSchool, name: str, grades: str) -> None:
    async with db.transaction() as s:
        await s.execute(update(Course).where(Course.id == school.course_ids[name]).values(grades=grades))


async def test_course_list_shows_only_courses_open_to_the_childrens_grades(db: Database) -> None:
    school = await seed(db, families=1)
    await narrow(db, school, "书法", "5,6")
    await publish_all(db, T0, "篮球")
    say = sayer(db, T0 + timedelta(hours=1))
    mine = (await say(school.families[0][0], "有哪些课")).reply.text
    assert "篮球" in mine and "书法" not in mine and "报名中" in mine and "剩余 20/20" in mine
    everything = (await say("principal-zhao", "课程")).reply.text
    assert "篮球" in everything and "书法" in everything
    async with db.transaction() as s:
        await s.execute(update(Course).where(Course.name == "篮球").values(state="cancelled"))
    assert "没有面向您孩子年级的课程" in (await say(school.families[0][0], "课程")).reply.text


async def test_roster_import_opens_the_window_of_new_x_courses_only(db: Database, tmp_path: Path) -> None:
    rows = demo_rows()
    first = write_workbook(tmp_path / "a.xlsx", rows)
    assert (await import_roster(db, [first], school_name="测试小学", clock=FixedClock(T0))).ok
    assert await window(db, "篮球") == (T0, T0 + DAY) and await window(db, "书法") == (T0, T0 + DAY)
    assert await window(db, "基础托管") is None  # basic care has no window (it would be 撤班 at close)
    later = T0 + timedelta(hours=2)
    rows["课程"].append(["围棋", "X", "一", "16:00", "17:00", 10, 2, "25", "", ""])
    rows["课程"].append(["象棋", "X", "二", "16:00", "17:00", 10, 2, "25", "", ""])
    second = write_workbook(tmp_path / "b.xlsx", rows)
    assert (await import_roster(db, [second], school_name="测试小学", clock=FixedClock(later))).ok
    assert await window(db, "篮球") == (T0, T0 + DAY)  # an existing course keeps its window
    assert await window(db, "围棋") == (later, later + DAY)
    rows["课程"].append(["国画", "X", "二", "16:00", "17:00", 10, 2, "25", "", ""])
    third = write_workbook(tmp_path / "c.xlsx", rows)
    none = FixedClock(later)
    assert (await import_roster(db, [third], school_name="测试小学", clock=none, window_hours=0)).ok
    assert await window(db, "国画") is None
