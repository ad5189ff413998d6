"""Left-behind children's archives (roster columns, staff only) and dated care records (关爱记录, 家访, 座谈会)."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import func, literal, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.roster import StudentRec
from bot.store.archive_tables import CareRecord, StudentArchive
from bot.store.family import staff_names
from bot.store.family_tables import FamilyCall, PastoralTalk
from bot.store.tables import Staff, Student

FIELDS = ("guardian_job", "guardian_age", "guardian_health", "employer", "employer_phone", "caring_mother_id")


@dataclass(frozen=True)
class Archive:
    student_id: int
    guardian_job: str = ""
    guardian_age: int | None = None
    guardian_health: str = ""
    employer: str = ""
    employer_phone: str = ""
    caring_mother_id: int | None = None

    def missing(self) -> list[str]:
        """The archive's empty fields, as the roster names them."""
        labels = {
            "employer": "务工单位",
            "employer_phone": "务工单位电话",
            "guardian_job": "监护人职业",
            "guardian_age": "监护人年龄",
            "guardian_health": "监护人健康",
            "caring_mother_id": "爱心妈妈",
        }
        return [label for key, label in labels.items() if getattr(self, key) in ("", None)]


@dataclass(frozen=True)
class RecordRow:
    day: date
    kind: str
    student_id: int | None
    staff_name: str
    note: str


async def school_archives(session: AsyncSession, school_id: int) -> dict[int, Archive]:
    ids = select(Student.id).where(Student.school_id == school_id)
    rows = await session.scalars(select(StudentArchive).where(StudentArchive.student_id.in_(ids)))
    return {a.student_id: Archive(a.student_id, *(getattr(a, f) for f in FIELDS)) for a in rows}


async def upsert_archives(session: AsyncSession, values: Mapping[int, Mapping[str, Any]]) -> set[int]:
    """Set the given archive fields per child (others kept); returns the children whose archive changed."""
    wanted = {sid: v for sid, v in values.items() if v}
    if not wanted:
        return set()
    existing = {
        a.student_id: a
        for a in await session.scalars(
            select(StudentArchive).where(StudentArchive.student_id.in_(list(wanted)))
        )
    }
    changed: set[int] = set()
    for student_id, fields in wanted.items():
        row = existing.get(student_id)
        if row is None:
            if not any(v not in ("", None) for v in fields.values()):
                continue
            row = StudentArchive(
                student_id=student_id, guardian_job="", guardian_health="", employer="", employer_phone=""
            )
            session.add(row)
        for key, value in fields.items():
            if getattr(row, key) != value:
                setattr(row, key, value)
                changed.add(student_id)
    await session.flush()
    return changed


async def import_archives(
    session: AsyncSession,
    records: Sequence[StudentRec],
    students: Mapping[str, Student],
    staff_named: Callable[[str], Staff | None],
) -> set[str]:
    """The roster's staff-only archive columns (爱心妈妈 by name); the student numbers whose archive changed."""
    values: dict[int, dict[str, Any]] = {}
    for rec in records:
        fields = dict(rec.archive)
        if "caring_mother" in fields:
            name = fields.pop("caring_mother")
            mother = staff_named(name) if name else None
            fields["caring_mother_id"] = mother.id if mother else None
        values[students[rec.student_no].id] = fields
    changed = await upsert_archives(session, values)
    return {number for number, student in students.items() if student.id in changed}


class ArchivesRepo:
    """Left-behind children's archives and dated care records, and what the term's report counts."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def archives_of(self, student_ids: Sequence[int]) -> dict[int, Archive]:
        if not student_ids:
            return {}
        rows = await self.session.scalars(
            select(StudentArchive).where(StudentArchive.student_id.in_(list(student_ids)))
        )
        return {a.student_id: Archive(a.student_id, *(getattr(a, f) for f in FIELDS)) for a in rows}

    async def school_archives(self, school_id: int) -> dict[int, Archive]:
        return await school_archives(self.session, school_id)

    async def staff_names(self, staff_ids: Sequence[int | None]) -> dict[int, str]:
        """Teachers' names by id (the paired teachers and 爱心妈妈 a report shows)."""
        return await staff_names(self.session, staff_ids)

    async def add_record(
        self,
        school_id: int,
        student_id: int | None,
        kind: str,
        day: date,
        staff_id: int | None,
        note: str,
        by: str,
        at: datetime,
        message_id: str,
    ) -> None:
        self.session.add(
            CareRecord(
                school_id=school_id,
                student_id=student_id,
                kind=kind,
                day=day,
                staff_id=staff_id,
                note=note,
                recorded_by=by,
                recorded_at=at,
                message_id=message_id,
            )
        )

    async def records_between(self, school_id: int, start: date, end: date) -> list[RecordRow]:
        """The school's care records in [start, end], by day, with the recording teacher's name."""
        rows = await self.session.execute(
            select(CareRecord.day, CareRecord.kind, CareRecord.student_id, Staff.name, CareRecord.note)
            .outerjoin(Staff, Staff.id == CareRecord.staff_id)
            .where(CareRecord.school_id == school_id, CareRecord.day.between(start, end))
            .order_by(CareRecord.day, CareRecord.id)
        )
        return [RecordRow(d, k, s, n or "", note) for d, k, s, n, note in rows.all()]

    async def term_counts(
        self, student_ids: Sequence[int], start: date, end: date
    ) -> dict[int, Counter[str]]:
        """Per child in [start, end]: family calls by the parents away (call), 谈心 (talk), and care records by
        kind (care, visit, meeting); three grouped statements."""
        out: dict[int, Counter[str]] = defaultdict(Counter)
        if not student_ids:
            return out
        ids = list(student_ids)
        calls = (
            select(FamilyCall.student_id, literal("call"), func.count())
            .where(
                FamilyCall.student_id.in_(ids),
                FamilyCall.by_parent_away.is_(True),
                FamilyCall.day.between(start, end),
            )
            .group_by(FamilyCall.student_id)
        )
        talks = (
            select(PastoralTalk.student_id, literal("talk"), func.count())
            .where(PastoralTalk.student_id.in_(ids), PastoralTalk.day.between(start, end))
            .group_by(PastoralTalk.student_id)
        )
        cares = (
            select(CareRecord.student_id, CareRecord.kind, func.count())
            .where(CareRecord.student_id.in_(ids), CareRecord.day.between(start, end))
            .group_by(CareRecord.student_id, CareRecord.kind)
        )
        for stmt in (calls, talks, cares):
            for student_id, kind, n in (await self.session.execute(stmt)).all():
                if student_id is not None:
                    out[student_id][str(kind)] += int(n)
        return out
