"""Storing and reading the term agreement and insurance per child, and who is in care this term."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime

from sqlalchemy import exists, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.children import Child, OfChild
from bot.store.agreement_tables import TermAgreement
from bot.store.care import ENROLLED, IN_BATCH
from bot.store.enroll_tables import Enrollment
from bot.store.tables import ClassGroup, Course, Student

FIELDS = {"agree": ("agreed_at", "agreed_by"), "insure": ("insured_at", "insured_by")}


@dataclass(frozen=True, slots=True)
class CareChild(OfChild):
    """A child in care this term: the pupil, its 学籍号, its class's name and head teacher."""

    child: Child
    student_no: str
    class_name: str
    head_teacher_id: int | None


@dataclass(frozen=True)
class Marks:
    agreed_at: datetime | None = None
    insured_at: datetime | None = None

    @property
    def complete(self) -> bool:
        return self.agreed_at is not None and self.insured_at is not None


def as_utc(at: datetime | None) -> datetime | None:
    """Stored in UTC (SQLite keeps no offset): what is compared and read back is UTC."""
    if at is None:
        return None
    return at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)


class AgreementsRepo:
    """Who is in care this term, and each child's term agreement and insurance."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def children_in_care(self, school_id: int) -> list[CareChild]:
        """Active children in basic care or enrolled in a course, by class then 学籍号."""
        enrolled = exists().where(
            Enrollment.student_id == Student.id,
            Enrollment.state.in_(ENROLLED),
            Course.id == Enrollment.course_id,
            Course.school_id == school_id,
        )
        rows = (
            await self.session.execute(
                select(
                    Student.id,
                    Student.name,
                    ClassGroup.id,
                    ClassGroup.grade,
                    Student.basic_care,
                    Student.student_no,
                    ClassGroup.name,
                    ClassGroup.head_teacher_id,
                )
                .join(ClassGroup, ClassGroup.id == Student.class_group_id)
                .where(
                    Student.school_id == school_id,
                    Student.active.is_(True),
                    or_(Student.basic_care.is_(True), enrolled),
                )
                .order_by(ClassGroup.grade, ClassGroup.name, Student.student_no)
            )
        ).all()
        return [CareChild(Child(*r[:5]), *r[5:]) for r in rows]

    async def marks_of(self, student_ids: Sequence[int], term_start: date) -> dict[int, Marks]:
        """What each child has for the term (children with nothing recorded are absent)."""
        ids = list(student_ids)
        result: dict[int, Marks] = {}
        for start in range(0, len(ids), IN_BATCH):  # drivers cap bound parameters (PostgreSQL at 32,767)
            rows = (
                await self.session.execute(
                    select(TermAgreement.student_id, TermAgreement.agreed_at, TermAgreement.insured_at).where(
                        TermAgreement.student_id.in_(ids[start : start + IN_BATCH]),
                        TermAgreement.term_start == term_start,
                    )
                )
            ).all()
            result.update({r[0]: Marks(as_utc(r[1]), as_utc(r[2])) for r in rows})
        return result

    async def record(
        self,
        student_ids: Sequence[int],
        term: tuple[date, date],
        what: str,
        guardian_id: int | None,
        now: datetime,
    ) -> list[int]:
        """Record the agreement (`agree`) or the insurance (`insure`) for the children's term; the children for
        whom it was not yet recorded are returned (a repeat keeps the first record)."""
        at_field, by_field = FIELDS[what]
        rows = {
            r.student_id: r
            for r in (
                await self.session.scalars(
                    select(TermAgreement).where(
                        TermAgreement.student_id.in_(list(student_ids)), TermAgreement.term_start == term[0]
                    )
                )
            ).all()
        }
        new: list[int] = []
        for sid in student_ids:
            row = rows.get(sid)
            if row is None:
                row = TermAgreement(student_id=sid, term_start=term[0], term_end=term[1])
                self.session.add(row)
            if getattr(row, at_field) is None:
                setattr(row, at_field, as_utc(now))
                setattr(row, by_field, guardian_id)
                new.append(sid)
        await self.session.flush()
        return new
