"""The afternoon jobs' whole-school scan: children still waiting, with their guardians, in one query."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, time

from sqlalchemy import Subquery, and_, exists, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.children import Child, OfChild
from bot.store.care import GuardianContact, has_course_today
from bot.store.care_tables import Attendance, Leave, Pickup, PickupPlan
from bot.store.tables import ClassGroup, Guardian, Guardianship, Identity, Student


@dataclass(slots=True)
class WaitingChild(OfChild):
    """A child in care today (basic care, an X course today, or a drop-in marked present), not on leave, not marked absent, not picked up as confirmed by a teacher;
    `expected_time` is a late notice's time, if any; `claimed`: a guardian said they took the child (待确认)."""

    child: Child
    expected_time: time | None
    claimed: bool = False
    guardians: list[GuardianContact] = field(default_factory=list)


def _waiting(school_id: int, day: date) -> Subquery:
    """The filter runs in the database: only the few children still there come back."""
    return (
        select(
            Student.id,
            Student.name,
            Student.class_group_id,
            ClassGroup.grade,
            Student.basic_care,
            Student.student_no,
            PickupPlan.expected_time,
            exists().where(Pickup.student_id == Student.id, Pickup.day == day).label("claimed"),
        )
        .join(ClassGroup, ClassGroup.id == Student.class_group_id)
        .outerjoin(PickupPlan, and_(PickupPlan.student_id == Student.id, PickupPlan.day == day))
        .where(
            ClassGroup.school_id == school_id,
            Student.active.is_(True),
            or_(
                Student.basic_care.is_(True),  # or a drop-in a teacher marked present today
                exists().where(
                    Attendance.student_id == Student.id, Attendance.day == day, Attendance.status == "present"
                ),
                has_course_today(Student.id, day),
            ),  # or an X-course child on a course day
            ~exists().where(Leave.student_id == Student.id, Leave.day == day, Leave.cancelled_at.is_(None)),
            ~exists().where(Pickup.student_id == Student.id, Pickup.day == day, Pickup.state == "confirmed"),
            ~exists().where(
                Attendance.student_id == Student.id, Attendance.day == day, Attendance.status == "absent"
            ),
        )
        .subquery()
    )


async def waiting_children(session: AsyncSession, school_id: int, day: date) -> list[WaitingChild]:
    """Children still waiting, by class id then 学籍号, each with guardians and their platform accounts.

    One statement however many classes and children the school has.
    """
    w = _waiting(school_id, day)
    rows = await session.execute(
        select(
            w.c.id,
            w.c.name,
            w.c.class_group_id,
            w.c.grade,
            w.c.basic_care,
            w.c.expected_time,
            w.c.claimed,
            Guardian.id,
            Guardian.name,
            Guardianship.relation,
            Guardian.phone,
            Guardianship.may_pickup,
            Identity.user_id,
        )
        .select_from(w)
        .outerjoin(Guardianship, Guardianship.student_id == w.c.id)
        .outerjoin(Guardian, Guardian.id == Guardianship.guardian_id)
        .outerjoin(Identity, Identity.guardian_id == Guardian.id)
        .order_by(w.c.class_group_id, w.c.student_no, Guardian.id, Identity.id)
    )
    children: list[WaitingChild] = []
    child: WaitingChild | None = None
    contact: GuardianContact | None = None
    for row in rows:
        sid, name, class_id, grade, basic_care, expected, claimed = row[:7]
        gid, g_name, relation, phone, may_pickup, user_id = row[7:]
        if child is None or child.id != sid:
            child = WaitingChild(Child(sid, name, class_id, grade, basic_care), expected, bool(claimed))
            children.append(child)
            contact = None
        if gid is None:
            continue
        if contact is None or contact.guardian_id != gid:
            contact = GuardianContact(gid, g_name, relation, phone, may_pickup, ())
            child.guardians.append(contact)
        if user_id is not None:
            contact = GuardianContact(gid, g_name, relation, phone, may_pickup, (*contact.user_ids, user_id))
            child.guardians[-1] = contact
    return children
