"""到岗 / 离岗 / 代班 and the teachers' workload and pay from the register (`tuoguan report workload`,
`tuoguan fees workload`), on the demo school, on SQLite and PostgreSQL."""

from __future__ import annotations

import argparse
from datetime import date
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from bot.bootstrap import Services
from bot.cli.fees import cmd_fees
from bot.cli.main import build_parser
from bot.cli.staff import cmd_report
from bot.demo import CHAT_51
from bot.store.care_tables import CourseAttendance
from bot.store.db import Database
from bot.store.staff_tables import StaffAttendance, Substitute
from bot.store.tables import Course, Staff, Student
from tests.conftest import shanghai
from tests.integration.care_day import Say, demo_services, sayer


async def _staff_id(db: Database, name: str) -> int:
    async with db.transaction() as s:
        return (await s.scalars(select(Staff.id).where(Staff.name == name))).one()


async def test_check_in_and_out_are_recorded_once_a_day_privately(db: Database) -> None:
    services = await demo_services(db)
    say = sayer(services)
    out = await say("teacher-zhou", "到岗", (15, 40))
    assert out.command == "到岗" and out.reply.private and "15:40" in out.reply.text
    again = await say("teacher-zhou", "我到岗了", (15, 55))
    assert again.reply.private and "15:40" in again.reply.text and "已到岗" in again.reply.text
    left = await say("teacher-zhou", "离岗", (17, 45))
    assert left.reply.private and "17:45" in left.reply.text
    zhou = await _staff_id(db, "周静")
    async with db.transaction() as s:
        rows = (await s.scalars(select(StaffAttendance).where(StaffAttendance.staff_id == zhou))).all()
    assert len(rows) == 1 and rows[0].day == date(2026, 11, 23)
    assert rows[0].checked_in_at is not None and rows[0].checked_out_at is not None
    assert not any(p.chat_ref is not None for p in [*out.pushes, *again.pushes, *left.pushes])
    # 离岗 with no 到岗 is kept, and said; a day without care is refused and writes nothing.
    li = await say("teacher-li", "离岗", (17, 40))
    assert "没有到岗记录" in li.reply.text
    sunday = await say("teacher-zhou", "到岗", (15, 40), day=22)
    assert sunday.reply.refused and "没有托管" in sunday.reply.text
    parent = await say("parent-li", "到岗", (15, 40))
    assert parent.result == "not_allowed"
    async with db.transaction() as s:
        assert len((await s.scalars(select(StaffAttendance))).all()) == 2


async def test_substitute_needs_the_class_and_a_known_teacher(db: Database) -> None:
    services = await demo_services(db)
    say = sayer(services)
    refused = await say("teacher-chen", "代班 三年级2班 周老师", (9, 0), chat=CHAT_51)
    assert refused.result == "not_allowed" and refused.reply.private
    unknown = await say("teacher-li", "代班 三年级2班 王老师", (9, 0))
    assert unknown.reply.refused and "没有这位老师" in unknown.reply.text
    ok = await say("teacher-li", "代班 明天 三年级2班 周老师", (9, 0))
    assert (
        ok.command == "代班" and ok.reply.private and "周静" in ok.reply.text and "11月24日" in ok.reply.text
    )
    changed = await say("principal-zhao", "代班 明天 三年级2班 陈刚", (9, 5))
    assert "陈刚" in changed.reply.text and "已改为" in changed.reply.text
    async with db.transaction() as s:
        subs = (await s.scalars(select(Substitute))).all()
    assert [(x.day, x.staff_id) for x in subs] == [(date(2026, 11, 24), await _staff_id(db, "陈刚"))]


async def _register_days(db: Database, say: Say) -> None:
    """Monday 23rd: 李华 on leave, 刘洋 absent, 王小明 picked up at 17:00, 陈思远 late at 17:50, 五年级1班 all
    present; a 篮球 session on Friday 20th (3 present); Tuesday 24th 陈刚 stands in for 三年级2班."""
    assert (await say("parent-li", "今天请假", (8, 0))).command == "请假"
    assert (await say("teacher-zhou", "到岗", (15, 40))).command == "到岗"
    assert (await say("teacher-zhou", "缺席 刘洋", (16, 0))).command == "缺席"
    assert (await say("teacher-zhou", "全部到齐", (16, 5), chat=CHAT_51)).command == "全部到齐"
    assert (await say("teacher-zhou", "王小明 已接走", (17, 0))).command == "已接走"
    assert (await say("teacher-zhou", "陈思远 17:50 已接走", (17, 55))).command == "已接走"
    async with db.transaction() as s:
        course = (await s.scalars(select(Course.id).where(Course.name == "篮球"))).one()
        kids = (
            await s.scalars(
                select(Student.id).where(Student.class_group_id.is_not(None)).order_by(Student.id)
            )
        ).all()
        for i, kid in enumerate(kids[10:14]):
            s.add(
                CourseAttendance(
                    course_id=course,
                    student_id=kid,
                    day=date(2026, 11, 20),
                    status="absent" if i == 3 else "present",
                    marked_by="staff:2",
                    marked_at=shanghai(2026, 11, 20, 16),
                    message_id=f"ca-{i}",
                )
            )
    assert (await say("principal-zhao", "代班 三年级2班 陈刚", (9, 0), day=24)).command == "代班"
    assert (await say("teacher-zhou", "缺席 刘洋", (16, 0), day=24)).command == "缺席"


async def _report(services: Services, capsys: pytest.CaptureFixture[str], out: Path | None) -> dict[str, str]:
    assert (
        await cmd_report(services, argparse.Namespace(report_command="workload", month="2026-11", out=out))
        == 0
    )
    lines = capsys.readouterr().out.splitlines()
    return {line.split(":")[0]: line for line in lines[1:] if ":" in line}


async def test_workload_comes_from_the_register_and_substitutes(
    db: Database, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    services = await demo_services(db)
    say = sayer(services)
    await _register_days(db, say)
    services.clock.instant = shanghai(2026, 11, 23, 20)  # type: ignore[attr-defined]
    lines = await _report(services, capsys, None)
    # 三年级2班 (15:50-17:30): 王小明 70 min, six more present 100 each; 五年级1班 (16:00): ten × 90 = 1,570 min
    zhou = lines["周静"]
    assert "到岗 1 天" in zhou and "26.2 人时" in zhou and "0 课时" in zhou and "应发 52.40 元" in zhou
    assert "基础托管 26.2 人时 × 2元" in zhou
    chen = lines["陈刚"]  # 篮球 on the 20th: one session held, three present
    assert "1 课时" in chen and "0 人时" in chen and "应发 20 元" in chen
    services.clock.instant = shanghai(2026, 11, 24, 20)  # type: ignore[attr-defined]
    out = tmp_path / "workload.xlsx"
    lines = await _report(services, capsys, out)
    # The 24th: 三年级2班 counts for the substitute (8 present × 100 min), not for 周静.
    assert "26.2 人时" in lines["周静"]
    assert "13.3 人时" in lines["陈刚"] and "1 课时" in lines["陈刚"] and "代班 1 次" in lines["陈刚"]
    assert "应发 46.60 元" in lines["陈刚"]  # 13.3 × 2 + 20
    sheet = {r[0]: r for r in load_workbook(out)["2026-11"].iter_rows(min_row=2, values_only=True)}
    assert sheet["陈刚"][:6] == ("陈刚", 0, 1, 3, "13.3 人时", "46.60")
    detail = list(load_workbook(out)["明细"].iter_rows(min_row=2, values_only=True))
    assert ("2026-11-24", "三年级2班", "陈刚", 8, "13.3 人时", "是") in detail
    # `tuoguan fees workload` is an alias writing the same workbook.
    alias = tmp_path / "alias.xlsx"
    assert (
        await cmd_fees(services, argparse.Namespace(fees_command="workload", month="2026-11", out=alias)) == 0
    )
    assert [list(r) for r in load_workbook(alias)["2026-11"].iter_rows(values_only=True)] == [
        list(r) for r in load_workbook(out)["2026-11"].iter_rows(values_only=True)
    ]


async def test_workload_cli_wiring(db: Database, capsys: pytest.CaptureFixture[str]) -> None:
    args = build_parser().parse_args(["report", "workload", "--month", "2026-11", "--out", "x.xlsx"])
    assert (args.report_command, args.month, args.out) == ("workload", "2026-11", Path("x.xlsx"))
    services = await demo_services(db)
    assert (
        await cmd_report(services, argparse.Namespace(report_command="workload", month="2026-13", out=None))
        == 2
    )
    assert "2026-10" in capsys.readouterr().out


async def test_a_course_substitute_takes_the_session(
    db: Database, capsys: pytest.CaptureFixture[str]
) -> None:
    services = await demo_services(db)
    say = sayer(services)
    async with db.transaction() as s:
        course = (await s.scalars(select(Course.id).where(Course.name == "篮球"))).one()
        kid = (await s.scalars(select(Student.id).order_by(Student.id))).first()
        s.add(
            CourseAttendance(
                course_id=course,
                student_id=kid,
                day=date(2026, 11, 20),
                status="present",
                marked_by="staff:2",
                marked_at=shanghai(2026, 11, 20, 16),
                message_id="ca",
            )
        )
    head = await say("teacher-li", "代班 11月20日 篮球 周静", (9, 0))
    assert head.result == "not_allowed"  # 篮球 is 陈刚's: he or the principal arranges it
    ok = await say("principal-zhao", "代班 11月20日 篮球 周静", (9, 0))
    assert ok.command == "代班" and not ok.reply.refused, ok.reply.text
    services.clock.instant = shanghai(2026, 11, 23, 20)  # type: ignore[attr-defined]
    lines = await _report(services, capsys, None)
    assert "1 课时" in lines["周静"] and "代班 1 次" in lines["周静"] and "0 课时" in lines["陈刚"]
