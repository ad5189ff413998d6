"""Enrollment queries: courses by name, the course row locked while a place is decided, seats, promotion."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.enrollment import OPEN, Seat, State
from bot.store.enroll_tables import CourseWindow, Enrollment, as_utc
from bot.store.tables import Course, Student


async def find_course(session: AsyncSession, school_id: int | None, name: str, *, lock: bool = False) -> Course | None:
    """A course by name; `lock` takes the row lock (FOR UPDATE on PostgreSQL; SQLite writers are serialised)."""
    q = select(Course).where(Course.school_id == school_id, Course.name == name)
    if lock:
        q = q.with_for_update()
    return (await session.execute(q)).scalars().first()


async def open_enrollments(session: AsyncSession, course_id: int) -> list[Enrollment]:
    q = select(Enrollment).where(Enrollment.course_id == course_id, Enrollment.state.in_([s.value for s in OPEN]))
    return list((await session.execute(q)).scalars())


def as_seats(rows: Sequence[Enrollment]) -> list[Seat]:
    return [Seat(e.id, State(e.state), e.applied_at) for e in rows]


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


async def window_refusal(session: AsyncSession, course_id: int, student_id: int, now: datetime) -> str | None:
    """Why the course's window refuses this child now, or None: not open yet, closed, or second round only
    for children whose course was cancelled."""
    w = await session.get(CourseWindow, course_id)
    if w is None:
        return None
    opens, closes = as_utc(w.opens_at), as_utc(w.closes_at)
    if opens is not None and now < opens:
        return f"报名尚未开始,{opens.astimezone(now.tzinfo):%m月%d日 %H:%M} 开放。"
    if closes is not None and now > closes:
        return "报名已截止。"
    if w.round >= 2:
        q = select(Enrollment.id).where(Enrollment.student_id == student_id, Enrollment.state == State.CANCELLED.value)
        if (await session.execute(q)).first() is None:
            return "二次报名仅面向所报课程被撤班的学生。"
    return None
