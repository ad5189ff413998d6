"""The roster's bus part: the 校车 sheet (线路, 方向, 司机, 司机手机, 车牌) and the 学生 sheet's 校车线路 column,
validated with the rest (stored by bot/store/bus.py in the import's transaction, written back by the export)."""

from __future__ import annotations

from collections.abc import Iterable

from bot.domain.bus import PLATE_EXAMPLE, LineFacts, line_key, normal_plate
from bot.domain.roster import BusData
from bot.roster import fields as f
from bot.roster.reader import Row, SheetData

SHEET = "校车"
RIDER_COLUMN = "校车线路"


def _required(row: Row, column: str) -> str:
    value = row.text(column)
    if value == "":
        raise f.FieldError(f"{column}不能为空")
    return value


def _line(row: Row) -> LineFacts:
    name = _required(row, "线路")
    if len(name) > 30:
        raise f.FieldError(f'线路"{name[:30]}…"太长(最多30个字)')
    driver = _required(row, "司机")
    phone = f.phone(_required(row, "司机手机"))
    plate_text = _required(row, "车牌")
    plate = normal_plate(plate_text)
    if plate is None:
        raise f.FieldError(f'车牌"{plate_text}"格式不对(应如 {PLATE_EXAMPLE})')
    return LineFacts(0, name, row.text("方向")[:50], driver[:50], phone, plate)


def validate_bus(sheets: dict[str, SheetData], known_lines: Iterable[str]) -> BusData:
    """Every 校车 row, then every 学生 row's 校车线路 against the lines of the file and of the database."""
    data = BusData()
    names = {line_key(n): n for n in known_lines}
    seen: dict[str, int] = {}
    for row in sheets[SHEET].rows if SHEET in sheets else []:
        try:
            rec = _line(row)
            key = line_key(rec.name)
            if key in seen:
                raise f.FieldError(f'线路"{rec.name}"与第{seen[key]}行重复')
        except f.FieldError as exc:
            data.errors.append(f"{SHEET} 第{row.number}行: {exc}")
            continue
        seen[key], names[key] = row.number, rec.name
        data.lines.append(rec)
    students = sheets.get("学生")
    if students is None or not any(RIDER_COLUMN in r.cells for r in students.rows):
        return data
    for row in students.rows:
        number, line = row.text("学籍号"), row.text(RIDER_COLUMN)
        if not number:
            continue  # reported by the 学生 sheet's own check
        if line and line_key(line) not in names:
            data.errors.append(f'学生 第{row.number}行: 校车线路"{line}"不在 校车 表中')
            continue
        data.riders[number] = names[line_key(line)] if line else ""
    return data
