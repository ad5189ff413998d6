"""Fee queries: bill a term in a fixed number of statements (no query per student), payments, statements."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, tzinfo
from typing import cast

from sqlalchemy import Table, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain import fees as rules
from bot.domain.enrollment import State
from bot.store import term_facts
from bot.store.enroll_tables import Enrollment, LedgerEntry, SessionCancellation, as_utc
from bot.store.ledger import term_balances
from bot.store.tables import Course, School

BATCH = 1000  # rows per INSERT, under SQLite's and asyncpg's parameter caps
# add(key, student_id, course_id, kind, fen, note): one ledger line, skipped when its key is there already.
AddEntry = Callable[[str, int, int | None, str, int, str], None]
# Generated lines go in through Core: one executemany per batch (ORM bulk inserts split on None columns).
LEDGER = cast(Table, LedgerEntry.__table__)


@dataclass(frozen=True)
class BillResult:
    lines: int
    charged_fen: int
    refunded_fen: int


async def bill_term(
    session: AsyncSession,
    school_id: int,
    start: date,
    end: date,
    now: datetime,
    policy: rules.FeePolicy,
    is_care_day: Callable[[date], bool],
    *,
    tz: tzinfo = UTC,
    through: date | None = None,
) -> BillResult:
    """Charges for active enrollments ("X" per session from the day applied) and basic care (per month
    as months begin up to `through`, or the whole term at once), refunds per school-cancelled session and,
    when configured, per day of notified personal leave. Idempotent by key; a fixed number of statements."""
    await lock_ledger(session, school_id)
    facts = await term_facts.load(
        session, school_id, start, end, is_care_day, tz, with_leave=policy.refund_personal_leave
    )
    existing = set(
        (
            await session.execute(
                select(LedgerEntry.key).where(
                    LedgerEntry.school_id == school_id, LedgerEntry.term_start == start
                )
            )
        ).scalars()
    )
    bill = _NewEntries(school_id, start, now, existing)
    _bill_courses(facts, policy, start, bill.add)
    _bill_basic(facts, policy, through, bill.add)
    for i in range(0, len(bill.rows), BATCH):
        await session.execute(insert(LEDGER), bill.rows[i : i + BATCH])
    return BillResult(len(bill.rows), bill.totals["charge"], bill.totals["refund"])


class _NewEntries:
    """The ledger rows a billing run adds: each key once (a key already in the ledger is skipped)."""

    def __init__(self, school_id: int, term_start: date, now: datetime, existing: set[str]) -> None:
        self.school_id, self.term_start, self.now, self.existing = school_id, term_start, now, existing
        self.rows: list[dict[str, object]] = []
        self.totals = {"charge": 0, "refund": 0}

    def add(self, key: str, student_id: int, course_id: int | None, kind: str, fen: int, note: str) -> None:
        if fen <= 0 or key in self.existing:
            return
        self.existing.add(key)
        self.rows.append(
            {
                "school_id": self.school_id,
                "student_id": student_id,
                "course_id": course_id,
                "term_start": self.term_start,
                "kind": kind,
                "fen": fen,
                "note": note,
                "at": self.now,
                "key": key,
            }
        )
        self.totals[kind] += fen


def _bill_courses(facts: term_facts.TermFacts, policy: rules.FeePolicy, start: date, add: AddEntry) -> None:
    """X courses: each seat charged per session held from the day applied; a session the school cancelled or,
    where the policy says so, a day of notified personal leave refunded."""
    for seat in facts.seats:
        course = facts.courses[seat.course_id]
        held = facts.sessions(seat)
        add(
            f"charge:{start}:{seat.enrollment_id}",
            seat.student_id,
            course.id,
            "charge",
            course.price_fen * len(held),
            f"{course.name} {len(held)}课时",
        )
        for d in held:
            if d in facts.cancelled[course.id]:
                add(
                    school_refund_key(seat.enrollment_id, d),
                    seat.student_id,
                    course.id,
                    "refund",
                    rules.refund_for(policy, course.price_fen, "school"),
                    f"{course.name} {d:%m-%d} 学校停课",
                )
            elif d in facts.leave[seat.student_id]:
                add(
                    f"refund:leave:{seat.enrollment_id}:{d}",
                    seat.student_id,
                    course.id,
                    "refund",
                    rules.refund_for(policy, course.price_fen, "leave"),
                    f"{course.name} {d:%m-%d} 请假",
                )


async def lock_ledger(session: AsyncSession, school_id: int) -> None:
    """Serialise billing and settlement per school: the school row is locked until commit (PostgreSQL);
    SQLite writers are serialised by BEGIN IMMEDIATE. A second run then sees the first one's lines."""
    await session.execute(select(School.id).where(School.id == school_id).with_for_update())


def school_refund_key(enrollment_id: int, day: date) -> str:
    return f"refund:school:{enrollment_id}:{day}"


def _bill_basic(
    facts: term_facts.TermFacts,
    policy: rules.FeePolicy,
    through: date | None,
    add: AddEntry,
) -> None:
    """1类: per month (each month with care days, once it has begun) or one line for the term."""
    months = rules.care_days_by_month(facts.care_days)
    if policy.basic_monthly_fen <= 0 and policy.basic_daily_fen <= 0:
        return
    if policy.basic_billing == "month":
        due = {m: d for m, d in months.items() if through is None or d[0].replace(day=1) <= through}
    else:
        due = months
    for student_id in facts.basic_students:
        if policy.basic_billing == "month":
            for month, care in due.items():
                add(
                    f"basic:{facts.start}:{student_id}:{month}",
                    student_id,
                    None,
                    "charge",
                    rules.basic_month_fen(policy, len(care)),
                    f"1类 基础托管 {month} {len(care)}天",
                )
        else:
            fen = sum(rules.basic_month_fen(policy, len(care)) for care in due.values())
            add(
                f"basic:{facts.start}:{student_id}",
                student_id,
                None,
                "charge",
                fen,
                f"1类 基础托管 本学期 {len(facts.care_days)}天",
            )
        if policy.refund_personal_leave and policy.basic_daily_fen > 0:
            for care in due.values():
                for d in care:
                    if d in facts.leave[student_id]:
                        add(
                            f"refund:leave:basic:{student_id}:{d}",
                            student_id,
                            None,
                            "refund",
                            policy.basic_daily_fen,
                            f"1类 {d:%m-%d} 请假",
                        )


async def balances(session: AsyncSession, school_id: int, term_start: date) -> dict[int, int]:
    """What each family owes for a term: student id -> balance in fen (> 0 owes, < 0 the school owes the
    family, 0 settled), for every student with a ledger line in the term (`term_start` as `term_bounds`
    gives it). The balances of `ledger.term_balances` (one grouped query, `rules.settle` arithmetic)."""
    return {sid: s.balance_fen for sid, s in (await term_balances(session, school_id, term_start)).items()}


@dataclass(frozen=True)
class CancelResult:
    new: bool  # False: the session was already recorded as cancelled
    seats: list[
        tuple[int, int, int | None]
    ]  # (enrollment id, fen refunded now (0: not charged yet), guardian id)


async def cancel_session(
    session: AsyncSession,
    course: Course,
    day: date,
    reason: str,
    start: date,
    now: datetime,
    policy: rules.FeePolicy,
    tz: tzinfo = UTC,
) -> CancelResult:
    """Record a session the school cancelled and refund it to every child already charged for it (per-session
    key, shared with billing, so neither this nor a later bill refunds it twice)."""
    found = await session.scalar(
        select(SessionCancellation.id).where(
            SessionCancellation.course_id == course.id, SessionCancellation.day == day
        )
    )
    if found is None:
        session.add(SessionCancellation(course_id=course.id, day=day, reason=reason))
    charged = await _course_keys(session, course.id, start)
    fen = rules.refund_for(policy, course.price_fen, "school")
    seats: list[tuple[int, int, int | None]] = []
    for eid, sid, gid, applied in await _seats_of(session, course.id):
        key = school_refund_key(eid, day)
        after = (as_utc(applied) or applied).astimezone(tz).date() > day  # applied later: never charged
        if fen <= 0 or f"charge:{start}:{eid}" not in charged or key in charged or after:
            seats.append((eid, 0, gid))
            continue
        session.add(
            LedgerEntry(
                school_id=course.school_id,
                student_id=sid,
                course_id=course.id,
                term_start=start,
                kind="refund",
                fen=fen,
                note=f"{course.name} {day:%m-%d} 学校停课",
                at=now,
                key=key,
            )
        )
        seats.append((eid, fen, gid))
    return CancelResult(found is None, seats)


async def _seats_of(session: AsyncSession, course_id: int) -> list[tuple[int, int, int | None, datetime]]:
    """The course's seats still held: (enrollment id, student id, guardian id, applied at)."""
    rows = await session.execute(
        select(Enrollment.id, Enrollment.student_id, Enrollment.guardian_id, Enrollment.applied_at).where(
            Enrollment.course_id == course_id,
            Enrollment.state.in_([State.ACTIVE.value, State.WITHDRAW_REQ.value]),
        )
    )
    return [(eid, sid, gid, applied) for eid, sid, gid, applied in rows.all()]


async def _course_keys(session: AsyncSession, course_id: int, start: date) -> set[str]:
    """The keys of the term's charges and refunds for one course (what billing or a cancellation wrote)."""
    rows = await session.execute(
        select(LedgerEntry.key).where(
            LedgerEntry.course_id == course_id,
            LedgerEntry.term_start == start,
            LedgerEntry.kind.in_(["charge", "refund"]),
        )
    )
    return {key for (key,) in rows.all()}


async def record_payment(
    session: AsyncSession,
    school_id: int,
    student_id: int,
    fen: int,
    term_start: date,
    now: datetime,
    key: str,
) -> None:
    session.add(
        LedgerEntry(
            school_id=school_id,
            student_id=student_id,
            course_id=None,
            term_start=term_start,
            kind="payment",
            fen=fen,
            note="缴费",
            at=now,
            key=key,
        )
    )
