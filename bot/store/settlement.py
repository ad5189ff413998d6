"""End-of-term settlement (多退少补): true up each family's ledger to the sessions actually due, pay back surplus."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, tzinfo

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain import fees as rules
from bot.store import term_facts
from bot.store.enroll_tables import LedgerEntry
from bot.store.fees import BATCH, LEDGER, lock_ledger


@dataclass(frozen=True)
class SettleResult:
    lines: int
    families: int  # students whose ledger changed
    paid_back_fen: int  # 多退: surplus returned
    owing_fen: int  # 少补: still to be paid by families after settlement
    owing_families: int


Scope = tuple[int, int | str]  # (student, course id or "basic"); other lines (late fees) are kept as charged


def scope(student_id: int, course_id: int | None, key: str) -> Scope | None:
    """Which part of a child's ledger a charge or refund line belongs to; None for extras (late fees)."""
    if course_id is not None:
        return (student_id, course_id)
    if key.startswith(("basic:", "refund:leave:basic:")) or ":basic:" in key:
        return (student_id, "basic")
    return None


def targets(facts: term_facts.TermFacts, policy: rules.FeePolicy) -> dict[Scope, int]:
    """(student, course or "basic") -> fen actually due for the whole term."""
    due: dict[Scope, int] = defaultdict(int)
    for seat in facts.seats:
        course = facts.courses[seat.course_id]
        due[(seat.student_id, course.id)] += rules.course_due(
            policy,
            course.price_fen,
            facts.sessions(seat),
            facts.cancelled[course.id],
            facts.leave[seat.student_id],
        )
    months = rules.care_days_by_month(facts.care_days)
    for student_id in facts.basic_students:
        leave = facts.leave[student_id]
        fen = sum(
            rules.basic_month_fen(policy, len(care), sum(1 for d in care if d in leave))
            for care in months.values()
        )
        if fen:
            due[(student_id, "basic")] = fen
    return due


@dataclass
class _Ledger:
    """A term's ledger read for settlement, per student and part."""

    net: dict[Scope, int] = field(default_factory=lambda: defaultdict(int))  # charged less refunded
    owed: dict[int, int] = field(
        default_factory=lambda: defaultdict(int)
    )  # extras (late fees) owed as charged
    paid: dict[int, int] = field(default_factory=lambda: defaultdict(int))
    rounds: dict[tuple[int, str], int] = field(
        default_factory=lambda: defaultdict(int)
    )  # earlier settle lines


async def _read_ledger(session: AsyncSession, school_id: int, start: date) -> _Ledger:
    ledger = _Ledger()
    for student_id, course_id, kind, fen, key in (
        await session.execute(
            select(
                LedgerEntry.student_id,
                LedgerEntry.course_id,
                LedgerEntry.kind,
                LedgerEntry.fen,
                LedgerEntry.key,
            ).where(LedgerEntry.school_id == school_id, LedgerEntry.term_start == start)
        )
    ).all():
        if key.startswith("settle:"):
            ledger.rounds[(student_id, key.split(":")[3])] += 1
        signed = fen if kind in ("charge", "settlement") else -fen
        if kind in ("payment", "settlement"):
            ledger.paid[student_id] -= signed
            continue
        where = scope(student_id, course_id, key)
        if where is None:
            ledger.owed[student_id] += signed
        else:
            ledger.net[where] += signed
    return ledger


class _Lines:
    """The settlement lines being written for one school's term."""

    def __init__(self, school_id: int, start: date, now: datetime) -> None:
        self.school_id, self.start, self.now = school_id, start, now
        self.rows: list[dict[str, object]] = []

    def add(self, key: str, student_id: int, course_id: int | None, kind: str, fen: int, note: str) -> None:
        self.rows.append(
            {
                "school_id": self.school_id,
                "student_id": student_id,
                "course_id": course_id,
                "term_start": self.start,
                "kind": kind,
                "fen": fen,
                "note": note,
                "at": self.now,
                "key": key,
            }
        )


def _adjust(lines: _Lines, ledger: _Ledger, due: dict[Scope, int], facts: term_facts.TermFacts) -> None:
    """A charge or refund line per (student, part) whose net charge differs from what is due."""
    for k in sorted(set(ledger.net) | set(due), key=lambda k: (k[0], str(k[1]))):
        student_id, part = k
        want, have = due.get(k, 0), ledger.net.get(k, 0)
        ledger.owed[student_id] += want
        if want == have:
            continue
        course_id = part if isinstance(part, int) else None
        what = facts.courses[course_id].name if course_id is not None else "1类 基础托管"
        key = f"settle:{lines.start}:{student_id}:{part}:{ledger.rounds[(student_id, str(part))] + 1}"
        if want > have:
            lines.add(key, student_id, course_id, "charge", want - have, f"期末结算 {what} 补收")
        else:
            lines.add(key, student_id, course_id, "refund", have - want, f"期末结算 {what} 多收退还")


def _pay_back(lines: _Lines, ledger: _Ledger) -> tuple[int, int, int]:
    """A settlement line returning each surplus of payments; (paid back, still owing, families owing)."""
    paid_back = owing = owing_families = 0
    for student_id in sorted(set(ledger.owed) | set(ledger.paid)):
        balance = ledger.owed[student_id] - ledger.paid[student_id]
        if balance < 0:
            round_no = ledger.rounds[(student_id, "payout")] + 1
            lines.add(
                f"settle:{lines.start}:{student_id}:payout:{round_no}",
                student_id,
                None,
                "settlement",
                -balance,
                "期末结算 多缴退还",
            )
            paid_back += -balance
        elif balance > 0:
            owing += balance
            owing_families += 1
    return paid_back, owing, owing_families


async def settle_term(
    session: AsyncSession,
    school_id: int,
    start: date,
    end: date,
    now: datetime,
    policy: rules.FeePolicy,
    is_care_day: Callable[[date], bool],
    *,
    tz: tzinfo = UTC,
) -> SettleResult:
    """Adjustment lines (charge or refund) so each child's net charge per course equals what the sessions
    held make due, then a settlement line paying back any surplus of payments. Running it again writes
    nothing: balanced ledgers need no line. Lines are keyed by student, part and round, so two concurrent
    runs cannot both write the same adjustment (the unique key refuses the second)."""
    await lock_ledger(session, school_id)
    facts = await term_facts.load(
        session,
        school_id,
        start,
        end,
        is_care_day,
        tz,
        with_ended=True,
        with_leave=policy.refund_personal_leave,
    )
    ledger = await _read_ledger(session, school_id, start)
    lines = _Lines(school_id, start, now)
    _adjust(lines, ledger, targets(facts, policy), facts)
    paid_back, owing, owing_families = _pay_back(lines, ledger)
    rows = lines.rows
    for i in range(0, len(rows), BATCH):
        await session.execute(insert(LEDGER), rows[i : i + BATCH])
    return SettleResult(len(rows), len({r["student_id"] for r in rows}), paid_back, owing, owing_families)
