"""The whole-day proof (issue 14, point 8): one care day of the demo school (a class of grade 3 and one of
grade 5, a drop-in, an X-course child and bus riders among them) through the pipeline and the jobs, as the scheduler would fire them. At 19:00 every child is
accounted for (a rider on the bus has left care, like a child picked up), the day's records match what happened,
and `tuoguan report daily` shows the same day."""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

import pytest
from sqlalchemy import select

from bot.bootstrap import Services
from bot.cli.jobs import cmd_report
from bot.demo import CHAT_32, CHAT_51
from bot.jobs.pickup import JOBS as PICKUP_JOBS
from bot.jobs.runner import run_job
from bot.pipeline import Outcome
from bot.reports import class_lines
from bot.store.bus import day_boardings
from bot.store.care import school_day
from bot.store.care_tables import CourseAttendance
from bot.store.db import Database
from bot.store.enroll_tables import Enrollment
from bot.store.outbox_tables import OutboxMessage
from bot.store.tables import Course, Guardian, Identity, School, Staff, Student
from tests.conftest import shanghai
from tests.integration.bus_school import DRIVER_PHONES, add_bus
from tests.integration.care_day import demo_services, sayer

MON = date(2026, 11, 23)
TICK = timedelta(minutes=5)


class Day:
    """The clock of the day: before each message, every job tick due by then runs, as the scheduler would."""

    def __init__(self, services: Services) -> None:
        self.services = services
        self.say = sayer(services)
        self.next_tick = shanghai(2026, 11, 23, 14, 0)
        self.outcomes: list[Outcome] = []

    async def run_jobs_until(self, moment: datetime) -> None:
        while self.next_tick <= moment:
            for spec in PICKUP_JOBS:
                self.services.clock.instant = self.next_tick  # type: ignore[attr-defined]
                await run_job(self.services, spec, self.next_tick)
            self.next_tick += TICK

    async def __call__(
        self, user: str, text: str, at: tuple[int, int], *, day: int = 23, chat: str = CHAT_32
    ) -> Outcome:
        if day == 23:
            await self.run_jobs_until(shanghai(2026, 11, 23, *at))
        out = await self.say(user, text, at, day=day, chat=chat)
        self.outcomes.append(out)
        return out


@dataclass(frozen=True)
class Whereabouts:
    """Where one child was at 19:00, from the register alone."""

    state: str  # picked-up | boarded (the bus) | leave | absent | escalated
    by: str = ""  # picked up by: the guardian who claimed, or the one the notice named ("" = not said)
    at: str = ""  # HH:MM the child left
    confirmed_by: str = ""
    minutes_late: int = 0


def hhmm(moment: datetime) -> str:
    local = moment.astimezone(shanghai(2026, 11, 23, 0).tzinfo) if moment.tzinfo else moment
    return f"{local:%H:%M}"


async def queued(db: Database, prefix: str) -> list[OutboxMessage]:
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


async def the_day(db: Database) -> tuple[Services, Day]:
    services = await demo_services(db)
    # 一号线 takes 黄欣怡 and 李华 (三年级2班), 郭宇航 and 林子豪 (五年级1班) home.
    await add_bus(services, {"D3208": "一号线", "D3202": "一号线", "D5106": "一号线", "D5108": "一号线"})
    async with db.transaction() as s:  # 刘洋's aunt, on the roster as 不可接送, has an account
        aunt = await s.scalar(select(Guardian.id).where(Guardian.name == "刘小姨"))
        s.add(
            Identity(
                platform="wecom",
                user_id="aunt-liu",
                guardian_id=aunt,
                source="test",
                bound_at=shanghai(2026, 11, 1, 8),
            )
        )
    async with db.transaction() as s:  # 何雨桐 has no basic care: she stays for 围棋, an X course on Mondays
        school_id = await s.scalar(select(School.id))
        go = Course(
            school_id=school_id,
            name="围棋",
            category="X",
            weekdays="1",
            start_time=time(16, 0),
            end_time=time(17, 0),
            capacity=20,
            min_size=2,
            grades="",
        )
        s.add(go)
        await s.flush()
        for no in ("D5107", "D5101"):
            kid = await s.scalar(select(Student).where(Student.student_no == no))
            assert kid is not None
            kid.basic_care = no != "D5107"
            s.add(
                Enrollment(
                    course_id=go.id,
                    student_id=kid.id,
                    state="active",
                    applied_at=shanghai(2026, 11, 1, 8),
                    updated_at=shanghai(2026, 11, 1, 8),
                )
            )
    day = Day(services)
    # 杨雨涵 missed care twice last week without a word.
    for earlier in (18, 19):
        await day("teacher-li", "缺席 杨雨涵", (16, 10), day=earlier)
    # Sunday evening: notices for tomorrow.
    out = await day("parent-wang", "王小明 明天晚点接 18:10", (20, 0), day=22)
    assert "11月23日(周一) 约 18:10 接" in out.reply.text
    out = await day("parent-zhang-grandma", "明天奶奶接", (20, 5), day=22)
    assert "11月23日(周一)由奶奶张奶奶接" in out.reply.text
    out = await day("parent-wang", "王小红 明天早点接 16:30", (20, 6), day=22, chat=CHAT_51)
    assert "16:30 提前接走" in out.reply.text
    # Monday morning: a leave, an early pickup and a late notice for today.
    out = await day("parent-li", "老师,李华今天发烧,请假一天", (7, 50))
    assert "已为李华请假" in out.reply.text
    out = await day("parent-chen", "今天三点半来接", (9, 0))
    assert "15:30 提前接走" in out.reply.text
    out = await day("parent-sun", "今天晚点接 18:00", (12, 0), chat=CHAT_51)
    assert "约 18:00 接" in out.reply.text
    # Afternoon: the early pickup, roll calls, a drop-in.
    await day("teacher-li", "陈思远 已接走", (15, 36))
    out = await day("teacher-li", "缺席 杨雨涵", (16, 0))
    flags = [p for p in out.pushes if p.key.startswith("absence-flag")]
    assert flags and all(p.chat_ref is None for p in flags)
    out = await day("teacher-li", "到了 赵子轩", (16, 1))
    assert "赵子轩" in out.reply.text
    out = await day("teacher-li", "点名", (16, 2))
    assert out.reply.text.startswith("应到 10 实到 8 请假 1 缺席 1"), out.reply.text
    out = await day("teacher-chen", "缺席 马诗琪", (16, 5), chat=CHAT_51)
    out = await day("teacher-chen", "点名 围棋", (16, 10), chat=CHAT_51)
    assert out.reply.text.startswith("围棋 11月23日(周一) 点名: 应到 2 实到 2"), out.reply.text
    await day("parent-wang", "王小红 已接走", (16, 30), chat=CHAT_51)
    await day("teacher-chen", "王小红 已接走", (16, 40), chat=CHAT_51)
    # The bus leaves at 17:00 without 郭宇航 (李华 is on leave): he is escalated from then, like a late pickup.
    out = await day("teacher-zhou", "校车 一号线 已上车 缺 郭宇航", (17, 0))
    assert "上车 2 人" in out.reply.text and "未上车 1 人" in out.reply.text and "请假 1 人" in out.reply.text
    # End of care: the reminder (17:15) has run; claims, confirmations, a claim by someone not allowed.
    out = await day("aunt-liu", "刘洋 已接走", (17, 20))
    assert "不在可接送名单" in out.reply.text
    await day("teacher-li", "周博文 吴佳琪 已接走", (17, 32))
    await day("teacher-chen", "朱俊杰 胡梓萱 郭宇航 何雨桐 已接走", (17, 33), chat=CHAT_51)
    await day("parent-zhang-grandma", "已接走", (17, 35))
    await day("teacher-li", "张一一 已接走", (17, 50))
    await day("teacher-li", "赵子轩 17:50 已接走", (17, 55))
    await day("teacher-li", "王小明 18:05 已接走", (18, 6))
    await day("parent-sun", "已接走", (18, 20), chat=CHAT_51)
    await day("teacher-chen", "孙浩然 已接走", (18, 25), chat=CHAT_51)
    # 罗梦洁 and 高天宇 left at 17:45, but their teacher confirms only at 18:30, and then gives the time.
    out = await day("teacher-chen", "全部已接走", (18, 30), chat=CHAT_51)
    asked = [p for p in out.pushes if p.staff_id is not None]
    assert asked and all("罗梦洁" in p.text and "高天宇" in p.text and "孙浩然" not in p.text for p in asked)
    out = await day("teacher-chen", "17:45", (18, 33), chat=CHAT_51)
    assert out.reply.private
    await day.run_jobs_until(shanghai(2026, 11, 23, 19, 0))
    services.clock.instant = shanghai(2026, 11, 23, 19, 0)  # type: ignore[attr-defined]
    return services, day


async def whereabouts(db: Database, school_id: int, escalated: set[str]) -> dict[str, Whereabouts]:
    async with db.transaction() as s:
        actors = {f"staff:{i}": name for i, name in (await s.execute(select(Staff.id, Staff.name))).all()}
        days = await school_day(s, school_id, MON)
        bus = await day_boardings(s, school_id, MON)
    found: dict[str, Whereabouts] = {}
    for d in days.values():
        waiting = {k.id for k in d.waiting()}
        for kid in d.expected:
            pickup = d.pickups.get(kid.id)
            if kid.id in waiting:
                assert kid.name in escalated, f"{kid.name} unaccounted for at 19:00"
                found[kid.name] = Whereabouts("escalated")
            elif d.on_leave(kid):
                found[kid.name] = Whereabouts("leave")
            elif d.absent(kid):
                found[kid.name] = Whereabouts("absent")
            elif kid.id in bus and bus[kid.id].boarded:
                assert pickup is not None and pickup.state == "confirmed", kid.name
                found[kid.name] = Whereabouts(
                    "boarded",
                    pickup.picked_up_by,
                    hhmm(bus[kid.id].departed_at),
                    actors.get(bus[kid.id].recorded_by, ""),
                    pickup.minutes_late,
                )
            else:
                assert pickup is not None and pickup.state == "confirmed", kid.name
                found[kid.name] = Whereabouts(
                    "picked-up",
                    pickup.picked_up_by,
                    hhmm(pickup.picked_up_at),
                    actors.get(pickup.confirmed_by or "", pickup.confirmed_by or ""),
                    pickup.minutes_late,
                )
    return found


async def test_a_whole_day_every_child_is_accounted_for(
    db: Database, capsys: pytest.CaptureFixture[str]
) -> None:
    services, _ = await the_day(db)
    async with db.transaction() as s:
        school_id = await s.scalar(select(School.id))
        staff = dict((await s.execute(select(Staff.name, Staff.id))).all())
    assert school_id is not None
    escalations = await queued(db, "late-escalation")
    escalated = {
        name
        for name in ("刘洋", "王小明", "孙浩然", "罗梦洁", "高天宇", "赵子轩", "郭宇航")
        if any(name in e.text for e in escalations)
    }
    found = await whereabouts(db, school_id, escalated)
    assert found == {
        # 三年级2班
        "王小明": Whereabouts("picked-up", "", "18:05", "李梅", 0),  # within his notice (18:10)
        "李华": Whereabouts("leave"),
        "张一一": Whereabouts("picked-up", "张奶奶", "17:35", "李梅", 0),
        "刘洋": Whereabouts("escalated"),  # the aunt's claim is never confirmed
        "陈思远": Whereabouts("picked-up", "", "15:36", "李梅", 0),  # early pickup: never late
        "杨雨涵": Whereabouts("absent"),
        "赵子轩": Whereabouts("picked-up", "", "17:50", "李梅", 20),  # a drop-in, picked up late
        "黄欣怡": Whereabouts("boarded", "校车一号线", "17:00", "周静", 0),  # on the bus: left care
        "周博文": Whereabouts("picked-up", "", "17:32", "李梅", 0),
        "吴佳琪": Whereabouts("picked-up", "", "17:32", "李梅", 0),
        # 五年级1班
        "王小红": Whereabouts("picked-up", "刘芳", "16:30", "陈刚", 0),
        "孙浩然": Whereabouts("picked-up", "孙丽", "18:20", "陈刚", 20),
        "马诗琪": Whereabouts("absent"),
        "朱俊杰": Whereabouts("picked-up", "", "17:33", "陈刚", 0),
        "胡梓萱": Whereabouts("picked-up", "", "17:33", "陈刚", 0),
        "郭宇航": Whereabouts(
            "picked-up", "", "17:33", "陈刚", 0
        ),  # missed the bus, escalated, then picked up
        "何雨桐": Whereabouts("picked-up", "", "17:33", "陈刚", 0),  # no basic care: 围棋 today
        "林子豪": Whereabouts("boarded", "校车一号线", "17:00", "周静", 0),
        "罗梦洁": Whereabouts("picked-up", "", "17:45", "陈刚", 15),
        "高天宇": Whereabouts("picked-up", "", "17:45", "陈刚", 15),
    }
    # The escalation named the children still out at expected time + 30 minutes, 刘洋 among them, to the
    # principal only.
    assert escalations and all(e.staff_id == staff["赵建国"] and e.chat_ref is None for e in escalations)
    assert any("刘洋(待确认)" in e.text for e in escalations)
    # At 17:30, half an hour after the bus left without him, 郭宇航 (his mother's phone with it), only him.
    assert escalations[0].text.startswith("仍未接走 1 人(17:30)")
    assert "五年级1班 郭宇航(未上校车 一号线): 母亲郭静 13800015151" in escalations[0].text
    first = escalations[1].text  # at 18:00: notices for 18:00 and 18:10 still hold, the early pickup left
    assert first.startswith("仍未接走 3 人(18:00)")
    assert all(n in first for n in ("刘洋", "罗梦洁", "高天宇"))
    assert not any(n in first for n in ("王小明", "孙浩然", "王小红", "陈思远", "赵子轩", "郭宇航", "黄欣怡"))
    assert escalations[-1].text.startswith("仍未接走 1 人") and "刘洋(待确认)" in escalations[-1].text
    # The reminder at 17:15 called on the families still to come, not on those who said they would be late.
    reminders = {m.chat_ref: m for m in await queued(db, "pickup-reminder")}
    assert len(reminders) == 2
    assert all(
        "parent-sun" not in m.mentions["user_ids"] and "parent-wang" not in m.mentions["user_ids"]
        for m in reminders.values()
    )
    # 杨雨涵's third unnotified absence was flagged (to the head teacher and the principal), 马诗琪's first not.
    flags = await queued(db, "absence-flag")
    assert {f.staff_id for f in flags} == {staff["李梅"], staff["赵建国"]}
    assert all("杨雨涵" in f.text and "马诗琪" not in f.text for f in flags)
    # No group message named a child's lateness or absence.
    group = [m for m in await queued(db, "") if m.chat_ref is not None]
    for message in group:
        assert not any(
            name in message.text
            for name in (
                "杨雨涵",
                "马诗琪",
                "刘洋",
                "赵子轩",
                "孙浩然",
                "郭宇航",
                "黄欣怡",
                "林子豪",
                *DRIVER_PHONES,
            )
        ), message.text
    # The riders' guardians were told one-to-one: on the bus (with the driver's phone), or not on it.
    async with db.transaction() as s:
        guardian = dict((await s.execute(select(Guardian.id, Guardian.name))).all())
    notes = {(guardian[m.guardian_id], m.key.split(":")[3]) for m in await queued(db, "bus:")}
    assert notes == {("黄丽", "on"), ("林娜", "on"), ("郭静", "off")}
    assert all(
        m.chat_ref is None and "13700000001" in m.text for m in await queued(db, "bus:") if ":on:" in m.key
    )

    # The course session was recorded for its two children.
    async with db.transaction() as s:
        session = dict(
            (
                await s.execute(
                    select(Student.name, CourseAttendance.status)
                    .join(CourseAttendance, CourseAttendance.student_id == Student.id)
                    .where(CourseAttendance.day == MON)
                )
            ).all()
        )
    assert session == {"王小红": "present", "何雨桐": "present"}

    # The daily report says the same, class by class.
    async with db.unit_of_work() as uow:
        lines = {line.name: line for line in await class_lines(uow, school_id, MON)}
    for class_name, names in (
        (
            "三年级2班",
            ["王小明", "李华", "张一一", "刘洋", "陈思远", "杨雨涵", "赵子轩", "黄欣怡", "周博文", "吴佳琪"],
        ),
        (
            "五年级1班",
            [
                "王小红",
                "孙浩然",
                "马诗琪",
                "朱俊杰",
                "胡梓萱",
                "郭宇航",
                "何雨桐",
                "林子豪",
                "罗梦洁",
                "高天宇",
            ],
        ),
    ):
        mine = [found[n] for n in names]
        line = lines[class_name]
        assert (line.expected, line.leave, line.absent, line.late, line.waiting, line.roll_called) == (
            len(mine),
            sum(w.state == "leave" for w in mine),
            sum(w.state == "absent" for w in mine),
            sum(w.minutes_late > 0 for w in mine),
            sum(w.state == "escalated" for w in mine),
            True,
        )
        assert line.present == line.expected - line.leave - line.absent
    capsys.readouterr()
    assert await cmd_report(services, argparse.Namespace(report_command="daily", date=MON, chart=None)) == 0
    report = capsys.readouterr().out
    assert report.startswith("全校 应到 20 实到 17 请假 1 缺席 2 晚接 4 未接 1\n"), report
    assert "三年级2班 应到 10 实到 8 请假 1 缺席 1 晚接 1 未接 1\n" in report
    assert "五年级1班 应到 10 实到 9 请假 0 缺席 1 晚接 3 未接 0\n" in report
    assert "未点名" not in report


async def test_the_school_is_cleared_only_once_the_register_has_no_child_waiting(db: Database) -> None:
    """清校完毕 (issue 19) reads the same register: refused while 刘洋 still waits, recorded once he has left."""
    _, day = await the_day(db)
    early = await day("principal-zhao", "清校完毕", (19, 0))
    assert early.result == "refused" and early.reply.private
    assert "还有 1 名学生" in early.reply.text and "三年级2班: 刘洋" in early.reply.text
    out = await day("teacher-li", "刘洋 19:00 已接走", (19, 2))
    assert out.result == "ok", out.reply.text
    done = await day("principal-zhao", "清校完毕", (19, 5))
    assert done.result == "ok" and "清校完毕" in done.reply.text
