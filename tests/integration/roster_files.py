"""Writing roster workbooks and CSVs for tests, from the demo school's rows with changes."""

from __future__ import annotations

import csv
from collections.abc import Sequence
from pathlib import Path

from openpyxl import Workbook

from bot import demo
from bot.roster.schema import SHEETS
from bot.roster.template import write_sheet

Rows = list[list[object]]
# Where the 学生 sheet's 备注 is (columns are added before it over time).
NOTE = [c.header for c in SHEETS["学生"]].index("备注")


def demo_rows() -> dict[str, Rows]:
    return {
        "班级": [list(r) for r in demo.CLASSES],
        "学生": [[*r, *[""] * (len(SHEETS["学生"]) - len(r))] for r in demo.STUDENTS],
        "家长": [list(r) for r in demo.GUARDIANS],
        "教师": [list(r) for r in demo.TEACHERS],
        "课程": [list(r) for r in demo.COURSES],
    }


def write_workbook(path: Path, sheets: dict[str, Rows]) -> Path:
    wb = Workbook()
    for index, (name, rows) in enumerate(sheets.items()):
        ws = wb.active if index == 0 else wb.create_sheet(name)
        assert ws is not None
        ws.title = name
        write_sheet(ws, name, rows)
    wb.save(path)
    return path


def write_csv(path: Path, name: str, rows: Sequence[Sequence[object]], encoding: str = "utf-8-sig") -> Path:
    with path.open("w", encoding=encoding, newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow([c.header for c in SHEETS[name]])
        writer.writerows(rows)
    return path
