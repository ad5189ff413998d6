"""Fee use cases: bill and settle a school's term, record payments, the term's ledger."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, tzinfo

from bot.clock import Clock
from bot.domain import fees as rules
from bot.domain.school_calendar import calendar_term
from bot.services.errors import NoSchool
from bot.store.care import GuardianContact
from bot.store.db import Database
from bot.store.fees import BillResult
from bot.store.fees_repo import LedgerLine, Term
from bot.store.settlement import SettleResult
from bot.store.uow import UnitOfWork


@dataclass(frozen=True)
class Owing:
    """What a fee notice needs: the families owing this term, their children's names and classes, their
    guardians' contacts, and each class's working group chat."""

    balances: dict[int, rules.Settlement]  # student id -> balance, those owing only
    students: dict[int, tuple[str, int]]  # every billed student -> (name, class id)
    contacts: dict[int, list[GuardianContact]]
    chats: dict[int, int]  # class id -> chat ref


@dataclass(frozen=True)
class Billed:
    start: date
    end: date
    result: BillResult


@dataclass(frozen=True)
class Settled:
    start: date
    end: date
    result: SettleResult


class FeesService:
    def __init__(self, db: Database, clock: Clock, tz: tzinfo, policy: rules.FeePolicy) -> None:
        self.db = db
        self.clock = clock
        self.tz = tz
        self.policy = policy

    def today(self) -> date:
        return self.clock.now().astimezone(self.tz).date()

    async def _term(self, uow: UnitOfWork, day: date) -> Term:
        """The first school's term holding `day`, by its calendar."""
        school_id = await uow.roster.first_school()
        if school_id is None:
            raise NoSchool
        cal = await uow.calendar.of(school_id)
        start, end = calendar_term(cal, day)
        return Term(school_id, start, end, cal.is_care_day, self.tz)

    async def bill(self, day: date) -> Billed:
        """Charges of the term holding `day` (months begun by `day`); running it again charges nothing twice."""
        async with self.db.unit_of_work() as uow:
            term = await self._term(uow, day)
            return Billed(term.start, term.end, await uow.fees.bill(term, self.clock.now(), self.policy, day))

    async def settle(self, day: date) -> Settled:
        """End-of-term settlement (多退少补) of the term holding `day`; idempotent."""
        async with self.db.unit_of_work() as uow:
            term = await self._term(uow, day)
            return Settled(term.start, term.end, await uow.fees.settle(term, self.clock.now(), self.policy))

    async def pay(self, student_no: str, fen: int | None, day: date) -> str | None:
        """A payment for the child with this 学籍号 in the term holding `day`; the child's name, None if unknown
        (or no amount)."""
        async with self.db.unit_of_work() as uow:
            term = await self._term(uow, day)
            if fen is None:
                return None
            return await uow.fees.pay(term.school_id, student_no, fen, term.start, self.clock.now())

    async def ledger(self, day: date) -> list[LedgerLine]:
        async with self.db.unit_of_work() as uow:
            term = await self._term(uow, day)
            return await uow.fees.ledger(term.school_id, term.start)

    async def issued_on(self, school_id: int, term_start: date) -> date | None:
        """The school day the term's charges were issued (None: not billed yet)."""
        async with self.db.unit_of_work() as uow:
            issued_at = await uow.fees.issued_at(school_id, term_start)
        return issued_at.astimezone(self.tz).date() if issued_at else None

    async def owing(self, school_id: int, term_start: date) -> Owing:
        async with self.db.unit_of_work() as uow:
            balances = await uow.fees.balances(school_id, term_start)
            owing = {sid: b for sid, b in balances.items() if b.balance_fen > 0}
            students = await uow.fees.student_classes(list(balances))
            contacts = await uow.care_jobs.guardian_contacts(list(owing))
            chats = await uow.people.working_chats(school_id)
        return Owing(owing, students, contacts, chats)
