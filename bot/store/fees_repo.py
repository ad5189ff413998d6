"""The fees repository: billing and settling a term, payments, cancelled sessions, the ledger."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, tzinfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain import fees as rules
from bot.store import fees, settlement
from bot.store.enroll_tables import LedgerEntry
from bot.store.ledger import charges_issued_at, student_classes, term_balances
from bot.store.tables import Course, Student


@dataclass(frozen=True)
class LedgerLine:
    student: str
    kind: str
    fen: int
    note: str
    at: datetime


@dataclass(frozen=True)
class Entry:
    """One line of a family's statement."""

    student_id: int
    kind: str
    fen: int
    note: str


@dataclass(frozen=True)
class Term:
    """What billing and settlement of one school's term need: the bounds and which days are care days."""

    school_id: int
    start: date
    end: date
    is_care_day: Callable[[date], bool]
    tz: tzinfo


class FeesRepo:
    """A school's fee ledger (the functions of `bot.store.fees` and `bot.store.settlement` on this session)."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def bill(
        self, term: Term, now: datetime, policy: rules.FeePolicy, through: date
    ) -> fees.BillResult:
        return await fees.bill_term(
            self.session,
            term.school_id,
            term.start,
            term.end,
            now,
            policy,
            term.is_care_day,
            tz=term.tz,
            through=through,
        )

    async def settle(self, term: Term, now: datetime, policy: rules.FeePolicy) -> settlement.SettleResult:
        return await settlement.settle_term(
            self.session, term.school_id, term.start, term.end, now, policy, term.is_care_day, tz=term.tz
        )

    async def pay(
        self, school_id: int, student_no: str, fen: int, term_start: date, now: datetime
    ) -> str | None:
        """Record a payment for the child with this 学籍号; the child's name, None if there is no such child."""
        query = select(Student).where(Student.student_no == student_no)
        student = (await self.session.execute(query)).scalars().first()
        if student is None:
            return None
        await fees.record_payment(
            self.session,
            school_id,
            student.id,
            fen,
            term_start,
            now,
            key=f"pay:cli:{now.isoformat()}:{student.id}",
        )
        return student.name

    async def ledger(self, school_id: int, term_start: date) -> list[LedgerLine]:
        """The school's ledger lines of the term, by child's name."""
        q = (
            select(Student.name, LedgerEntry.kind, LedgerEntry.fen, LedgerEntry.note, LedgerEntry.at)
            .join(Student, Student.id == LedgerEntry.student_id)
            .where(LedgerEntry.school_id == school_id, LedgerEntry.term_start == term_start)
            .order_by(Student.name, LedgerEntry.id)
        )
        return [LedgerLine(*row) for row in (await self.session.execute(q)).all()]

    async def cancel_session(
        self,
        course_id: int,
        day: date,
        reason: str,
        term_start: date,
        now: datetime,
        policy: rules.FeePolicy,
        tz: tzinfo,
    ) -> fees.CancelResult:
        """Record a session the school cancelled and refund it to each child already charged for it."""
        course = await self.session.get(Course, course_id)
        assert course is not None
        return await fees.cancel_session(self.session, course, day, reason, term_start, now, policy, tz)

    async def balances(self, school_id: int, term_start: date) -> dict[int, rules.Settlement]:
        return await term_balances(self.session, school_id, term_start)

    async def issued_at(self, school_id: int, term_start: date) -> datetime | None:
        """When the term's first charge was written (None: not billed yet)."""
        return await charges_issued_at(self.session, school_id, term_start)

    async def student_classes(self, student_ids: list[int]) -> dict[int, tuple[str, int]]:
        """Student id -> (name, class id)."""
        return await student_classes(self.session, student_ids)

    async def entries(self, student_ids: Sequence[int], term_start: date) -> list[Entry]:
        """These children's ledger lines of the term, oldest first."""
        q = (
            select(LedgerEntry.student_id, LedgerEntry.kind, LedgerEntry.fen, LedgerEntry.note)
            .where(LedgerEntry.student_id.in_(list(student_ids)), LedgerEntry.term_start == term_start)
            .order_by(LedgerEntry.at, LedgerEntry.id)
        )
        return [Entry(*row) for row in (await self.session.execute(q)).all()]

    async def record_payment(
        self, school_id: int, student_id: int, fen: int, term_start: date, now: datetime, key: str
    ) -> None:
        await fees.record_payment(self.session, school_id, student_id, fen, term_start, now, key=key)
