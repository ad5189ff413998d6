"""Queries of the care day: a class's children and today's leaves, marks, pickups and plans."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any, cast

from sqlalchemy import ColumnElement, Table, bindparam, exists, func, literal, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from bot.domain.care_day import ClassDay, LeaveDay, Mark, PickupRecord, Plan
from bot.domain.children import Child
from bot.store.care_tables import Attendance, Leave, Pickup, PickupPlan
from bot.store.enroll_tables import Enrollment
from bot.store.tables import ClassGroup, Course, Guardian, Guardianship, Identity, Student

ENROLLED = ("active", "withdraw_req")  # in the course (a withdrawal asked for is not yet granted)


def has_course_today(
    student_id: ColumnElement[int] | InstrumentedAttribute[int], day: date
) -> ColumnElement[bool]:
    """The child is enrolled in an X course that meets on `day` (weekdays stored as "3,5")."""
    return exists().where(
        Enrollment.student_id == student_id,
        Enrollment.state.in_(ENROLLED),
        Course.id == Enrollment.course_id,
        Course.category == "X",
        (literal(",") + Course.weekdays + literal(",")).like(f"%,{day.isoweekday()},%"),
    )


async def course_kids(session: AsyncSession, student_ids: object, day: date) -> set[int]:
    """Which of these children (a list or a subquery of ids) have an X course on `day`."""
    return set(
        (
            await session.scalars(
                select(Student.id).where(Student.id.in_(student_ids), has_course_today(Student.id, day))  # type: ignore[arg-type]
            )
        ).all()
    )


# The roster's child (bot.domain.children.Child); the old name stays for code written against it.


_ST, _CG = cast(Table, Student.__table__), cast(Table, ClassGroup.__table__)
# Built once (Core, bound parameters): the care-day commands run these on every message.
_KIDS = select(_ST.c.id, _ST.c.name, _ST.c.class_group_id, _CG.c.grade, _ST.c.basic_care).select_from(
    _ST.join(_CG, _CG.c.id == _ST.c.class_group_id)
)
_KIDS_OF_CLASS = _KIDS.where(
    _ST.c.class_group_id == bindparam("class_group_id"), _ST.c.active.is_(True)
).order_by(_ST.c.student_no)
_KIDS_BY_IDS = _KIDS.where(_ST.c.id.in_(bindparam("ids", expanding=True))).order_by(_ST.c.student_no)
_HEAD_TEACHER = select(_CG.c.head_teacher_id).where(_CG.c.id == bindparam("class_group_id"))
_LV, _AT, _PK, _PL = (cast(Table, t.__table__) for t in (Leave, Attendance, Pickup, PickupPlan))


def _of_day(table: Table) -> ColumnElement[bool]:
    return table.c.student_id.in_(bindparam("ids", expanding=True)) & (table.c.day == bindparam("day"))


# A class's day (class_day): rows with the columns' names, which as_mark/as_pickup/as_plan read.
_DAY_LEAVES = select(_LV.c.student_id, _LV.c.day).where(_of_day(_LV), _LV.c.cancelled_at.is_(None))
_DAY_MARKS, _DAY_PICKUPS, _DAY_PLANS = (select(t).where(_of_day(t)) for t in (_AT, _PK, _PL))


def as_mark(m: Any) -> Mark:
    return Mark(m.student_id, m.day, m.status, m.id)


def as_pickup(p: Any) -> PickupRecord:
    return PickupRecord(
        p.student_id,
        p.day,
        p.state,
        p.picked_up_at,
        p.picked_up_by,
        p.claimed_by,
        p.confirmed_by,
        p.confirmed_at,
        p.minutes_late,
        p.time_known,
        p.message_id,
        p.id,
    )


def as_plan(p: Any) -> Plan:
    return Plan(p.student_id, p.day, p.expected_time, p.early_time, p.person, p.person_authorised)


async def kids_of_class(session: AsyncSession, class_group_id: int) -> list[Child]:
    rows = await session.execute(_KIDS_OF_CLASS, {"class_group_id": class_group_id})
    return [Child(*row) for row in rows.all()]


async def kids_by_ids(session: AsyncSession, ids: list[int]) -> list[Child]:
    rows = await session.execute(_KIDS_BY_IDS, {"ids": list(ids)})
    return [Child(*row) for row in rows.all()]


async def class_day(session: AsyncSession, kids: list[Child], day: date) -> ClassDay:
    ids = [k.id for k in kids]
    result = ClassDay(day, kids)
    if not ids:
        return result
    await session.flush()  # the unit's own writes first: the reads below are Core (rows, not objects)
    given = {"ids": ids, "day": day}
    leaves = (await session.execute(_DAY_LEAVES, given)).all()
    result.leaves = {sid: LeaveDay(sid, on) for sid, on in leaves}
    result.marks = {m.student_id: as_mark(m) for m in (await session.execute(_DAY_MARKS, given)).all()}
    result.pickups = {p.student_id: as_pickup(p) for p in (await session.execute(_DAY_PICKUPS, given)).all()}
    result.plans = {p.student_id: as_plan(p) for p in (await session.execute(_DAY_PLANS, given)).all()}
    others = [k.id for k in kids if not k.basic_care]
    if others:
        result.course_day = await course_kids(session, others, day)
    return result


@dataclass(frozen=True)
class GuardianContact:
    guardian_id: int
    name: str
    relation: str
    phone: str
    may_pickup: bool
    user_ids: tuple[str, ...]


async def guardians_of(session: AsyncSession, student_id: int) -> list[GuardianContact]:
    rows = (
        await session.execute(
            select(Guardian.id, Guardian.name, Guardianship.relation, Guardian.phone, Guardianship.may_pickup)
            .join(Guardianship, Guardianship.guardian_id == Guardian.id)
            .where(Guardianship.student_id == student_id)
            .order_by(Guardian.id)
        )
    ).all()
    ids = [r[0] for r in rows]
    accounts: dict[int, list[str]] = {}
    if ids:
        for gid, uid in (
            await session.execute(
                select(Identity.guardian_id, Identity.user_id).where(Identity.guardian_id.in_(ids))
            )
        ).all():
            if gid is not None:
                accounts.setdefault(gid, []).append(uid)
    return [GuardianContact(r[0], r[1], r[2], r[3], r[4], tuple(accounts.get(r[0], ()))) for r in rows]


async def late_count(session: AsyncSession, student_ids: list[int], start: date, end: date) -> int:
    """Late pickups of a family (its children) within a term."""
    return int(
        await session.scalar(
            select(func.count())
            .select_from(Pickup)
            .where(
                Pickup.student_id.in_(student_ids), Pickup.minutes_late > 0, Pickup.day.between(start, end)
            )
        )
        or 0
    )


async def unnotified_absence_count(session: AsyncSession, student_id: int, start: date, end: date) -> int:
    """Days within a term the child was marked absent with no leave standing for that day."""
    leave = select(Leave.id).where(
        Leave.student_id == Attendance.student_id, Leave.day == Attendance.day, Leave.cancelled_at.is_(None)
    )
    return int(
        await session.scalar(
            select(func.count())
            .select_from(Attendance)
            .where(
                Attendance.student_id == student_id,
                Attendance.status == "absent",
                Attendance.day.between(start, end),
                ~leave.exists(),
            )
        )
        or 0
    )


async def head_teacher_of(session: AsyncSession, class_group_id: int) -> int | None:
    return (await session.execute(_HEAD_TEACHER, {"class_group_id": class_group_id})).scalar()


async def school_day(session: AsyncSession, school_id: int, day: date) -> dict[int, ClassDay]:
    """Every class of a school on one day, in a fixed number of queries however many classes there are."""
    rows = await session.execute(
        select(Student.id, Student.name, Student.class_group_id, ClassGroup.grade, Student.basic_care)
        .join(ClassGroup, ClassGroup.id == Student.class_group_id)
        .where(ClassGroup.school_id == school_id, Student.active.is_(True))
        .order_by(Student.class_group_id, Student.student_no)
    )
    days: dict[int, ClassDay] = {}
    class_of: dict[int, int] = {}
    for row in rows.all():
        kid = Child(*row)
        days.setdefault(kid.class_group_id, ClassDay(day, [])).kids.append(kid)
        class_of[kid.id] = kid.class_group_id
    in_school = (
        select(Student.id)
        .join(ClassGroup, ClassGroup.id == Student.class_group_id)
        .where(ClassGroup.school_id == school_id)
    )
    leaves = await session.scalars(
        select(Leave).where(Leave.student_id.in_(in_school), Leave.day == day, Leave.cancelled_at.is_(None))
    )
    for leave in leaves:
        if leave.student_id in class_of:
            days[class_of[leave.student_id]].leaves[leave.student_id] = LeaveDay(leave.student_id, leave.day)
    for mark in await session.scalars(
        select(Attendance).where(Attendance.student_id.in_(in_school), Attendance.day == day)
    ):
        if mark.student_id in class_of:
            days[class_of[mark.student_id]].marks[mark.student_id] = as_mark(mark)
    for pickup in await session.scalars(
        select(Pickup).where(Pickup.student_id.in_(in_school), Pickup.day == day)
    ):
        if pickup.student_id in class_of:
            days[class_of[pickup.student_id]].pickups[pickup.student_id] = as_pickup(pickup)
    for plan in await session.scalars(
        select(PickupPlan).where(PickupPlan.student_id.in_(in_school), PickupPlan.day == day)
    ):
        if plan.student_id in class_of:
            days[class_of[plan.student_id]].plans[plan.student_id] = as_plan(plan)
    for sid in await course_kids(session, in_school.where(Student.basic_care.is_(False)), day):
        if sid in class_of:
            days[class_of[sid]].course_day.add(sid)
    return days


async def guardian_contacts(
    session: AsyncSession, student_ids: list[int]
) -> dict[int, list[GuardianContact]]:
    """Guardians (with their platform accounts) of many children: two queries per batch of 5,000 children
    (drivers cap the number of bound parameters, PostgreSQL at 32,767)."""
    result: dict[int, list[GuardianContact]] = {}
    for start in range(0, len(student_ids), IN_BATCH):
        await _guardian_batch(session, student_ids[start : start + IN_BATCH], result)
    return result


IN_BATCH = 5000


async def _guardian_batch(
    session: AsyncSession, student_ids: list[int], result: dict[int, list[GuardianContact]]
) -> None:
    rows = (
        await session.execute(
            select(
                Guardianship.student_id,
                Guardian.id,
                Guardian.name,
                Guardianship.relation,
                Guardian.phone,
                Guardianship.may_pickup,
            )
            .join(Guardian, Guardian.id == Guardianship.guardian_id)
            .where(Guardianship.student_id.in_(student_ids))
            .order_by(Guardianship.student_id, Guardian.id)
        )
    ).all()
    guardian_ids = list({r[1] for r in rows})
    accounts: dict[int, list[str]] = {}
    for start in range(0, len(guardian_ids), IN_BATCH):
        for gid, uid in (
            await session.execute(
                select(Identity.guardian_id, Identity.user_id).where(
                    Identity.guardian_id.in_(guardian_ids[start : start + IN_BATCH])
                )
            )
        ).all():
            if gid is not None:
                accounts.setdefault(gid, []).append(uid)
    for sid, gid, name, relation, phone, may_pickup in rows:
        result.setdefault(sid, []).append(
            GuardianContact(gid, name, relation, phone, may_pickup, tuple(accounts.get(gid, ())))
        )


async def leaves_of(
    session: AsyncSession, student_ids: list[int], days: list[date] | None, since: date
) -> list[tuple[int, date]]:
    """Standing leaves of these children: on `days`, or (days None) from `since` on; (student id, day)."""
    stmt = select(Leave.student_id, Leave.day).where(
        Leave.student_id.in_(student_ids), Leave.cancelled_at.is_(None)
    )
    stmt = stmt.where(Leave.day.in_(days)) if days is not None else stmt.where(Leave.day >= since)
    return [(sid, day) for sid, day in (await session.execute(stmt.order_by(Leave.day))).all()]
