"""Fee queries: bill a term in a fixed number of statements (no query per student), payments, statements."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, tzinfo
from typing import cast

from sqlalchemy import Table, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain import fees as rules
from bot.domain.enrollment import State
from bot.domain.school_calendar import SchoolCalendar
from bot.store import term_facts
from bot.store.enroll_tables import Enrollment, LedgerEntry, SessionCancellation, as_utc
from bot.store.ledger import term_balances
from bot.store.tables import Course, School

BATCH = 1000  # rows per INSERT, under SQLite's and asyncpg's parameter caps
# Generated lines go in through Core: one executemany per batch (ORM bulk inserts split on None columns).
LEDGER = cast(Table, LedgerEntry.__table__)


@dataclass(frozen=True)
class BillResult:
    lines: int
    charged_fen: int
    refunded_fen: int


def term_bounds(today: date, terms: Sequence[tuple[date, date]]) -> tuple[date, date]:
    """The calendar term holding today, else Sep-Jan / Feb-Aug."""
    for start, end in terms:
        if start <= today <= end:
            return start, end
    if today.month >= 9:
        return date(today.year, 9, 1), date(today.year + 1, 1, 31)
    if today.month == 1:
        return date(today.year - 1, 9, 1), date(today.year, 1, 31)
    return date(today.year, 2, 1), date(today.year, 8, 31)


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
    facts = await term_facts.load(session, school_id, start, end, is_care_day, tz,
                                  with_leave=policy.refund_personal_leave)
    existing = set((await session.execute(
        select(LedgerEntry.key).where(LedgerEntry.school_id == school_id, LedgerEntry.term_start == start)
    )).scalars())
    rows: list[dict[str, object]] = []
    totals = {"charge": 0, "refund": 0}

    def add(key: str, student_id: int, course_id: int | None, kind: str, fen: int, note: str) -> None:
        if fen > 0 and key not in existing:
            existing.add(key)
            rows.append({"school_id": school_id, "student_id": student_id, "course_id": course_id,
                         "term_start": start, "kind": kind, "fen": fen, "note": note, "at": now, "key": key})
            totals[kind] += fen

    for seat in facts.seats:
        course = facts.courses[seat.course_id]
        held = facts.sessions(seat)
        add(f"charge:{start}:{seat.enrollment_id}", seat.student_id, course.id, "charge",
            course.price_fen * len(held), f"{course.name} {len(held)}课时")
        for d in held:
            if d in facts.cancelled[course.id]:
                add(school_refund_key(seat.enrollment_id, d), seat.student_id, course.id, "refund",
                    rules.refund_for(policy, course.price_fen, "school"), f"{course.name} {d:%m-%d} 学校停课")
            elif d in facts.leave[seat.student_id]:
                add(f"refund:leave:{seat.enrollment_id}:{d}", seat.student_id, course.id, "refund",
                    rules.refund_for(policy, course.price_fen, "leave"), f"{course.name} {d:%m-%d} 请假")
    _bill_basic(facts, policy, through, add)
    for i in range(0, len(rows), BATCH):
        await session.execute(insert(LEDGER), rows[i : i + BATCH])
    return BillResult(len(rows), totals["charge"], totals["refund"])


async def lock_ledger(session: AsyncSession, school_id: int) -> None:
    """Serialise billing and settlement per school: the school row is locked until commit (PostgreSQL);
    SQLite writers are serialised by BEGIN IMMEDIATE. A second run then sees the first one's lines."""
    await session.execute(select(School.id).where(School.id == school_id).with_for_update())


def school_refund_key(enrollment_id: int, day: date) -> str:
    return f"refund:school:{enrollment_id}:{day}"


def _bill_basic(
    facts: term_facts.TermFacts, policy: rules.FeePolicy, through: date | None,
    add: Callable[[str, int, int | None, str, int, str], None],
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
                add(f"basic:{facts.start}:{student_id}:{month}", student_id, None, "charge",
                    rules.basic_month_fen(policy, len(care)), f"1类 基础托管 {month} {len(care)}天")
        else:
            fen = sum(rules.basic_month_fen(policy, len(care)) for care in due.values())
            add(f"basic:{facts.start}:{student_id}", student_id, None, "charge", fen,
                f"1类 基础托管 本学期 {len(facts.care_days)}天")
        if policy.refund_personal_leave and policy.basic_daily_fen > 0:
            for care in due.values():
                for d in care:
                    if d in facts.leave[student_id]:
                        add(f"refund:leave:basic:{student_id}:{d}", student_id, None, "refund",
                            policy.basic_daily_fen, f"1类 {d:%m-%d} 请假")


async def balances(session: AsyncSession, school_id: int, term_start: date) -> dict[int, int]:
    """What each family owes for a term: student id -> balance in fen (> 0 owes, < 0 the school owes the
    family, 0 settled), for every student with a ledger line in the term (`term_start` as `term_bounds`
    gives it). The balances of `ledger.term_balances` (one grouped query, `rules.settle` arithmetic)."""
    return {sid: s.balance_fen for sid, s in (await term_balances(session, school_id, term_start)).items()}


def calendar_term(calendar: SchoolCalendar, day: date) -> tuple[date, date]:
    """The school's term holding `day`, from its calendar entries (Sep-Jan / Feb-Aug when it has none)."""
    return term_bounds(day, [(t.start, t.end) for t in calendar.terms])


@dataclass(frozen=True)
class CancelResult:
    new: bool  # False: the session was already recorded as cancelled
    seats: list[tuple[int, int, int | None]]  # (enrollment id, fen refunded now (0: not charged yet), guardian id)


async def cancel_session(
    session: AsyncSession, course: Course, day: date, reason: str, start: date, now: datetime,
    policy: rules.FeePolicy, tz: tzinfo = UTC,
) -> CancelResult:
    """Record a session the school cancelled and refund it to every child already charged for it (per-session
    key, shared with billing, so neither this nor a later bill refunds it twice)."""
    found = await session.scalar(select(SessionCancellation.id).where(
        SessionCancellation.course_id == course.id, SessionCancellation.day == day))
    if found is None:
        session.add(SessionCancellation(course_id=course.id, day=day, reason=reason))
    charged = {key for (key,) in (await session.execute(
        select(LedgerEntry.key).where(LedgerEntry.course_id == course.id, LedgerEntry.term_start == start,
                                      LedgerEntry.kind.in_(["charge", "refund"]))
    )).all()}
    fen = rules.refund_for(policy, course.price_fen, "school")
    seats: list[tuple[int, int, int | None]] = []
    for eid, sid, gid, applied in (await session.execute(
        select(Enrollment.id, Enrollment.student_id, Enrollment.guardian_id, Enrollment.applied_at)
        .where(Enrollment.course_id == course.id, Enrollment.state.in_([State.ACTIVE.value, State.WITHDRAW_REQ.value]))
    )).all():
        key = school_refund_key(eid, day)
        after = (as_utc(applied) or applied).astimezone(tz).date() > day  # applied later: never charged for it
        if fen <= 0 or f"charge:{start}:{eid}" not in charged or key in charged or after:
            seats.append((eid, 0, gid))
            continue
        session.add(LedgerEntry(school_id=course.school_id, student_id=sid, course_id=course.id, term_start=start,
                                kind="refund", fen=fen, note=f"{course.name} {day:%m-%d} 学校停课", at=now, key=key))
        seats.append((eid, fen, gid))
    return CancelResult(found is None, seats)


async def record_payment(
    session: AsyncSession, school_id: int, student_id: int, fen: int, term_start: date, now: datetime, key: str
) -> None:
    session.add(LedgerEntry(school_id=school_id, student_id=student_id, course_id=None, term_start=term_start,
                            kind="payment", fen=fen, note="缴费", at=now, key=key))
