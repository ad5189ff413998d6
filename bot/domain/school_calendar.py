"""Which days have care: Chinese workdays (holidays and 调休 from chinese-calendar), inside a term,
not closed by the school, plus the school's own extra days."""

from __future__ import annotations

import functools
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

import chinese_calendar

from bot.domain.care import term_bounds

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class DateRange:
    start: date
    end: date
    name: str = ""

    def __contains__(self, day: object) -> bool:
        return isinstance(day, date) and self.start <= day <= self.end


@functools.lru_cache(maxsize=4096)
def national_workday(day: date) -> bool:
    """A working day in China: Mon-Fri unless a public holiday, or a make-up workday (调休).

    chinese-calendar only knows the years the State Council has published; beyond them we fall back
    to Monday-Friday and say so, and the school adds its own entries with `tuoguan calendar`.
    Remembered per day: the answer comes from the installed package's tables, which never change while
    the process runs (the school's own calendar is not part of it and is read afresh every time).
    """
    try:
        return bool(chinese_calendar.is_workday(day))
    except NotImplementedError:
        _warn_no_data(day.year)
        return day.weekday() < 5


@functools.cache
def _warn_no_data(year: int) -> None:
    """Said once per year and process, not once per day asked (a term's billing asks every day)."""
    log.warning("chinese-calendar has no data for %s; assuming Monday-Friday", year)


@dataclass(frozen=True)
class SchoolCalendar:
    terms: tuple[DateRange, ...] = ()
    closures: tuple[DateRange, ...] = ()
    extra_days: tuple[DateRange, ...] = field(default=())

    @classmethod
    def from_entries(cls, entries: Iterable[tuple[str, date, date, str]]) -> SchoolCalendar:
        kinds: dict[str, list[DateRange]] = {"term": [], "closure": [], "workday": []}
        for kind, start, end, name in entries:
            kinds.setdefault(kind, []).append(DateRange(start, end, name))
        return cls(tuple(kinds["term"]), tuple(kinds["closure"]), tuple(kinds["workday"]))

    def in_term(self, day: date) -> bool:
        """Without any term entered, every day counts as in term (a school that has not set dates yet)."""
        return not self.terms or any(day in term for term in self.terms)

    def is_care_day(self, day: date) -> bool:
        if any(day in closure for closure in self.closures):
            return False
        if any(day in extra for extra in self.extra_days):
            return True
        return self.in_term(day) and national_workday(day)

    def why_not(self, day: date) -> str:
        """A short Chinese reason a day has no care, for logs and replies ('' if it has care)."""
        if self.is_care_day(day):
            return ""
        if any(day in closure for closure in self.closures):
            return "学校停课"
        if not self.in_term(day):
            return "不在学期内"
        if day.weekday() >= 5:
            return "周末"
        return "法定节假日"


def calendar_term(calendar: SchoolCalendar, day: date) -> tuple[date, date]:
    """The school's term holding `day`, from its calendar entries (Sep-Jan / Feb-Aug when it has none)."""
    for term in calendar.terms:
        if term.start <= day <= term.end:
            return term.start, term.end
    return term_bounds(day)
