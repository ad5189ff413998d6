"""`tuoguan report incidents --month YYYY-MM [--out FILE.xlsx]`: the month's incident register (staff only)."""

from __future__ import annotations

import re
from datetime import date, timedelta, tzinfo
from pathlib import Path

from openpyxl import Workbook

from bot.spreadsheet import append_row
from bot.store.db import Database
from bot.store.incidents import IncidentRow

HEADERS = ("日期", "时间", "班级", "学生", "学籍号", "经过", "处理", "老师原话", "报告人")


def month_bounds(month: str) -> tuple[date, date] | None:
    """2026-11 -> (2026-11-01, 2026-11-30); None when it is not a month."""
    m = re.fullmatch(r"(\d{4})-(\d{1,2})", month.strip())
    if m is None or not 1 <= int(m.group(2)) <= 12:
        return None
    first = date(int(m.group(1)), int(m.group(2)), 1)
    following = date(first.year + first.month // 12, first.month % 12 + 1, 1)
    return first, following - timedelta(days=1)


def cells(row: IncidentRow, tz: tzinfo) -> list[object]:
    local = row.at.astimezone(tz)
    return [
        local.date().isoformat(),
        f"{local:%H:%M}",
        row.class_name,
        row.child,
        row.student_no,
        row.what,
        row.actions or "未说明",
        row.words,
        row.reporter,
    ]


def register_text(rows: list[IncidentRow], month: str, tz: tzinfo) -> str:
    lines = [f"{month} 安全事件登记 {len(rows)} 起" + (":" if rows else "。")]
    for row in rows:
        c = cells(row, tz)
        lines.append(f"{c[0]} {c[1]} {c[2]} {c[3]}: {c[5] or '(未写经过)'};处理: {c[6]};报告人 {c[8]}")
    return "\n".join(lines)


def write_register(rows: list[IncidentRow], month: str, tz: tzinfo, path: Path) -> None:
    """The register as .xlsx: every text written as text (a description like `=…` never becomes a formula)."""
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = f"安全事件{month}"
    ws.append(list(HEADERS))
    for row in rows:
        append_row(ws, cells(row, tz))
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)


async def incident_register(db: Database, start: date, end: date) -> list[IncidentRow]:
    """Every school's incidents from `start` to `end` (inclusive), school by school, oldest first."""
    async with db.unit_of_work() as uow:
        return [
            row
            for school_id in await uow.calendar.school_ids()
            for row in await uow.incidents.between(school_id, start, end)
        ]
