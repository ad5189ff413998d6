"""The courses repository: enrollment windows, priority marks, closing due windows (adding, publishing and the
course board: bot/store/courses.py)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain import enrollment as rules
from bot.domain.enrollment import State
from bot.store.enroll_tables import CourseWindow, PriorityMark, as_utc
from bot.store.enrollment import held_counts, open_enrollments, promote_waitlist, set_state
from bot.store.tables import Course, Student
from bot.store.term_facts import weekdays


@dataclass(frozen=True)
class CourseLine:
    """A course as `tuoguan course list` shows it."""

    id: int
    name: str
    state: str
    held: int
    capacity: int
    min_size: int
    price_fen: int
    weekdays: frozenset[int]


@dataclass
class ClosedWindow:
    """A round-1 window that closed: the course went ahead (its waitlist promoted) or was cancelled (撤班)."""

    course_id: int
    course: str
    held: int
    min_size: int
    cancelled: bool
    told: list[tuple[int, int]] = field(default_factory=list)  # (enrollment id, guardian id) to tell


class CoursesRepo:
    """Courses of a school, their enrollment windows, and the priority marks of children."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def _named(self, school_id: int, name: str) -> Course | None:
        query = select(Course).where(Course.school_id == school_id, Course.name == name)
        return (await self.session.execute(query)).scalars().first()

    async def named(self, school_id: int, name: str) -> CourseLine | None:
        course = await self._named(school_id, name)
        return None if course is None else _line(course, 0)

    async def set_window(
        self,
        school_id: int,
        name: str,
        opens: datetime,
        closes: datetime,
        reserved: int,
        priority_opens: datetime | None,
    ) -> bool:
        """Round 1 of a course's enrollment window (replacing any), which publishes a draft course; False when
        there is no such course."""
        course = await self._named(school_id, name)
        if course is None:
            return False
        if course.state == "draft":
            course.state = "open"
        await self.session.merge(
            CourseWindow(
                course_id=course.id,
                opens_at=opens,
                closes_at=closes,
                round=1,
                reserved_places=reserved,
                priority_opens_at=priority_opens,
            )
        )
        return True

    async def listing(self, school_id: int) -> list[CourseLine]:
        held = await held_counts(self.session, school_id)
        courses = (await self.session.execute(select(Course).where(Course.school_id == school_id))).scalars()
        return [_line(c, held.get(c.id, 0)) for c in courses]

    async def mark_priority(
        self, student_no: str, group: str, off: bool, by: str, now: datetime
    ) -> str | None:
        """Set (or with `off` clear) a child's priority-group mark; the child's name, None if no such child."""
        query = select(Student).where(Student.student_no == student_no)
        student = (await self.session.execute(query)).scalars().first()
        if student is None:
            return None
        mark = await self.session.get(PriorityMark, (student.id, group))
        if off and mark is not None:
            await self.session.delete(mark)
        elif not off and mark is None:
            self.session.add(PriorityMark(student_id=student.id, group=group, set_by=by, set_at=now))
        return student.name

    async def close_due(
        self, at: datetime, second_round_days: int, priority: rules.PriorityPolicy
    ) -> list[ClosedWindow]:
        """Round-1 windows closed by `at` move to round 2 (open `second_round_days` from `at`); courses under
        their minimum are cancelled with their enrollments, the others promote their waitlist."""
        at = as_utc(at) or at
        due = (
            await self.session.execute(
                select(Course, CourseWindow)
                .join(CourseWindow, CourseWindow.course_id == Course.id)
                .where(CourseWindow.round == 1, CourseWindow.closes_at <= at, Course.state == "open")
                .with_for_update(of=Course)
            )
        ).all()
        closed = []
        for course, window in due:
            window.round, window.opens_at, window.closes_at = 2, at, at + timedelta(days=second_round_days)
            closed.append(await self._close(course, at, priority))
        return closed

    async def _close(self, course: Course, at: datetime, priority: rules.PriorityPolicy) -> ClosedWindow:
        rows = await open_enrollments(self.session, course.id)
        held = sum(1 for e in rows if State(e.state) in rules.HOLDS_PLACE)
        if not rules.under_filled(held, course.min_size):
            await self.session.flush()
            promoted = await promote_waitlist(self.session, course, priority, at)
            told = [(e.id, e.guardian_id) for e in promoted if e.guardian_id is not None]
            return ClosedWindow(course.id, course.name, held, course.min_size, False, told)
        course.state = "cancelled"
        for e in rows:
            set_state(e, State.CANCELLED, at)
        told = [(e.id, e.guardian_id) for e in rows if e.guardian_id is not None]
        return ClosedWindow(course.id, course.name, held, course.min_size, True, told)


def _line(course: Course, held: int) -> CourseLine:
    return CourseLine(
        course.id,
        course.name,
        course.state,
        held,
        course.capacity,
        course.min_size,
        course.price_fen,
        weekdays(course),
    )
