"""Rules of the care day: when care starts and ends per grade (with the summer switch), lateness."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.settings import CareSettings


def _hm(text: str) -> time:
    hour, minute = text.split(":")
    return time(int(hour), int(minute))


@dataclass(frozen=True)
class CareTimes:
    start_by_grade: dict[int, time]
    end: time
    summer_end: time
    summer_from: tuple[int, int]
    summer_to: tuple[int, int]

    @classmethod
    def from_settings(cls, care: CareSettings) -> CareTimes:
        start = {int(g): _hm(t) for g, t in care.start_by_grade.items()}
        sf = [int(x) for x in care.summer_from.split("-")]
        st = [int(x) for x in care.summer_to.split("-")]
        return cls(start, _hm(care.end), _hm(care.summer_end), (sf[0], sf[1]), (st[0], st[1]))

    def is_summer(self, day: date) -> bool:
        return self.summer_from <= (day.month, day.day) <= self.summer_to

    def start(self, grade: int) -> time:
        return self.start_by_grade.get(grade, min(self.start_by_grade.values(), default=time(15, 30)))

    def end_for(self, day: date) -> time:
        return self.summer_end if self.is_summer(day) else self.end

    def started(self, grade: int, moment: datetime) -> bool:
        """Has care begun for this grade at this (local) moment?"""
        return moment.time() >= self.start(grade)


def expected_pickup(care_end: time, planned: time | None) -> time:
    """A late notice moves the expected time later, never earlier than the end of care."""
    return max(care_end, planned) if planned else care_end


def minutes_late(expected: time, moment: datetime, grace: int = 0) -> int:
    """Whole minutes after the expected time (0 if on time or within the grace minutes)."""
    minutes = (moment.hour * 60 + moment.minute) - (expected.hour * 60 + expected.minute)
    return minutes if minutes > grace else 0


def term_bounds(day: date) -> tuple[date, date]:
    """The school term holding `day` when the school has entered none: Sep-Jan or Feb-Aug."""
    if day.month >= 9:
        return date(day.year, 9, 1), date(day.year + 1, 1, 31)
    if day.month == 1:
        return date(day.year - 1, 9, 1), date(day.year, 1, 31)
    return date(day.year, 2, 1), date(day.year, 8, 31)
