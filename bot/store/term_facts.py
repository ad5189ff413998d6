"""What billing and settlement read about a term, in a fixed number of queries (never one per student)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, tzinfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain import fees as rules
from bot.domain.enrollment import State
from bot.store.care_tables import Leave
from bot.store.enroll_tables import Enrollment, LedgerEntry, SessionCancellation, as_utc
from bot.store.tables import Course, Student

BILLED = (State.ACTIVE.value, State.WITHDRAW_REQ.value)  # enrollments that are charged
ENDED = (State.WITHDRAWN.value, State.CANCELLED.value)  # charged earlier, settled up to the day they ended


@dataclass(frozen=True)
class Seat:
    """One enrollment as billing sees it: whose, which course, and the days it covers in the term."""

    enrollment_id: int
    student_id: int
    course_id: int
    first: date
    last: date


@dataclass
class TermFacts:
    start: date
    end: date
    care_days: list[date]
    courses: dict[int, Course]
    seats: list[Seat]
    cancelled: dict[int, set[date]] = field(default_factory=lambda: defaultdict(set))
    leave: dict[int, set[date]] = field(default_factory=lambda: defaultdict(set))
    basic_students: list[int] = field(default_factory=list)

    def sessions(self, seat: Seat) -> list[date]:
        """The seat's course sessions on care days within the days the seat covers."""
        wd = weekdays(self.courses[seat.course_id])
        return [d for d in self.care_days if seat.first <= d <= seat.last and d.isoweekday() in wd]


def weekdays(course: Course) -> frozenset[int]:
    return frozenset(int(x) for x in course.weekdays.split(",") if x.strip())


async def load(
    session: AsyncSession,
    school_id: int,
    start: date,
    end: date,
    is_care_day: Callable[[date], bool],
    tz: tzinfo,
    *,
    with_ended: bool = False,
    with_leave: bool = False,
) -> TermFacts:
    """Courses, enrollments, school cancellations, notified leave (`with_leave`) and basic-care children.
    A seat starts on the day the child applied (or the term start) and, for an enrollment withdrawn or
    cancelled after being charged (`with_ended`), ends the day before that happened."""
    courses = {
        c.id: c
        for c in (await session.execute(select(Course).where(Course.school_id == school_id))).scalars()
    }
    seats = await _seats(session, school_id, start, end, tz, with_ended)
    facts = TermFacts(start, end, [d for d in rules.days(start, end) if is_care_day(d)], courses, seats)
    cancelled = await session.execute(
        select(SessionCancellation.course_id, SessionCancellation.day)
        .join(Course, Course.id == SessionCancellation.course_id)
        .where(Course.school_id == school_id, SessionCancellation.day.between(start, end))
    )
    for course_id, day in cancelled.all():
        facts.cancelled[course_id].add(day)
    if with_leave:
        for student_id, day in await _notified_leave(session, school_id, start, end):
            facts.leave[student_id].add(day)
    basic = await session.execute(
        select(Student.id)
        .where(Student.school_id == school_id, Student.basic_care.is_(True), Student.active.is_(True))
        .order_by(Student.id)
    )
    facts.basic_students = list(basic.scalars())
    return facts


async def _seats(
    session: AsyncSession, school_id: int, start: date, end: date, tz: tzinfo, with_ended: bool
) -> list[Seat]:
    """Each enrollment billed this term as a seat, from the day applied; an ended one (`with_ended`) only if it
    was charged, up to the day before it ended."""
    states = BILLED + ENDED if with_ended else BILLED
    rows = await session.execute(
        select(
            Enrollment.id,
            Enrollment.student_id,
            Enrollment.course_id,
            Enrollment.state,
            Enrollment.applied_at,
            Enrollment.updated_at,
        )
        .join(Course, Course.id == Enrollment.course_id)
        .where(Course.school_id == school_id, Enrollment.state.in_(states))
        .order_by(Enrollment.id)
    )
    charged = await _charged(session, school_id, start) if with_ended else set()
    seats = []
    for eid, sid, cid, state, applied, updated in rows.all():
        last = end
        if state in ENDED:
            if (sid, cid) not in charged:
                continue
            last = min(end, _local(updated, tz) - timedelta(days=1))
        seats.append(Seat(eid, sid, cid, max(start, _local(applied, tz)), last))
    return seats


async def _charged(session: AsyncSession, school_id: int, start: date) -> set[tuple[int, int | None]]:
    rows = await session.execute(
        select(LedgerEntry.student_id, LedgerEntry.course_id)
        .distinct()
        .where(
            LedgerEntry.school_id == school_id, LedgerEntry.term_start == start, LedgerEntry.kind == "charge"
        )
    )
    return {(sid, cid) for sid, cid in rows.all()}


async def _notified_leave(
    session: AsyncSession, school_id: int, start: date, end: date
) -> list[tuple[int, date]]:
    """Leave told before its day's care began (not 迟报), not cancelled: what a personal-leave refund counts."""
    rows = await session.execute(
        select(Leave.student_id, Leave.day)
        .join(Student, Student.id == Leave.student_id)
        .where(
            Student.school_id == school_id,
            Leave.day.between(start, end),
            Leave.cancelled_at.is_(None),
            Leave.late_notice.is_(False),
        )
    )
    return [(sid, day) for sid, day in rows.all()]


def _local(at: datetime, tz: tzinfo) -> date:
    """A stored time (UTC, naive on SQLite) as the school's local date."""
    return (as_utc(at) or at).astimezone(tz).date()
