"""What the teachers' workload is computed from: who teaches what, and the X sessions held and attended."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date

from sqlalchemy import case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.care_day import ClassDay
from bot.store.care import school_day
from bot.store.care_tables import CourseAttendance
from bot.store.enroll_tables import SessionCancellation
from bot.store.tables import ClassGroup, Course, Staff, StaffRole


@dataclass(frozen=True)
class SessionHeld:
    """One X-course session with a roll call: its course, teacher, day and children present."""

    course_id: int
    course: str
    teacher_id: int | None
    day: date
    present: int


@dataclass(frozen=True)
class Teaching:
    """Who teaches what: care teachers per class, the basic-care course's teacher, course teachers, names."""

    care_teachers: dict[int, list[int]]  # class id -> staff ids (by id)
    basic_teacher: int | None  # the 1类 course's teacher: a class without care teachers counts for them
    course_teachers: list[int]
    class_names: dict[int, str]
    class_grades: dict[int, int]
    names: dict[int, str]


class WorkloadRepo:
    """What a month's workload is counted from: who teaches what, each class's day, the X sessions held."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def class_days(self, school_id: int, day: date) -> dict[int, ClassDay]:
        """Every class of the school on one day (its children, leaves, marks and pickups), by class id."""
        return await school_day(self.session, school_id, day)

    async def teaching(self, school_id: int) -> Teaching:
        care: dict[int, list[int]] = defaultdict(list)
        for staff_id, class_id in (
            await self.session.execute(
                select(StaffRole.staff_id, StaffRole.class_group_id)
                .join(Staff, Staff.id == StaffRole.staff_id)
                .where(
                    Staff.school_id == school_id,
                    StaffRole.role == "care_teacher",
                    StaffRole.class_group_id.is_not(None),
                )
                .order_by(StaffRole.staff_id)
            )
        ).all():
            if class_id is not None and staff_id not in care[class_id]:
                care[class_id].append(staff_id)
        courses = (
            await self.session.execute(
                select(Course.category, Course.teacher_id)
                .where(
                    Course.school_id == school_id, Course.state != "cancelled", Course.teacher_id.is_not(None)
                )
                .order_by(Course.id)
            )
        ).all()
        basic = next((t for cat, t in courses if cat == "1"), None)
        names = dict(
            (
                await self.session.execute(select(Staff.id, Staff.name).where(Staff.school_id == school_id))
            ).all()
        )
        classes = (
            await self.session.execute(
                select(ClassGroup.id, ClassGroup.name, ClassGroup.grade).where(
                    ClassGroup.school_id == school_id
                )
            )
        ).all()
        return Teaching(
            dict(care),
            basic,
            list(dict.fromkeys(t for cat, t in courses if cat == "X" and t is not None)),
            {c: n for c, n, _ in classes},
            {c: g for c, _, g in classes},
            names,
        )

    async def sessions_held(self, school_id: int, start: date, end: date) -> list[SessionHeld]:
        """X sessions in [start, end] that had a roll call (`点名 篮球`) and were not cancelled by the school,
        with the children present; one statement."""
        present = func.sum(case((CourseAttendance.status == "present", 1), else_=0))
        cancelled = (
            select(SessionCancellation.id)
            .where(
                SessionCancellation.course_id == CourseAttendance.course_id,
                SessionCancellation.day == CourseAttendance.day,
            )
            .exists()
        )
        rows = (
            await self.session.execute(
                select(Course.id, Course.name, Course.teacher_id, CourseAttendance.day, present)
                .join(Course, Course.id == CourseAttendance.course_id)
                .where(
                    Course.school_id == school_id,
                    Course.category == "X",
                    CourseAttendance.day.between(start, end),
                    ~cancelled,
                )
                .group_by(Course.id, Course.name, Course.teacher_id, CourseAttendance.day)
                .order_by(CourseAttendance.day, Course.name)
            )
        ).all()
        return [SessionHeld(r[0], r[1], r[2], r[3], int(r[4] or 0)) for r in rows]
