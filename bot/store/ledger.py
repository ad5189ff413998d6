"""Ledger totals for notices: each student's term balance and when the term's charges were issued."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.fees import Settlement, settle
from bot.store.enroll_tables import LedgerEntry
from bot.store.tables import Student


async def term_balances(session: AsyncSession, school_id: int, term_start: date) -> dict[int, Settlement]:
    """Per student with ledger lines this term: charged, paid, refunded and the balance, in one query."""
    rows = (
        await session.execute(
            select(LedgerEntry.student_id, LedgerEntry.kind, func.sum(LedgerEntry.fen))
            .where(LedgerEntry.school_id == school_id, LedgerEntry.term_start == term_start)
            .group_by(LedgerEntry.student_id, LedgerEntry.kind)
        )
    ).all()
    per_student: dict[int, list[tuple[str, int]]] = {}
    for student_id, kind, fen in rows:
        per_student.setdefault(student_id, []).append((kind, int(fen)))
    return {sid: settle(lines) for sid, lines in per_student.items()}


async def charges_issued_at(session: AsyncSession, school_id: int, term_start: date) -> datetime | None:
    """When the term's first charge line was written (None: not billed yet)."""
    issued: datetime | None = await session.scalar(
        select(func.min(LedgerEntry.at)).where(
            LedgerEntry.school_id == school_id,
            LedgerEntry.term_start == term_start,
            LedgerEntry.kind == "charge",
        )
    )
    return issued


async def student_classes(session: AsyncSession, student_ids: list[int]) -> dict[int, tuple[str, int]]:
    """Student id -> (name, class id), for the students named in a notice."""
    if not student_ids:
        return {}
    rows = await session.execute(
        select(Student.id, Student.name, Student.class_group_id).where(Student.id.in_(student_ids))
    )
    return {sid: (name, class_id) for sid, name, class_id in rows.all()}
