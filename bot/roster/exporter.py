"""`tuoguan roster export`: the current roster in the import format (re-importing it changes nothing)."""

from __future__ import annotations

from pathlib import Path

from openpyxl import Workbook

from bot.domain.duty import WEEKDAY_CN as DUTY_WEEKDAYS
from bot.domain.roster import LEFT_BEHIND_LABELS, ROLE_LABELS, CourseRec, StudentRec, Validated
from bot.roster.fields import ARCHIVE_COLUMNS
from bot.roster.schema import SHEET_ORDER
from bot.roster.template import write_notes, write_sheet
from bot.store.db import Database

WEEKDAY_CN = {1: "一", 2: "二", 3: "三", 4: "四", 5: "五", 6: "六", 7: "日"}


def _yes(flag: bool) -> str:
    return "是" if flag else "否"


def _yuan(fen: int) -> str:
    return f"{fen // 100}" if fen % 100 == 0 else f"{fen // 100}.{fen % 100:02d}"


async def export_roster(db: Database, path: Path, *, school_name: str) -> None:
    async with db.unit_of_work() as uow:
        school_id = await uow.roster.school_named(school_name)
        records = await uow.roster.records(school_id) if school_id is not None else Validated()
    sheets = _collect(records)
    wb = Workbook()
    for index, name in enumerate(SHEET_ORDER):
        ws = wb.active if index == 0 else wb.create_sheet(name)
        assert ws is not None
        ws.title = name
        write_sheet(ws, name, sheets[name])
    write_notes(wb)
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)


def _collect(r: Validated) -> dict[str, list[list[object]]]:
    """The rows of each sheet, in the import's columns."""
    return {
        "班级": [
            [c.name, c.grade, c.head_teacher, c.head_phone, c.platform, c.chat_id, c.webhook, c.secret]
            for c in r.classes
        ],
        "学生": [[*_student(s), r.bus.riders.get(s.student_no, "")] for s in r.students],
        "家长": [
            [g.student_no, g.name, g.relation, g.phone, g.account, _yes(g.may_pickup)] for g in r.guardians
        ],
        "教师": [
            [t.name, t.phone, ROLE_LABELS.get(t.role, t.role), t.class_name, t.account] for t in r.teachers
        ],
        "课程": [_course(c) for c in r.courses],
        "校车": [[b.name, b.direction, b.driver, b.driver_phone, b.plate] for b in r.bus.lines],
        "值班": [
            [d.day.isoformat() if d.day else "", DUTY_WEEKDAYS[d.weekday - 1] if d.weekday else "", d.leader]
            for d in r.duties
        ],
    }


def _student(s: StudentRec) -> list[object]:
    birth = s.birth_date.isoformat() if s.birth_date else ""
    left_behind = LEFT_BEHIND_LABELS.get(s.left_behind, "无")
    return [
        s.student_no,
        s.name,
        s.class_name,
        s.gender,
        birth,
        _yes(s.basic_care),
        left_behind,
        s.away_work_place,
        s.paired_teacher,
        *_archive_cells(s),
        s.note,
    ]


def _archive_cells(s: StudentRec) -> list[object]:
    """爱心妈妈, 务工单位, 务工单位电话, 监护人职业, 监护人年龄, 监护人健康 (as the 学生 sheet orders them)."""
    return [s.archive.get(key) if s.archive.get(key) is not None else "" for key in ARCHIVE_COLUMNS.values()]


def _course(c: CourseRec) -> list[object]:
    days = ",".join(WEEKDAY_CN[int(d)] for d in c.weekdays.split(",") if d)
    return [
        c.name,
        c.category,
        days,
        c.start.strftime("%H:%M"),
        c.end.strftime("%H:%M"),
        c.capacity,
        c.min_size,
        _yuan(c.price_fen),
        c.grades,
        c.teacher,
    ]
