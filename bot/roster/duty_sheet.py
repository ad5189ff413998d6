"""The roster's 值班 sheet: 日期 or 星期, and the 带班领导 (a teacher's name) — validated here (written and read
back by bot/store/duty.py)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from bot.domain.duty import WEEKDAY_CN, slot_of_day, slot_of_weekday
from bot.domain.roster import DutyRec
from bot.roster import fields as f
from bot.roster.reader import SheetData

if TYPE_CHECKING:
    pass

SHEET = "值班"


def validate_duty(
    sheet: SheetData | None, teacher_exists: Callable[[str, str], None]
) -> tuple[list[DutyRec], list[str]]:
    """Every 值班 row, or the problems by row: one of 日期 / 星期, a known teacher, no slot twice."""
    if sheet is None:
        return [], []
    recs: list[DutyRec] = []
    errors: list[str] = []
    seen: dict[str, int] = {}
    for row in sheet.rows:
        try:
            leader = row.text("带班领导")
            if not leader:
                raise f.FieldError("带班领导不能为空(填教师姓名)")
            teacher_exists(leader, "带班领导")
            day = f.a_date(row.cells.get("日期"))
            weekday_text = row.text("星期")
            if (day is None) == (weekday_text == ""):
                raise f.FieldError("日期和星期请填其中一个(日期如 2026-11-23,星期如 一 或 一,三)")
            slots = (
                [(slot_of_day(day), day, None)]
                if day is not None
                else [(slot_of_weekday(int(w)), None, int(w)) for w in f.weekdays(weekday_text).split(",")]
            )
            for slot, on_day, weekday in slots:
                if slot in seen:
                    what = f"日期 {on_day}" if on_day else f"星期{WEEKDAY_CN[(weekday or 1) - 1]}"
                    raise f.FieldError(f"{what}已在第{seen[slot]}行排过带班领导")
                seen[slot] = row.number
                recs.append(DutyRec(slot, on_day, weekday, leader, row.number))
        except f.FieldError as exc:
            errors.append(f"{SHEET} 第{row.number}行: {exc}")
    return recs, errors
