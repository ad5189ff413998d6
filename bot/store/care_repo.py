"""The care repository: a class's children and their day (leaves, roll-call marks), course roll calls."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, cast

from sqlalchemy import Table, and_, bindparam, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.care_day import ClassDay, Mark
from bot.domain.children import Child
from bot.domain.school_calendar import SchoolCalendar
from bot.store import care
from bot.store.calendar import school_calendar
from bot.store.care import GuardianContact
from bot.store.care_tables import Attendance, CourseAttendance, Leave
from bot.store.enroll_tables import Enrollment
from bot.store.tables import ClassGroup, Course

_LEAVES = cast(Table, Leave.__table__)
_CLASSES = cast(Table, ClassGroup.__table__)
# Built once (Core): the leave command writes without the ORM's unit of work.
# One row per leave of the child on those days (a single row of NULLs when none), each with the head teacher.
_HEAD_AND_LEAVES = (
    select(_CLASSES.c.head_teacher_id, _LEAVES.c.day, _LEAVES.c.cancelled_at)
    .select_from(
        _CLASSES.outerjoin(
            _LEAVES,
            and_(
                _LEAVES.c.student_id == bindparam("student_id"),
                _LEAVES.c.day.in_(bindparam("days", expanding=True)),
            ),
        )
    )
    .where(_CLASSES.c.id == bindparam("class_group_id"))
)
_NEW_LEAVE = insert(_LEAVES)
_RENEW_LEAVE = (  # a cancelled leave asked for again
    update(_LEAVES)
    .where(_LEAVES.c.student_id == bindparam("kid"), _LEAVES.c.day == bindparam("on"))
    .values(
        cancelled_at=None,
        cancelled_by=None,
        reason=bindparam("new_reason"),
        late_notice=bindparam("late"),
        message_id=bindparam("msg"),
    )
)


@dataclass(frozen=True)
class CourseInfo:
    """An X course as its roll call needs it."""

    id: int
    name: str
    weekdays: tuple[int, ...]  # ISO weekdays it meets


@dataclass(frozen=True)
class LeaveState:
    """The class's head teacher and, per day already asked for, when that leave was cancelled (None: stands)."""

    head_teacher_id: int | None
    existing: dict[date, datetime | None]


class CareRepo:
    """The care day of one school: children, leaves, roll-call marks (plain values; ClassDay for a day)."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def calendar(self, school_id: int) -> SchoolCalendar:
        return await school_calendar(self.session, school_id)

    async def kids_of_class(self, class_group_id: int) -> list[Child]:
        return await care.kids_of_class(self.session, class_group_id)

    async def kids_by_ids(self, ids: list[int]) -> list[Child]:
        return await care.kids_by_ids(self.session, ids)

    async def class_day(self, kids: list[Child], day: date) -> ClassDay:
        return await care.class_day(self.session, kids, day)

    async def guardians_of(self, student_id: int) -> list[GuardianContact]:
        return await care.guardians_of(self.session, student_id)

    async def head_teacher_of(self, class_group_id: int) -> int | None:
        return await care.head_teacher_of(self.session, class_group_id)

    async def leaves_of(
        self, student_ids: list[int], days: list[date] | None, since: date
    ) -> list[tuple[int, date]]:
        """Standing leaves: (student id, day), on `days` or (None) from `since` on, by day."""
        return await care.leaves_of(self.session, student_ids, days, since)

    async def unnotified_absences(self, student_id: int, start: date, end: date) -> int:
        return await care.unnotified_absence_count(self.session, student_id, start, end)

    async def leave_state(self, class_group_id: int, student_id: int, days: list[date]) -> LeaveState:
        rows = (
            await self.session.execute(
                _HEAD_AND_LEAVES, {"class_group_id": class_group_id, "student_id": student_id, "days": days}
            )
        ).all()
        head = rows[0][0] if rows else None
        return LeaveState(head, {day: cancelled for _, day, cancelled in rows if day is not None})

    async def add_leaves(self, rows: list[dict[str, Any]]) -> None:
        """New leaves: student_id, day, reason, late_notice, created_by, created_at, message_id (one executemany)."""
        if rows:
            await self.session.execute(_NEW_LEAVE, rows)

    async def renew_leave(self, student_id: int, day: date, reason: str, late: bool, message_id: str) -> None:
        """A cancelled leave asked for again stands again."""
        await self.session.execute(
            _RENEW_LEAVE,
            {
                "kid": student_id,
                "on": day,
                "new_reason": reason,
                "late": late,
                "msg": message_id,
            },
        )

    async def cancel_leaves(self, student_id: int, days: list[date], by: str, at: datetime) -> None:
        await self.session.execute(
            update(Leave)
            .where(Leave.student_id == student_id, Leave.day.in_(days), Leave.cancelled_at.is_(None))
            .values(cancelled_at=at, cancelled_by=by)
        )

    async def set_mark(
        self, day: ClassDay, student_id: int, status: str, by: str, at: datetime, message_id: str
    ) -> None:
        """The child's roll-call mark on `day` is `status` (kept in `day.marks` too)."""
        mark = day.marks.get(student_id)
        if mark is None or mark.id is None:
            row = Attendance(
                student_id=student_id,
                day=day.day,
                status=status,
                marked_by=by,
                marked_at=at,
                message_id=message_id,
            )
            self.session.add(row)
            await self.session.flush()
            day.marks[student_id] = Mark(student_id, day.day, status, row.id)
        elif mark.status != status:
            await self.session.execute(
                update(Attendance)
                .where(Attendance.id == mark.id)
                .values(status=status, marked_by=by, marked_at=at, message_id=message_id)
            )
            mark.status = status

    async def x_course(self, school_id: int | None, name: str) -> CourseInfo | None:
        course = await self.session.scalar(
            select(Course).where(Course.school_id == school_id, Course.name == name, Course.category == "X")
        )
        if course is None:
            return None
        weekdays = tuple(int(d) for d in course.weekdays.split(",") if d.strip().isdigit())
        return CourseInfo(course.id, course.name, weekdays)

    async def course_pupils(self, course_id: int) -> list[int]:
        """Children in the course (a withdrawal asked for is not yet granted)."""
        return list(
            (
                await self.session.scalars(
                    select(Enrollment.student_id).where(
                        Enrollment.course_id == course_id, Enrollment.state.in_(care.ENROLLED)
                    )
                )
            ).all()
        )

    async def set_course_marks(
        self, course_id: int, day: date, statuses: dict[int, str], by: str, at: datetime, message_id: str
    ) -> None:
        """Each child's status in one session of a course; a later roll call of the session changes them."""
        marks = {
            m.student_id: m
            for m in (
                await self.session.scalars(
                    select(CourseAttendance).where(
                        CourseAttendance.course_id == course_id, CourseAttendance.day == day
                    )
                )
            ).all()
        }
        for student_id, status in statuses.items():
            mark = marks.get(student_id)
            if mark is None:
                self.session.add(
                    CourseAttendance(
                        course_id=course_id,
                        student_id=student_id,
                        day=day,
                        status=status,
                        marked_by=by,
                        marked_at=at,
                        message_id=message_id,
                    )
                )
            elif mark.status != status:
                mark.status, mark.marked_by, mark.marked_at, mark.message_id = status, by, at, message_id
