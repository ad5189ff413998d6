"""The incident repository (`uow.incidents`): the school's pupils to name, the incident register."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.children import Child
from bot.store.duty_tables import Incident
from bot.store.notices import as_utc
from bot.store.tables import ClassGroup, Staff, Student


@dataclass(frozen=True)
class IncidentRow:
    at: datetime  # UTC
    class_name: str
    child: str
    student_no: str
    what: str
    actions: str
    words: str
    reporter: str


@dataclass(frozen=True)
class NewIncident:
    """What a teacher's 事故 message records."""

    school_id: int
    kid: Child
    day: date
    at: datetime
    reported_by: int | None
    what: str
    actions: Sequence[str]
    words: str
    in_group: bool
    message_id: str


class IncidentsRepo:
    """Incidents (安全事件) of a school: recorded one by one, read back as the month's register."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def pupils_of(self, school_id: int, class_ids: Sequence[int] | None) -> list[Child]:
        """Active pupils of the school (or of these classes), by class then 学籍号."""
        stmt = (
            select(Student.id, Student.name, Student.class_group_id, ClassGroup.grade, Student.basic_care)
            .join(ClassGroup, ClassGroup.id == Student.class_group_id)
            .where(ClassGroup.school_id == school_id, Student.active.is_(True))
            .order_by(ClassGroup.grade, ClassGroup.name, Student.student_no)
        )
        if class_ids is not None:
            stmt = stmt.where(Student.class_group_id.in_(list(class_ids)))
        return [Child(*row) for row in (await self.session.execute(stmt)).all()]

    async def record(self, new: NewIncident) -> int:
        """Store the incident; its id."""
        incident = Incident(
            school_id=new.school_id,
            student_id=new.kid.id,
            class_group_id=new.kid.class_group_id,
            day=new.day,
            at=as_utc(new.at),
            reported_by=new.reported_by,
            what=new.what,
            actions="、".join(new.actions)[:100],
            words=new.words,
            in_group=new.in_group,
            message_id=new.message_id[:128],
        )
        self.session.add(incident)
        await self.session.flush()
        return incident.id

    async def between(self, school_id: int, start: date, end: date) -> list[IncidentRow]:
        """The incident register from `start` to `end` (inclusive), oldest first."""
        rows = (
            await self.session.execute(
                select(
                    Incident.at,
                    ClassGroup.name,
                    Student.name,
                    Student.student_no,
                    Incident.what,
                    Incident.actions,
                    Incident.words,
                    Staff.name,
                )
                .join(Student, Student.id == Incident.student_id)
                .join(ClassGroup, ClassGroup.id == Incident.class_group_id)
                .outerjoin(Staff, Staff.id == Incident.reported_by)
                .where(Incident.school_id == school_id, Incident.day.between(start, end))
                .order_by(Incident.at, Incident.id)
            )
        ).all()
        return [IncidentRow(as_utc(r[0]), r[1], r[2], r[3], r[4], r[5], r[6], r[7] or "") for r in rows]
