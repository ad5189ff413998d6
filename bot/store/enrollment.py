"""Enrollment queries: courses by name, the course row locked while a place is decided, seats, promotion."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain import enrollment as rules
from bot.domain.enrollment import HOLDS_PLACE, OPEN, PriorityPolicy, Seat, State
from bot.store.enroll_tables import CourseWindow, Enrollment, PriorityMark, as_utc
from bot.store.tables import Course, Student


async def find_course(
    session: AsyncSession, school_id: int | None, name: str, *, lock: bool = False
) -> Course | None:
    """A course by name; `lock` takes the row lock (FOR UPDATE on PostgreSQL; SQLite writers are serialised)."""
    q = select(Course).where(Course.school_id == school_id, Course.name == name)
    if lock:
        q = q.with_for_update()
    return (await session.execute(q)).scalars().first()


async def open_enrollments(session: AsyncSession, course_id: int) -> list[Enrollment]:
    q = select(Enrollment).where(
        Enrollment.course_id == course_id, Enrollment.state.in_([s.value for s in OPEN])
    )
    return list((await session.execute(q)).scalars())


def as_seats(rows: Sequence[Any], priority: set[int] | frozenset[int] = frozenset()) -> list[Seat]:
    """Seats for the rules; `priority` holds the student ids in a priority group."""
    return [Seat(e.id, State(e.state), e.applied_at, e.student_id in priority) for e in rows]


async def priority_students(
    session: AsyncSession, student_ids: Sequence[int], policy: PriorityPolicy
) -> set[int]:
    """Which of these children are in a configured priority group (two queries; none when the policy is off)."""
    if not policy.on or not student_ids:
        return set()
    ids = list(student_ids)
    marks: dict[int, list[str]] = defaultdict(list)
    for sid, group in (
        await session.execute(
            select(PriorityMark.student_id, PriorityMark.group).where(PriorityMark.student_id.in_(ids))
        )
    ).all():
        marks[sid].append(group)
    rows = (await session.execute(select(Student.id, Student.left_behind).where(Student.id.in_(ids)))).all()
    return {
        sid for sid, left_behind in rows if rules.in_priority_group(policy.groups, left_behind, marks[sid])
    }


async def reserved_places(session: AsyncSession, course_id: int, policy: PriorityPolicy) -> int:
    """Places held for priority groups in the first round: the course's own number, else the default.
    Once the first-round window has closed they are released to everyone."""
    if not policy.on:
        return 0
    w = await session.get(CourseWindow, course_id)
    if w is None:
        return policy.reserved_places
    if w.round >= 2:
        return 0
    return w.reserved_places or policy.reserved_places


async def promote_waitlist(
    session: AsyncSession, course: Course, policy: PriorityPolicy, now: datetime
) -> list[Enrollment]:
    """Freed places go to the waitlist in application order, reserved places only to priority groups."""
    rows = await open_enrollments(session, course.id)
    by_id = {e.id: e for e in rows}
    prio = await priority_students(session, [e.student_id for e in rows], policy)
    reserved = await reserved_places(session, course.id, policy)
    promoted = [by_id[seat.id] for seat in rules.to_promote(as_seats(rows, prio), course.capacity, reserved)]
    for e in promoted:
        set_state(e, rules.move(State(e.state), "promote"), now)
    return promoted


async def held_counts(session: AsyncSession, school_id: int) -> dict[int, int]:
    """Course id -> places held (applied to active), one grouped query for a school."""
    q = (
        select(Enrollment.course_id, func.count())
        .join(Course, Course.id == Enrollment.course_id)
        .where(Course.school_id == school_id, Enrollment.state.in_([s.value for s in HOLDS_PLACE]))
        .group_by(Enrollment.course_id)
    )
    return {cid: int(n) for cid, n in (await session.execute(q)).all()}


async def for_students(session: AsyncSession, student_ids: Sequence[int]) -> list[tuple[Enrollment, Course]]:
    q = (
        select(Enrollment, Course)
        .join(Course, Course.id == Enrollment.course_id)
        .where(Enrollment.student_id.in_(list(student_ids)))
        .order_by(Enrollment.applied_at, Enrollment.id)
    )
    return [(e, c) for e, c in (await session.execute(q)).all()]


async def students_named(session: AsyncSession, school_id: int | None, name: str) -> list[Student]:
    q = select(Student).where(Student.school_id == school_id, Student.name == name, Student.active.is_(True))
    return list((await session.execute(q)).scalars())


def set_state(e: Enrollment, state: State, now: datetime) -> None:
    e.state = state.value
    e.updated_at = now


async def open_courses(session: AsyncSession, school_id: int | None) -> list[Course]:
    """The school's courses still taking sign-ups, basic care first."""
    stmt = select(Course).where(Course.school_id == school_id, Course.state == "open")
    return list(await session.scalars(stmt.order_by(Course.category, Course.name)))


@dataclass(frozen=True, slots=True)
class CourseView:
    """A course as the enrollment commands read it."""

    id: int
    name: str
    category: str
    weekdays: str  # ISO weekdays, "3,5"
    start_time: time
    end_time: time
    capacity: int
    price_fen: int
    grades: str  # "1,2,3"; empty = all
    state: str


@dataclass(frozen=True, slots=True)
class EnrollmentView:
    """One child in one course, as read (changes go through the repository)."""

    id: int
    course_id: int
    student_id: int
    guardian_id: int | None
    state: str
    applied_at: datetime


def _course(c: Course) -> CourseView:
    return CourseView(
        c.id,
        c.name,
        c.category,
        c.weekdays,
        c.start_time,
        c.end_time,
        c.capacity,
        c.price_fen,
        c.grades,
        c.state,
    )


def _enrollment(e: Enrollment) -> EnrollmentView:
    return EnrollmentView(e.id, e.course_id, e.student_id, e.guardian_id, e.state, e.applied_at)


class EnrollmentRepo:
    """Courses, enrollments and the waitlist (the rules are in bot.domain.enrollment); plain values out."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def find_course(self, school_id: int | None, name: str, *, lock: bool = False) -> CourseView | None:
        course = await find_course(self.session, school_id, name, lock=lock)
        return None if course is None else _course(course)

    async def open_courses(self, school_id: int | None) -> list[CourseView]:
        return [_course(c) for c in await open_courses(self.session, school_id)]

    async def open_enrollments(self, course_id: int) -> list[EnrollmentView]:
        return [_enrollment(e) for e in await open_enrollments(self.session, course_id)]

    async def priority_students(self, student_ids: Sequence[int], policy: PriorityPolicy) -> set[int]:
        return await priority_students(self.session, student_ids, policy)

    async def reserved_places(self, course_id: int, policy: PriorityPolicy) -> int:
        return await reserved_places(self.session, course_id, policy)

    async def promote_waitlist(
        self, course_id: int, policy: PriorityPolicy, now: datetime
    ) -> list[EnrollmentView]:
        course = await self.session.get(Course, course_id)
        assert course is not None
        return [_enrollment(e) for e in await promote_waitlist(self.session, course, policy, now)]

    async def waitlist_positions(self, enrollment_ids: Sequence[int]) -> dict[int, int]:
        """Enrollment id -> place on its course's waitlist, for all the given ids in one query."""
        if not enrollment_ids:
            return {}
        mine = select(Enrollment.course_id).where(Enrollment.id.in_(list(enrollment_ids))).scalar_subquery()
        q = select(Enrollment).where(Enrollment.course_id.in_(mine), Enrollment.state == State.WAITLIST.value)
        per_course: dict[int, list[Enrollment]] = defaultdict(list)
        for e in (await self.session.execute(q)).scalars():
            per_course[e.course_id].append(e)
        out: dict[int, int] = {}
        for rows in per_course.values():
            for i, seat in enumerate(rules.queue(as_seats(rows)), start=1):
                out[seat.id] = i
        return {k: v for k, v in out.items() if k in set(enrollment_ids)}

    async def for_students(self, student_ids: Sequence[int]) -> list[tuple[EnrollmentView, CourseView]]:
        return [(_enrollment(e), _course(c)) for e, c in await for_students(self.session, student_ids)]

    async def pupils_named(self, school_id: int | None, name: str) -> dict[int, int]:
        """Active pupils of the school with this name: student id -> class id."""
        return {s.id: s.class_group_id for s in await students_named(self.session, school_id, name)}

    async def window_refusal(
        self,
        course_id: int,
        student_id: int,
        now: datetime,
        priority: bool = False,
        early_hours: int = 0,
    ) -> str | None:
        """Why the course's window refuses this child now, or None: not open yet (priority groups may start
        earlier), closed, or second round only for children whose course was cancelled."""
        w = await self.session.get(CourseWindow, course_id)
        if w is None:
            return None
        opens, closes = as_utc(w.opens_at), as_utc(w.closes_at)
        if priority and w.round < 2 and opens is not None:
            early = as_utc(w.priority_opens_at) or opens - timedelta(hours=early_hours)
            opens = min(opens, early)
        if opens is not None and now < opens:
            return f"报名尚未开始,{opens.astimezone(now.tzinfo):%m月%d日 %H:%M} 开放。"
        if closes is not None and now > closes:
            return "报名已截止。"
        if w.round >= 2:
            q = select(Enrollment.id).where(
                Enrollment.student_id == student_id, Enrollment.state == State.CANCELLED.value
            )
            if (await self.session.execute(q)).first() is None:
                return "二次报名仅面向所报课程被撤班的学生。"
        return None

    async def apply(
        self, course_id: int, student_id: int, guardian_id: int | None, state: State, now: datetime
    ) -> int:
        """A new application in `state`; its id."""
        e = Enrollment(
            course_id=course_id,
            student_id=student_id,
            guardian_id=guardian_id,
            state=state.value,
            applied_at=now,
            updated_at=now,
            round=1,
        )
        self.session.add(e)
        await self.session.flush()
        return e.id

    async def set_state(self, enrollment_id: int, state: State, now: datetime) -> None:
        e = await self.session.get(Enrollment, enrollment_id)
        assert e is not None
        set_state(e, state, now)

    async def cancel_course(self, course_id: int) -> None:
        """The course is cancelled (撤班); its enrollments are moved by the caller."""
        course = await self.session.get(Course, course_id)
        assert course is not None
        course.state = "cancelled"

    async def take_basic_care(self, student_id: int) -> None:
        """The child is in basic care (1类)."""
        student = await self.session.get(Student, student_id)
        if student is not None:
            student.basic_care = True
