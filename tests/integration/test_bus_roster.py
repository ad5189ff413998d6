"""Roster sheet 校车 and the 学生 column 校车线路: validation with Chinese errors (nothing half-imported),
idempotent re-import, a changed line counted as an update, a file without the column keeps the riders, the
template and the export round trip. On SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from bot.clock import FixedClock
from bot.roster.exporter import export_roster
from bot.roster.importer import import_roster
from bot.roster.schema import SHEETS
from bot.roster.template import write_template
from bot.store.bus_tables import BusLine, BusRider
from bot.store.db import Database
from bot.store.tables import Student
from tests.conftest import shanghai
from tests.integration.roster_files import Rows, demo_rows, write_workbook

CLOCK = FixedClock(shanghai(2026, 9, 1, 8))
SCHOOL = "测试小学"
LINES: Rows = [
    ["一号线", "城东方向", "王师傅", "13700000001", "湘A12345"],
    ["二号线", "", "李师傅", "137-0000-0002", "湘a·d1234x"],
]
RIDER_COLUMN = [c.header for c in SHEETS["学生"]].index("校车线路")
RIDERS = {"D3208": "一号线", "D5106": "1号线", "D3209": "二号线"}


def bus_rows(lines: Rows | None = None, riders: dict[str, str] | None = None) -> dict[str, Rows]:
    rows = demo_rows()  # 学生 rows padded to every column
    for row in rows["学生"]:
        row[RIDER_COLUMN] = (RIDERS if riders is None else riders).get(str(row[0]), "")
    rows["校车"] = [list(r) for r in (LINES if lines is None else lines)]
    return rows


async def run_import(db: Database, path: Path) -> Any:
    return await import_roster(db, [path], school_name=SCHOOL, clock=CLOCK)


async def riders(db: Database) -> dict[str, str]:
    async with db.transaction() as s:
        rows = await s.execute(
            select(Student.name, BusLine.name)
            .join(BusRider, BusRider.student_id == Student.id)
            .join(BusLine, BusLine.id == BusRider.bus_line_id)
        )
        return dict(rows.all())  # type: ignore[arg-type]


async def line_count(db: Database) -> int:
    async with db.transaction() as s:
        return await s.scalar(select(func.count()).select_from(BusLine)) or 0


def test_the_contract_names() -> None:
    assert [c.header for c in SHEETS["校车"]] == ["线路", "方向", "司机", "司机手机", "车牌"]
    assert "校车线路" in [c.header for c in SHEETS["学生"]]


async def test_lines_and_riders_import_and_reimport_changes_nothing(db: Database, tmp_path: Path) -> None:
    path = write_workbook(tmp_path / "a.xlsx", bus_rows())
    first = await run_import(db, path)
    assert first.ok, first.render()
    assert "校车: 新增 2, 更新 0, 无变化 0" in first.render()
    assert await riders(db) == {"黄欣怡": "一号线", "郭宇航": "一号线", "周博文": "二号线"}  # 1号线 is 一号线
    async with db.transaction() as s:
        two = await s.scalar(select(BusLine).where(BusLine.name == "二号线"))
    assert two is not None and (two.driver_phone, two.plate) == ("13700000002", "湘AD1234X")
    again = await run_import(db, path)
    assert again.ok and not again.changed, again.render()


async def test_a_changed_line_updates_the_pupil_and_an_empty_cell_removes_the_rider(
    db: Database, tmp_path: Path
) -> None:
    await run_import(db, write_workbook(tmp_path / "a.xlsx", bus_rows()))
    moved = {"D3208": "二号线", "D5106": "一号线"}  # 周博文 no longer rides
    result = await run_import(db, write_workbook(tmp_path / "b.xlsx", bus_rows(riders=moved)))
    assert result.ok and "学生: 新增 0, 更新 2, 无变化 18" in result.render(), result.render()
    assert await riders(db) == {"黄欣怡": "二号线", "郭宇航": "一号线"}


async def test_a_file_without_the_column_keeps_the_riders(db: Database, tmp_path: Path) -> None:
    await run_import(db, write_workbook(tmp_path / "a.xlsx", bus_rows()))
    path = tmp_path / "学生.csv"
    headers = [c.header for c in SHEETS["学生"] if c.header != "校车线路"]
    values = ["D3208", "黄欣怡", "三年级2班", "女", "2017-09-03", "是", "无"]
    row = ",".join(values + [""] * (len(headers) - len(values)))
    path.write_text(f"{','.join(headers)}\n{row}\n", encoding="utf-8")
    result = await run_import(db, path)
    assert result.ok and not result.changed, result.render()
    assert (await riders(db))["黄欣怡"] == "一号线"


def _bad_line(column: int, value: object) -> dict[str, Rows]:
    lines = [list(r) for r in LINES]
    lines[0][column] = value
    return bus_rows(lines)


BAD = [
    ("plate", _bad_line(4, "A12345"), '校车 第2行: 车牌"A12345"格式不对(应如 湘A12345)'),
    ("phone", _bad_line(3, "1234"), '校车 第2行: 手机号"1234"格式不对(应为11位手机号)'),
    ("driver", _bad_line(2, ""), "校车 第2行: 司机不能为空"),
    ("name", _bad_line(0, ""), "校车 第2行: 线路不能为空"),
    (
        "same line twice",
        bus_rows([*LINES, ["1号线", "", "赵师傅", "13700000003", "湘A54321"]]),
        '校车 第4行: 线路"1号线"与第2行重复',
    ),
    ("unknown line", bus_rows(riders={"D3208": "三号线"}), '学生 第9行: 校车线路"三号线"不在 校车 表中'),
]


@pytest.mark.parametrize(("case", "rows", "message"), BAD, ids=[c[0] for c in BAD])
async def test_each_problem_is_reported_and_nothing_written(
    db: Database, tmp_path: Path, case: str, rows: dict[str, Rows], message: str
) -> None:
    result = await run_import(db, write_workbook(tmp_path / "r.xlsx", rows))
    assert not result.ok and message in result.errors, result.render()
    assert await line_count(db) == 0
    async with db.transaction() as s:
        assert await s.scalar(select(func.count()).select_from(Student)) == 0


async def test_missing_header_of_the_bus_sheet(db: Database, tmp_path: Path) -> None:
    path = tmp_path / "校车.csv"
    path.write_text("线路,方向\n一号线,城东\n", encoding="utf-8")
    result = await run_import(db, path)
    assert result.errors == ["校车: 缺少列 司机、司机手机、车牌"]


async def test_riders_may_name_a_line_already_stored(db: Database, tmp_path: Path) -> None:
    await run_import(db, write_workbook(tmp_path / "a.xlsx", bus_rows()))
    rows = bus_rows(riders={"D3201": "二号线"})
    del rows["校车"]
    result = await run_import(db, write_workbook(tmp_path / "b.xlsx", rows))
    assert result.ok, result.render()
    assert (await riders(db)) == {"王小明": "二号线"}


async def test_template_and_export_round_trip(db: Database, tmp_path: Path) -> None:
    template = tmp_path / "t.xlsx"
    write_template(template)
    wb = load_workbook(template)
    assert [c.value for c in wb["校车"][1]] == ["线路", "方向", "司机", "司机手机", "车牌"]
    assert (await run_import(db, template)).ok  # the example pupil rides the example line
    assert await riders(db) == {"王小明": "一号线"}

    await run_import(db, write_workbook(tmp_path / "a.xlsx", bus_rows()))
    out = tmp_path / "export.xlsx"
    await export_roster(db, out, school_name=SCHOOL)
    exported = load_workbook(out)
    lines = [[c.value for c in row] for row in exported["校车"].iter_rows(min_row=2)]
    assert ["二号线", None, "李师傅", "13700000002", "湘AD1234X"] in lines
    students = {row[0].value: row[-1].value for row in exported["学生"].iter_rows(min_row=2)}
    assert students["D3208"] == "一号线" and students["D3209"] == "二号线" and students["D3201"] is None
    before = await riders(db)
    result = await run_import(db, out)
    assert result.ok and not result.changed, result.render()
    assert await riders(db) == before
