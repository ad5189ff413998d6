"""The courses repository: adding and publishing X courses, their enrollment windows, the course board, the
公示's names, priority marks, and closing due windows (撤班 or the waitlist promoted)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain import enrollment as rules
from bot.domain.course_board import (
    BoardCourse,
    ClosedCourse,
    ClosedWindow,
    CourseFacts,
    CourseLine,
    Placed,
    Window,
)
from bot.domain.enrollment import State
from bot.store.enroll_tables import CourseWindow, Enrollment, PriorityMark, as_utc
from bot.store.enrollment import held_counts, open_enrollments, promote_waitlist, set_state
from bot.store.people import working_chats
from bot.store.tables import ClassGroup, Course, Staff, Student
from bot.store.term_facts import weekdays


class CoursesRepo:
    """Courses of a school, their enrollment windows, and the priority marks of children."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def _named(self, school_id: int, name: str, lock: bool = False) -> Course | None:
        query = select(Course).where(Course.school_id == school_id, Course.name == name)
        return (await self.session.execute(query.with_for_update() if lock else query)).scalars().first()

    async def named(self, school_id: int, name: str, *, lock: bool = False) -> CourseLine | None:
        """The course of that name (`lock`: its row locked until the unit ends, for a change that follows)."""
        course = await self._named(school_id, name, lock)
        return None if course is None else _line(course, 0)

    async def add(
        self,
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
    ) -> CourseLine | None:
        """A new X course (None if the name is taken); `state` "draft" until published, or "open"."""
        if await self._named(school_id, name) is not None:
            return None
        query = select(Staff.id).where(Staff.school_id == school_id, Staff.name == teacher)
        teacher_id = (await self.session.execute(query)).scalars().first()
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
        self.session.add(course)
        await self.session.flush()
        return _line(course, 0)

    async def window(self, course_id: int) -> Window | None:
        w = await self.session.get(CourseWindow, course_id)
        return None if w is None else Window(as_utc(w.opens_at), as_utc(w.closes_at), w.round)

    async def publish(self, course_id: int, window: Window | None) -> None:
        """The course opens for sign-up, within `window` (round 1) when given, else without a time limit."""
        course = await self.session.get(Course, course_id)
        assert course is not None
        course.state = "open"
        if window is not None:
            await open_window(self.session, course_id, window)

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

    async def board(self, school_id: int) -> list[BoardCourse]:
        """Every X course of the school with its window and facts (places held), by name; two queries."""
        rows = (
            await self.session.execute(
                select(Course, CourseWindow)
                .outerjoin(CourseWindow, CourseWindow.course_id == Course.id)
                .where(Course.school_id == school_id, Course.category == "X")
                .order_by(Course.name)
            )
        ).all()
        held = await held_counts(self.session, school_id)
        return [
            BoardCourse(
                c.state,
                None if w is None else Window(as_utc(w.opens_at), as_utc(w.closes_at), w.round),
                _facts(c, held.get(c.id, 0)),
            )
            for c, w in rows
        ]

    async def grades_of_classes(self, class_ids: Sequence[int]) -> list[int]:
        if not class_ids:
            return []
        q = select(ClassGroup.grade).where(ClassGroup.id.in_(list(class_ids))).distinct()
        return sorted(int(g) for g in (await self.session.scalars(q)).all())

    async def group_chats(self, school_id: int) -> list[tuple[int, int]]:
        """(class grade, chat ref) of every class group whose robot works."""
        chats = await working_chats(self.session, school_id)
        if not chats:
            return []
        query = select(ClassGroup.id, ClassGroup.grade).where(ClassGroup.id.in_(list(chats)))
        return sorted((int(grade), chats[cid]) for cid, grade in (await self.session.execute(query)).all())

    async def closed(self, course_ids: Sequence[int]) -> list[ClosedCourse]:
        """The courses for the 公示, in the order of `course_ids`: who holds a place (none when cancelled)."""
        if not course_ids:
            return []
        query = select(Course).where(Course.id.in_(list(course_ids)))
        found = {c.id: c for c in await self.session.scalars(query)}
        result = []
        for course in (found[i] for i in course_ids if i in found):
            cancelled = course.state == "cancelled"
            names = () if cancelled else await self._placed_names(course.id)
            result.append(
                ClosedCourse(
                    course.id, course.school_id, course.grades, Placed(course.name, names, cancelled)
                )
            )
        return result

    async def _placed_names(self, course_id: int) -> tuple[str, ...]:
        """The children holding a place in a course, in sign-up order (the 公示's names)."""
        q = (
            select(Student.name)
            .join(Enrollment, Enrollment.student_id == Student.id)
            .where(
                Enrollment.course_id == course_id, Enrollment.state.in_([s.value for s in rules.HOLDS_PLACE])
            )
            .order_by(Enrollment.applied_at, Enrollment.id)
        )
        return tuple((await self.session.scalars(q)).all())

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


async def open_window(session: AsyncSession, course_id: int, window: Window) -> None:
    """A first-round window from `window`; reserved places and a priority opening set before are kept."""
    w = await session.get(CourseWindow, course_id)
    if w is None:
        w = CourseWindow(course_id=course_id, round=1, reserved_places=0)
        session.add(w)
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
            await open_window(session, course.id, window)


def _facts(course: Course, held: int) -> CourseFacts:
    start, end = f"{course.start_time:%H:%M}", f"{course.end_time:%H:%M}"
    return CourseFacts(
        course.name, course.weekdays, start, end, course.price_fen, course.capacity, held, course.grades
    )


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
