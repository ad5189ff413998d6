"""tuoguan fees bill/pay/export/workload through their command functions: .xlsx the school can open."""

from __future__ import annotations

import argparse
from datetime import date
from pathlib import Path

from openpyxl import load_workbook
from sqlalchemy import select, update

from bot.bootstrap import bootstrap
from bot.cli.fees import cmd_fees
from bot.clock import FixedClock
from bot.settings import load_settings
from bot.store.care_tables import CourseAttendance
from bot.store.db import Database
from bot.store.enroll_tables import SessionCancellation
from bot.store.tables import Staff, Student
from tests.conftest import shanghai
from tests.integration.enroll_factory import seed
from tests.integration.test_fees_billing import enrol_all

NOW = shanghai(2026, 10, 10, 9, 0)


async def test_bill_pay_export_and_workload(db: Database, tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    school = await seed(db, families=2)
    await enrol_all(db, school)
    async with db.transaction() as s:
        s.add(SessionCancellation(course_id=school.course_ids["篮球"], day=date(2026, 10, 14), reason="停电"))
        # One session held (roll-called) before NOW, both children present; a planned session counts nothing.
        for student_id in (await s.scalars(select(Student.id).order_by(Student.id))).all()[:2]:
            s.add(
                CourseAttendance(
                    course_id=school.course_ids["篮球"],
                    student_id=student_id,
                    day=date(2026, 10, 9),
                    status="present",
                    marked_by="staff:1",
                    marked_at=NOW,
                    message_id="m",
                )
            )
    services = bootstrap(load_settings(), clock=FixedClock(NOW), db=db)
    assert await cmd_fees(services, argparse.Namespace(fees_command="bill", date=None)) == 0
    assert "新增 4 条" in capsys.readouterr().out
    assert (
        await cmd_fees(services, argparse.Namespace(fees_command="pay", student_no="S00000", amount="160"))
        == 0
    )
    out = tmp_path / "ledger.xlsx"
    assert await cmd_fees(services, argparse.Namespace(fees_command="export", out=out, date=None)) == 0
    rows = list(load_workbook(out)["台账"].iter_rows(values_only=True))
    assert rows[0] == ("学生", "类型", "金额(元)", "说明", "时间")  # money in 元 only (issue 18), a number
    assert ("学生000", "payment", 160) in [r[:3] for r in rows]
    assert sum(1 for r in rows if r[1] == "refund") == 2
    wl = tmp_path / "workload.xlsx"
    assert await cmd_fees(services, argparse.Namespace(fees_command="workload", month="2026-10", out=wl)) == 0
    sheet = list(load_workbook(wl)["2026-10"].iter_rows(values_only=True))
    # Sessions held (roll-called), not planned sessions × enrolment: one session, two children present.
    assert sheet[0][:6] == ("教师", "到岗天数", "课时", "人次", "人时", "应发(元)")
    assert next(r for r in sheet if r[0] == "陈教练")[:4] == ("陈教练", 0, 1, 2)
    assert next(r for r in sheet if r[0] == "陈教练")[5] == "20"


async def test_exports_write_formula_like_names_as_text(db: Database, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    school = await seed(db, families=2)
    await enrol_all(db, school)
    evil, teacher = '=HYPERLINK("http://evil.example","点我")', "@陈教练"
    async with db.transaction() as s:
        await s.execute(update(Student).where(Student.student_no == "S00000").values(name=evil))
        await s.execute(update(Staff).where(Staff.name == "陈教练").values(name=teacher))
    services = bootstrap(load_settings(), clock=FixedClock(NOW), db=db)
    assert await cmd_fees(services, argparse.Namespace(fees_command="bill", date=None)) == 0
    out, wl = tmp_path / "ledger.xlsx", tmp_path / "workload.xlsx"
    assert await cmd_fees(services, argparse.Namespace(fees_command="export", out=out, date=None)) == 0
    assert await cmd_fees(services, argparse.Namespace(fees_command="workload", month="2026-10", out=wl)) == 0
    ledger = [c for row in load_workbook(out)["台账"].iter_rows(min_row=2) for c in row]
    work = [c for row in load_workbook(wl)["2026-10"].iter_rows(min_row=2) for c in row]
    assert all(c.data_type != "f" for c in ledger + work)
    assert evil in [c.value for c in ledger] and teacher in [c.value for c in work]
    assert all(c.quotePrefix for c in ledger + work if c.value in (evil, teacher))
