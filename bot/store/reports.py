"""The reports repository: what the principal's daily summary and its 20-day chart are drawn from."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, and_, exists, func, select, union_all
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from bot.domain.care_day import ClassDay
from bot.domain.enrollment import State
from bot.store import care, family
from bot.store.archive_tables import CareRecord
from bot.store.care_tables import Attendance, Leave, Pickup
from bot.store.enroll_tables import Enrollment
from bot.store.family_tables import PastoralTalk
from bot.store.tables import ClassGroup, Course, Student


@dataclass(frozen=True)
class DayCounts:
    """Children in basic care, and per day those on leave, absent without leave and picked up late."""

    expected: int
    leave: dict[date, int]
    absent: dict[date, int]
    late: dict[date, int]


class ReportsRepo:
    """Grouped counts for reports: a fixed number of queries whatever the number of classes or days."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def classes(self, school_id: int) -> list[tuple[int, str]]:
        """(id, name) of the school's classes, by grade then name."""
        rows = await self.session.execute(
            select(ClassGroup.id, ClassGroup.name)
            .where(ClassGroup.school_id == school_id)
            .order_by(ClassGroup.grade, ClassGroup.name)
        )
        return [(class_id, name) for class_id, name in rows.all()]

    async def open_reviews(self, school_id: int) -> dict[str, int]:
        """Enrollments waiting for the head teacher, the principal, or a withdrawal decision, per state."""
        waiting = [State.APPLIED.value, State.CLASS_OK.value, State.WITHDRAW_REQ.value]
        rows = await self.session.execute(
            select(Enrollment.state, func.count())
            .join(Course, Course.id == Enrollment.course_id)
            .where(Course.school_id == school_id, Enrollment.state.in_(waiting))
            .group_by(Enrollment.state)
        )
        return {state: int(n) for state, n in rows.all()}

    async def day_counts(self, school_id: int, first: date, last: date) -> DayCounts:
        """The school's basic-care children and, for each day in [first, last], leave, absence and lateness."""
        students = select(Student.id).where(
            Student.school_id == school_id, Student.active.is_(True), Student.basic_care.is_(True)
        )
        expected = await self.session.scalar(select(func.count()).select_from(students.subquery())) or 0
        on_leave = and_(
            Leave.student_id.in_(students), Leave.day.between(first, last), Leave.cancelled_at.is_(None)
        )
        excused = exists().where(
            and_(
                Leave.student_id == Attendance.student_id,
                Leave.day == Attendance.day,
                Leave.cancelled_at.is_(None),
            )
        )
        absent = and_(
            Attendance.student_id.in_(students),
            Attendance.status == "absent",
            Attendance.day.between(first, last),
            ~excused,
        )
        late = and_(Pickup.student_id.in_(students), Pickup.minutes_late > 0, Pickup.day.between(first, last))
        return DayCounts(
            expected,
            await self._per_day(Leave.day, on_leave),
            await self._per_day(Attendance.day, absent),
            await self._per_day(Pickup.day, late),
        )

    async def _per_day(self, day: InstrumentedAttribute[date], where: ColumnElement[bool]) -> dict[date, int]:
        rows = await self.session.execute(select(day, func.count()).where(where).group_by(day))
        return {d: int(n) for d, n in rows.all()}

    async def school_day(self, school_id: int, day: date) -> dict[int, ClassDay]:
        """Every class's day (class id -> its children, marks, leaves and pickups)."""
        return await care.school_day(self.session, school_id, day)

    async def month_contacts(self, student_ids: Sequence[int], month: str) -> tuple[set[int], set[int]]:
        """The children among these with a call from their parents away, and with a talk, in the month."""
        calls = await family.calls_in_month(self.session, student_ids, month)
        return set(calls), await family.talks_in_month(self.session, student_ids, month)

    async def talks_between(
        self, student_ids: Sequence[int], start: date, end: date
    ) -> dict[int, list[tuple[int, date]]]:
        """Talks with these children in [start, end] per teacher: 谈心 and 关爱记录 alike, (child, day)."""
        if not student_ids:
            return {}
        ids = list(student_ids)
        talks = select(PastoralTalk.staff_id, PastoralTalk.student_id, PastoralTalk.day).where(
            PastoralTalk.student_id.in_(ids), PastoralTalk.day.between(start, end)
        )
        cares = select(CareRecord.staff_id, CareRecord.student_id, CareRecord.day).where(
            CareRecord.student_id.in_(ids), CareRecord.kind == "care", CareRecord.day.between(start, end)
        )
        out: dict[int, list[tuple[int, date]]] = defaultdict(list)
        rows: Sequence[Any] = (await self.session.execute(union_all(talks, cares))).all()
        for staff_id, student_id, day in rows:
            if staff_id is not None and student_id is not None:
                out[staff_id].append((student_id, day))
        return dict(out)
