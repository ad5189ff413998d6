"""Courses in the open: adding and publishing a course with its window, the course board, announcements, 公示."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import time

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.course_board import CourseFacts, Window
from bot.domain.enrollment import HOLDS_PLACE
from bot.store.enroll_tables import CourseWindow, Enrollment, as_utc
from bot.store.enrollment import held_counts
from bot.store.people import working_chats
from bot.store.tables import ClassGroup, Course, School, Staff, Student

Session = AsyncSession  # the type callers outside the store name their session by


async def first_school(session: AsyncSession) -> int | None:
    return (await session.execute(select(School.id).order_by(School.id))).scalars().first()


async def add_course(
    session: AsyncSession,
    school_id: int,
    name: str,
    *,
    weekdays: str,
    start: time,
    end: time,
    capacity: int,
    min_size: int,
    price_fen: int,
    grades: str,
    teacher: str,
    state: str,
) -> Course | None:
    """A new X course (None if the name is taken); `state` "draft" until published, or "open"."""
    if await session.scalar(select(Course.id).where(Course.school_id == school_id, Course.name == name)):
        return None
    teacher_id = (
        (await session.execute(select(Staff.id).where(Staff.school_id == school_id, Staff.name == teacher)))
        .scalars()
        .first()
    )
    course = Course(
        school_id=school_id,
        name=name,
        category="X",
        weekdays=weekdays,
        start_time=start,
        end_time=end,
        capacity=capacity,
        min_size=min_size,
        price_fen=price_fen,
        grades=grades,
        teacher_id=teacher_id if teacher else None,
        state=state,
    )
    session.add(course)
    await session.flush()
    return course


async def window_of(session: AsyncSession, course_id: int) -> Window | None:
    w = await session.get(CourseWindow, course_id)
    return None if w is None else Window(as_utc(w.opens_at), as_utc(w.closes_at), w.round)


async def set_window(session: AsyncSession, course_id: int, window: Window) -> None:
    """A first-round window from `window`; reserved places and a priority opening set before are kept."""
    w = await session.get(CourseWindow, course_id)
    if w is None:
        session.add(
            CourseWindow(
                course_id=course_id,
                opens_at=window.opens_at,
                closes_at=window.closes_at,
                round=1,
                reserved_places=0,
            )
        )
    else:
        w.opens_at, w.closes_at, w.round = window.opens_at, window.closes_at, 1
    await session.flush()


async def open_new_courses(session: AsyncSession, course_ids: Sequence[int], window: Window | None) -> None:
    """Courses just created by a roster import: X courses get the default window from the import."""
    if window is None or not course_ids:
        return
    for course in await session.scalars(
        select(Course).where(Course.id.in_(list(course_ids)), Course.category == "X")
    ):
        if await session.get(CourseWindow, course.id) is None:
            await set_window(session, course.id, window)


def facts(course: Course, held: int) -> CourseFacts:
    return CourseFacts(
        course.name,
        course.weekdays,
        f"{course.start_time:%H:%M}",
        f"{course.end_time:%H:%M}",
        course.price_fen,
        course.capacity,
        held,
        course.grades,
    )


async def board(session: AsyncSession, school_id: int) -> list[tuple[Course, Window | None, CourseFacts]]:
    """Every X course of the school with its window and facts (places held), by name; two queries."""
    rows = (
        await session.execute(
            select(Course, CourseWindow)
            .outerjoin(CourseWindow, CourseWindow.course_id == Course.id)
            .where(Course.school_id == school_id, Course.category == "X")
            .order_by(Course.name)
        )
    ).all()
    held = await held_counts(session, school_id)
    return [
        (
            c,
            None if w is None else Window(as_utc(w.opens_at), as_utc(w.closes_at), w.round),
            facts(c, held.get(c.id, 0)),
        )
        for c, w in rows
    ]


async def grades_of_classes(session: AsyncSession, class_ids: Sequence[int]) -> list[int]:
    if not class_ids:
        return []
    q = select(ClassGroup.grade).where(ClassGroup.id.in_(list(class_ids))).distinct()
    return sorted(int(g) for g in (await session.scalars(q)).all())


async def group_chats(session: AsyncSession, school_id: int) -> list[tuple[int, int]]:
    """(class grade, chat ref) of every class group whose robot works."""
    chats = await working_chats(session, school_id)
    if not chats:
        return []
    rows = (
        await session.execute(select(ClassGroup.id, ClassGroup.grade).where(ClassGroup.id.in_(list(chats))))
    ).all()
    return sorted((int(grade), chats[cid]) for cid, grade in rows)


async def placed_names(session: AsyncSession, course_id: int) -> tuple[str, ...]:
    """The children holding a place in a course, in sign-up order (the 公示's names)."""
    q = (
        select(Student.name)
        .join(Enrollment, Enrollment.student_id == Student.id)
        .where(Enrollment.course_id == course_id, Enrollment.state.in_([s.value for s in HOLDS_PLACE]))
        .order_by(Enrollment.applied_at, Enrollment.id)
    )
    return tuple((await session.scalars(q)).all())


async def course_named(session: AsyncSession, school_id: int, name: str) -> Course | None:
    q = select(Course).where(Course.school_id == school_id, Course.name == name).with_for_update()
    return (await session.execute(q)).scalars().first()


async def courses_by_id(session: AsyncSession, course_ids: Sequence[int]) -> list[Course]:
    """The courses, in the order of `course_ids`."""
    if not course_ids:
        return []
    found = {c.id: c for c in await session.scalars(select(Course).where(Course.id.in_(list(course_ids))))}
    return [found[i] for i in course_ids if i in found]
