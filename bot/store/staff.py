"""Teachers' attendance (到岗/离岗), substitutes (代班), and finding a teacher, class or course by name."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.store.like import escape_like
from bot.store.staff_tables import StaffAttendance, Substitute
from bot.store.tables import ClassGroup, Course, Staff


@dataclass(frozen=True)
class Named:
    id: int
    name: str


@dataclass(frozen=True)
class NamedCourse:
    id: int
    name: str
    teacher_id: int | None


class StaffRepo:
    """Teachers' attendance and substitutes, and the teacher, class or course a message names."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def _attendance_of(self, staff_id: int, day: date) -> StaffAttendance | None:
        return await self.session.scalar(
            select(StaffAttendance).where(StaffAttendance.staff_id == staff_id, StaffAttendance.day == day)
        )

    async def check_in(
        self, school_id: int, staff_id: int, day: date, at: datetime, message_id: str
    ) -> tuple[datetime, bool]:
        """到岗: (the check-in time kept, whether this message recorded it); a second one the same day is a no-op."""
        row = await self._attendance_of(staff_id, day)
        if row is None:
            self.session.add(
                StaffAttendance(
                    school_id=school_id, staff_id=staff_id, day=day, checked_in_at=at, message_id=message_id
                )
            )
            return at, True
        if row.checked_in_at is None:
            row.checked_in_at = at
            return at, True
        return row.checked_in_at, False

    async def check_out(
        self, school_id: int, staff_id: int, day: date, at: datetime, message_id: str
    ) -> tuple[datetime, bool, bool]:
        """离岗: (the check-out time kept, whether this message recorded it, whether there is a check-in)."""
        row = await self._attendance_of(staff_id, day)
        if row is None:
            self.session.add(
                StaffAttendance(
                    school_id=school_id, staff_id=staff_id, day=day, checked_out_at=at, message_id=message_id
                )
            )
            return at, True, False
        if row.checked_out_at is None:
            row.checked_out_at = at
            return at, True, row.checked_in_at is not None
        return row.checked_out_at, False, row.checked_in_at is not None

    async def set_substitute(
        self,
        school_id: int,
        target: str,
        day: date,
        staff_id: int,
        by: str,
        at: datetime,
        message_id: str,
    ) -> int | None:
        """代班: the substitute for a target ("class:ID" | "course:ID") on a day; returns whom it replaced, if any."""
        row = await self.session.scalar(
            select(Substitute).where(Substitute.target == target, Substitute.day == day)
        )
        if row is None:
            self.session.add(
                Substitute(
                    school_id=school_id,
                    target=target,
                    day=day,
                    staff_id=staff_id,
                    recorded_by=by,
                    recorded_at=at,
                    message_id=message_id,
                )
            )
            return None
        before = row.staff_id
        row.staff_id, row.recorded_by, row.recorded_at, row.message_id = staff_id, by, at, message_id
        return before

    async def staff_named(self, school_id: int, name: str) -> list[Named]:
        """Teachers matching a name as people write it: 张丽, 张丽老师, or 张老师 (the only 张 on the staff)."""
        name = name.strip().removesuffix("老师").strip()
        if not name:
            return []
        exact = (
            await self.session.execute(
                select(Staff.id, Staff.name)
                .where(Staff.school_id == school_id, Staff.name == name)
                .order_by(Staff.id)
            )
        ).all()
        if exact or len(name) > 1:
            return [Named(*r) for r in exact]
        rows = (
            await self.session.execute(
                select(Staff.id, Staff.name)
                .where(Staff.school_id == school_id, Staff.name.like(escape_like(name) + "%", escape="\\"))
                .order_by(Staff.id)
            )
        ).all()
        return [Named(*r) for r in rows]

    async def class_named(self, school_id: int, name: str) -> Named | None:
        row = (
            await self.session.execute(
                select(ClassGroup.id, ClassGroup.name).where(
                    ClassGroup.school_id == school_id, ClassGroup.name == name
                )
            )
        ).first()
        return Named(*row) if row else None

    async def x_course_named(self, school_id: int, name: str) -> NamedCourse | None:
        row = (
            await self.session.execute(
                select(Course.id, Course.name, Course.teacher_id).where(
                    Course.school_id == school_id, Course.name == name, Course.category == "X"
                )
            )
        ).first()
        return NamedCourse(*row) if row else None

    async def substitutes_between(
        self, school_id: int, start: date, end: date
    ) -> dict[tuple[str, date], int]:
        rows = await self.session.execute(
            select(Substitute.target, Substitute.day, Substitute.staff_id).where(
                Substitute.school_id == school_id, Substitute.day.between(start, end)
            )
        )
        return {(t, d): s for t, d, s in rows.all()}

    async def attendance_between(
        self, school_id: int, start: date, end: date
    ) -> dict[tuple[int, date], tuple[datetime | None, datetime | None]]:
        rows = await self.session.execute(
            select(
                StaffAttendance.staff_id,
                StaffAttendance.day,
                StaffAttendance.checked_in_at,
                StaffAttendance.checked_out_at,
            ).where(StaffAttendance.school_id == school_id, StaffAttendance.day.between(start, end))
        )
        return {(s, d): (i, o) for s, d, i, o in rows.all()}
