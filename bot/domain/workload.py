"""Teachers' workload and pay (pure): child-minutes in basic care, whose they are, and pay in integer fen.

Basic care: each child present (in care, not on leave, not absent) counts from its grade's care start to
when it was picked up, or to care end (a pickup after the end, or one whose time is not known, counts to
the end). A class's day goes to its substitute (代班) if one was recorded, else to its care teachers
(those who checked in, if any did), shared evenly. X courses: each session held (a roll call) is one 课时.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, tzinfo

from bot.domain.fees import yuan


def _minutes(t: time) -> int:
    return t.hour * 60 + t.minute


def care_minutes(start: time, end: time, left: time | None) -> int:
    """Minutes a child was in care: from `start` to `left` (when picked up) or `end`, whichever is first."""
    until = min(_minutes(end), _minutes(left)) if left is not None else _minutes(end)
    return max(0, until - _minutes(start))


def shares(minutes: int, teachers: Sequence[int]) -> dict[int, int]:
    """Minutes split evenly among teachers (in the given order; the first ones take the remainder)."""
    if not teachers:
        return {}
    base, rest = divmod(minutes, len(teachers))
    return {t: base + (1 if i < rest else 0) for i, t in enumerate(teachers)}


def day_teachers(substitute: int | None, regular: Sequence[int], checked_in: set[int]) -> list[int]:
    """Who a class's (or a session's) day counts for: the substitute, else the regular ones who checked in,
    else all the regular ones."""
    if substitute is not None:
        return [substitute]
    present = [t for t in regular if t in checked_in]
    return present or list(regular)


def tenths_of_hour(minutes: int) -> int:
    """Child-minutes as tenths of an hour, rounded half up: 90 -> 15 (1.5 人时)."""
    return (minutes * 10 + 30) // 60


def hours_text(minutes: int) -> str:
    """Child-hours as written in reports: "1.5", "12" (one decimal, none when whole)."""
    whole, tenth = divmod(tenths_of_hour(minutes), 10)
    return f"{whole}.{tenth}" if tenth else f"{whole}"


@dataclass(frozen=True)
class Rates:
    basic_per_child_hour_fen: int = 200
    x_per_session_fen: int = 2000


def basic_pay_fen(minutes: int, rate_fen: int) -> int:
    """Pay for basic care on the child-hours as shown (tenths), rounded half up to the fen."""
    return (tenths_of_hour(minutes) * rate_fen + 5) // 10


@dataclass
class TeacherWork:
    """One teacher's month: days checked in, X sessions held, basic-care child-minutes."""

    staff_id: int | None
    name: str
    days: set[str] = field(default_factory=set)  # ISO days checked in (到岗)
    sessions: int = 0  # X 课时 held (roll called)
    attended: int = 0  # children present over those sessions (人次)
    child_minutes: int = 0  # basic care
    care_days: set[str] = field(default_factory=set)  # ISO days with basic care counted for them
    substitute_days: int = 0  # class days or sessions taken as a substitute (代班)
    late: int = 0  # checked in after their care start
    early: int = 0  # checked out before care end
    unconfirmed_days: int = 0  # class days without roll call or pickup: nothing to count, not paid

    def pay_fen(self, rates: Rates) -> int:
        return (
            basic_pay_fen(self.child_minutes, rates.basic_per_child_hour_fen)
            + self.sessions * rates.x_per_session_fen
        )

    def basis(self, rates: Rates) -> str:
        """How the pay was computed, in the report's words."""
        basic = basic_pay_fen(self.child_minutes, rates.basic_per_child_hour_fen)
        x = self.sessions * rates.x_per_session_fen
        return (
            f"基础托管 {hours_text(self.child_minutes)} 人时 × {yuan(rates.basic_per_child_hour_fen)}元"
            f" = {yuan(basic)}元 + X课 {self.sessions} 课时 × {yuan(rates.x_per_session_fen)}元 = {yuan(x)}元"
        )

    def line(self, rates: Rates) -> str:
        extra = [f"代班 {self.substitute_days} 次"] if self.substitute_days else []
        extra += [f"迟到 {self.late} 次"] if self.late else []
        extra += [f"早退 {self.early} 次"] if self.early else []
        extra += [f"未点名 {self.unconfirmed_days} 班次未计"] if self.unconfirmed_days else []
        note = f"({','.join(extra)})" if extra else ""
        return (
            f"{self.name}: 到岗 {len(self.days)} 天{note},{self.sessions} 课时,"
            f"{hours_text(self.child_minutes)} 人时,应发 {yuan(self.pay_fen(rates))} 元"
            f" [{self.basis(rates)}]"
        )


def local_time(at: datetime, day: date, tz: tzinfo) -> time:
    """The school's wall-clock time of a moment recorded on `day`. SQLite gives times back without their
    offset: UTC as the clock wrote it, or the school's time when a fixed local clock wrote it; the one of
    the two that falls on `day` is it."""
    if at.tzinfo is not None:
        return at.astimezone(tz).time()
    as_utc = at.replace(tzinfo=UTC).astimezone(tz)
    return as_utc.time() if as_utc.date() == day else at.time()
