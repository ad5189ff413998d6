"""The demo school with two bus lines and their riders, loaded through the roster import (sheet 校车, column 校车线路)."""

from __future__ import annotations

from sqlalchemy import select

from bot import demo
from bot.bootstrap import Services
from bot.roster.importer import import_sheets
from bot.roster.reader import Row, SheetData
from bot.roster.schema import SHEETS, short
from bot.store.bus_tables import BusBoarding
from bot.store.db import Database
from bot.store.tables import Student

LINES = [
    ("一号线", "城东方向", "王师傅", "13700000001", "湘A12345"),
    ("二号线", "", "李师傅", "13700000002", "湘A54321"),
]
# 王小明, 李华, 杨雨涵, 黄欣怡 (三年级2班) and 郭宇航, 林子豪 (五年级1班) ride 一号线; 周博文 二号线.
RIDERS = {
    "D3201": "一号线",
    "D3202": "一号线",
    "D3206": "一号线",
    "D3208": "一号线",
    "D5106": "一号线",
    "D5108": "一号线",
    "D3209": "二号线",
}
DRIVER_PHONES = ("13700000001", "13700000002")


def _sheet(name: str, rows: list[tuple[object, ...]]) -> SheetData:
    headers = [short(c.header) for c in SHEETS[name]]
    return SheetData(name, [Row(i, dict(zip(headers, r, strict=False))) for i, r in enumerate(rows, start=2)])


async def add_bus(services: Services, riders: dict[str, str] | None = None) -> None:
    column = [short(c.header) for c in SHEETS["学生"]].index("校车线路")
    students = []
    for pupil in demo.STUDENTS:
        row: list[object] = [*pupil, *[""] * (len(SHEETS["学生"]) - len(pupil))]
        row[column] = (RIDERS if riders is None else riders).get(pupil[0], "")
        students.append(tuple(row))
    result = await import_sheets(
        services.db,
        {"校车": _sheet("校车", list(LINES)), "学生": _sheet("学生", students)},
        source="test",
        school_name=services.settings.school.name,
        clock=services.clock,
    )
    assert result.ok, result.render()


async def boardings(db: Database) -> dict[str, bool]:
    """Pupil name -> on the bus (True) or missing (False), for every boarding record."""
    async with db.transaction() as s:
        rows = await s.execute(
            select(Student.name, BusBoarding.boarded).join(BusBoarding, BusBoarding.student_id == Student.id)
        )
        return dict(rows.all())  # type: ignore[arg-type]
