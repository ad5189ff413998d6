"""The roster's bus part: the 校车 sheet (线路, 方向, 司机, 司机手机, 车牌) and the 学生 sheet's 校车线路 column,
validated with the rest, stored in the import's transaction, written back by the export."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

from bot.domain.bus import PLATE_EXAMPLE, LineFacts, line_key, normal_plate
from bot.roster import fields as f
from bot.roster.reader import Row, SheetData
from bot.roster.schema import SHEETS, short
from bot.store import bus as store
from bot.store.bus import Session

SHEET = "校车"
RIDER_COLUMN = "校车线路"


@dataclass
class BusData:
    lines: list[LineFacts] = field(default_factory=list)
    # 学籍号 -> the line's name ("" = rides no bus); only when the 学生 sheet has the 校车线路 column, so a file
    # without it leaves the riders as they are.
    riders: dict[str, str] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)


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


async def rider_changes(session: Session, school_id: int, data: BusData) -> set[str]:
    """学籍号 of stored pupils whose line the file changes (their 学生 row counts as updated)."""
    if not data.riders:
        return set()
    now = await store.riders_by_student_no(session, school_id)
    return {
        no
        for no, name in data.riders.items()
        if line_key(now.get(no, "")) != line_key(name) and (no in now or name)
    }


async def apply_bus(session: Session, school_id: int, data: BusData) -> Counter[str] | None:
    """Store the lines, then the riders (the pupils are stored by then); the 校车 sheet's counts."""
    counts = await store.save_lines(session, school_id, data.lines)
    await store.set_riders(session, school_id, data.riders)
    if not data.lines:
        return None
    return Counter(
        {"新增": counts.count("新增"), "更新": counts.count("更新"), "无变化": counts.count("无变化")}
    )


async def export_bus(session: Session, school_id: int, sheets: dict[str, list[list[object]]]) -> None:
    """The 校车 sheet, and each 学生 row's 校车线路 (rows start with the 学籍号)."""
    for line in await store.school_lines(session, school_id):
        sheets[SHEET].append([line.name, line.direction, line.driver, line.driver_phone, line.plate])
    riders = await store.riders_by_student_no(session, school_id)
    column = [short(c.header) for c in SHEETS["学生"]].index(RIDER_COLUMN)
    for row in sheets["学生"]:
        row.extend([""] * (column + 1 - len(row)))
        row[column] = riders.get(str(row[0]), "")
