"""Left-behind children and their monthly records (family calls, pastoral talks), read in batches."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.children import Child, OfChild
from bot.domain.family import AWAY_LABELS
from bot.store.family_tables import FamilyCall, PastoralTalk
from bot.store.tables import ClassGroup, Staff, Student


@dataclass(frozen=True, slots=True)
class LeftBehind(OfChild):
    """A left-behind child: the pupil, its class's name, who is away and where, and who looks after it."""

    child: Child
    class_name: str
    status: str  # father | mother | both
    away_place: str
    birth_date: date | None
    paired_teacher_id: int | None
    head_teacher_id: int | None

    @property
    def carer_id(self) -> int | None:
        """Who looks after the child's monthly care at school: the paired teacher, else the head teacher."""
        return self.paired_teacher_id or self.head_teacher_id

    @property
    def status_label(self) -> str:
        return AWAY_LABELS.get(self.status, self.status)


async def left_behind_children(
    session: AsyncSession, school_id: int, student_ids: Sequence[int] | None = None
) -> list[LeftBehind]:
    """The school's active left-behind children (or those of `student_ids`), by class and name."""
    q = (
        select(
            Student.id,
            Student.name,
            Student.class_group_id,
            ClassGroup.grade,
            Student.basic_care,
            ClassGroup.name,
            Student.left_behind,
            Student.away_work_place,
            Student.birth_date,
            Student.paired_teacher_id,
            ClassGroup.head_teacher_id,
        )
        .join(ClassGroup, ClassGroup.id == Student.class_group_id)
        .where(
            Student.school_id == school_id,
            Student.active.is_(True),
            Student.left_behind.in_(list(AWAY_LABELS)),
        )
        .order_by(ClassGroup.grade, ClassGroup.name, Student.name, Student.id)
    )
    if student_ids is not None:
        q = q.where(Student.id.in_(list(student_ids)))
    return [LeftBehind(Child(*row[:5]), *row[5:]) for row in (await session.execute(q)).all()]


async def calls_in_month(
    session: AsyncSession, student_ids: Sequence[int], month: str, *, by_parent_away: bool = True
) -> dict[int, list[str]]:
    """Kinds of contact recorded per child for a month (YYYY-MM): the parents away's (the month's call), or
    with `by_parent_away=False` those told by a guardian at home (shown apart, never completing the month)."""
    done: dict[int, list[str]] = {}
    if not student_ids:
        return done
    rows = await session.execute(
        select(FamilyCall.student_id, FamilyCall.kind)
        .where(
            FamilyCall.student_id.in_(list(student_ids)),
            FamilyCall.month == month,
            FamilyCall.by_parent_away.is_(by_parent_away),
        )
        .order_by(FamilyCall.day, FamilyCall.id)
    )
    for sid, kind in rows.all():
        done.setdefault(sid, []).append(kind)
    return done


async def talks_in_month(session: AsyncSession, student_ids: Sequence[int], month: str) -> set[int]:
    if not student_ids:
        return set()
    rows = await session.execute(
        select(PastoralTalk.student_id).where(
            PastoralTalk.student_id.in_(list(student_ids)), PastoralTalk.month == month
        )
    )
    return set(rows.scalars())


async def staff_names(session: AsyncSession, staff_ids: Sequence[int | None]) -> dict[int, str]:
    ids = [i for i in set(staff_ids) if i is not None]
    if not ids:
        return {}
    return dict((await session.execute(select(Staff.id, Staff.name).where(Staff.id.in_(ids)))).all())


class FamilyRepo:
    """Left-behind children and their monthly family calls and pastoral talks."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def left_behind(self, school_id: int) -> list[LeftBehind]:
        return await left_behind_children(self.session, school_id)

    async def calls_in_month(self, student_ids: Sequence[int], month: str) -> dict[int, list[str]]:
        return await calls_in_month(self.session, student_ids, month)

    async def record_call(
        self,
        student_id: int,
        day: date,
        month: str,
        kind: str,
        by: str,
        at: datetime,
        message_id: str,
        *,
        by_parent_away: bool = True,
    ) -> None:
        self.session.add(
            FamilyCall(
                student_id=student_id,
                day=day,
                month=month,
                kind=kind,
                recorded_by=by,
                recorded_at=at,
                message_id=message_id,
                by_parent_away=by_parent_away,
            )
        )

    async def record_talk(
        self,
        student_id: int,
        staff_id: int | None,
        day: date,
        month: str,
        note: str,
        by: str,
        at: datetime,
        message_id: str,
    ) -> None:
        self.session.add(
            PastoralTalk(
                student_id=student_id,
                staff_id=staff_id,
                day=day,
                month=month,
                note=note,
                recorded_by=by,
                recorded_at=at,
                message_id=message_id,
            )
        )
