"""Left-behind archives' rhythm (pure): the term's first week for the archive update, the weekly talks."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta

# 每周与3—5名留守儿童谈一次心: distinct children a paired teacher talks with in a week (谈心 or 关爱记录).
WEEKLY_TALKS = (3, 5)
FIRST_WEEK_DAYS = 7


def first_week(term_start: date, is_care_day: Callable[[date], bool]) -> tuple[date, date] | None:
    """The term's first week: from its first care day (within a month of the start) for seven days."""
    for offset in range(31):
        day = term_start + timedelta(days=offset)
        if is_care_day(day):
            return day, day + timedelta(days=FIRST_WEEK_DAYS - 1)
    return None


def week_of(day: date) -> tuple[date, date]:
    """Monday of the day's week, and the day itself (a week so far)."""
    return day - timedelta(days=day.weekday()), day


def talk_mark(children: int, target: tuple[int, int] = WEEKLY_TALKS) -> str:
    """How a week's count stands against the 3-5 target: below, within or above."""
    low, high = target
    if children < low:
        return f"差 {low - children}"
    return "达标" if children <= high else "超出目标"
