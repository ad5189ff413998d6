"""End-of-term settlement (多退少补): true up each family's ledger to the sessions actually due, pay back surplus."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
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
            policy, course.price_fen, facts.sessions(seat), facts.cancelled[course.id], facts.leave[seat.student_id])
    months = rules.care_days_by_month(facts.care_days)
    for student_id in facts.basic_students:
        leave = facts.leave[student_id]
        fen = sum(rules.basic_month_fen(policy, len(care), sum(1 for d in care if d in leave))
                  for care in months.values())
        if fen:
            due[(student_id, "basic")] = fen
    return due


async def settle_term(
    session: AsyncSession, school_id: int, start: date, end: date, now: datetime,
    policy: rules.FeePolicy, is_care_day: Callable[[date], bool], *, tz: tzinfo = UTC,
) -> SettleResult:
    """Adjustment lines (charge or refund) so each child's net charge per course equals what the sessions
    held make due, then a settlement line paying back any surplus of payments. Running it again writes
    nothing: balanced ledgers need no line. Lines are keyed by student, part and round, so two concurrent
    runs cannot both write the same adjustment (the unique key refuses the second)."""
    await lock_ledger(session, school_id)
    facts = await term_facts.load(session, school_id, start, end, is_care_day, tz, with_ended=True,
                                  with_leave=policy.refund_personal_leave)
    net: dict[Scope, int] = defaultdict(int)
    owed: dict[int, int] = defaultdict(int)  # extras (late fees) owed as charged
    paid: dict[int, int] = defaultdict(int)
    rounds: dict[tuple[int, str], int] = defaultdict(int)  # earlier settlement lines per (student, part)
    for student_id, course_id, kind, fen, key in (await session.execute(
        select(LedgerEntry.student_id, LedgerEntry.course_id, LedgerEntry.kind, LedgerEntry.fen, LedgerEntry.key)
        .where(LedgerEntry.school_id == school_id, LedgerEntry.term_start == start)
    )).all():
        if key.startswith("settle:"):
            rounds[(student_id, key.split(":")[3])] += 1
        signed = fen if kind in ("charge", "settlement") else -fen
        if kind in ("payment", "settlement"):
            paid[student_id] -= signed
            continue
        where = scope(student_id, course_id, key)
        if where is None:
            owed[student_id] += signed
        else:
            net[where] += signed
    due = targets(facts, policy)
    rows: list[dict[str, object]] = []

    def add(key: str, student_id: int, course_id: int | None, kind: str, fen: int, note: str) -> None:
        rows.append({"school_id": school_id, "student_id": student_id, "course_id": course_id, "term_start": start,
                     "kind": kind, "fen": fen, "note": note, "at": now, "key": key})

    for k in sorted(set(net) | set(due), key=lambda k: (k[0], str(k[1]))):
        student_id, part = k
        want, have = due.get(k, 0), net.get(k, 0)
        owed[student_id] += want
        if want == have:
            continue
        course_id = part if isinstance(part, int) else None
        what = facts.courses[course_id].name if course_id is not None else "1类 基础托管"
        key = f"settle:{start}:{student_id}:{part}:{rounds[(student_id, str(part))] + 1}"
        if want > have:
            add(key, student_id, course_id, "charge", want - have, f"期末结算 {what} 补收")
        else:
            add(key, student_id, course_id, "refund", have - want, f"期末结算 {what} 多收退还")
    paid_back = owing = owing_families = 0
    for student_id in sorted(set(owed) | set(paid)):
        balance = owed[student_id] - paid[student_id]
        if balance < 0:
            add(f"settle:{start}:{student_id}:payout:{rounds[(student_id, 'payout')] + 1}", student_id, None,
                "settlement", -balance, "期末结算 多缴退还")
            paid_back += -balance
        elif balance > 0:
            owing += balance
            owing_families += 1
    for i in range(0, len(rows), BATCH):
        await session.execute(insert(LEDGER), rows[i : i + BATCH])
    return SettleResult(len(rows), len({r["student_id"] for r in rows}), paid_back, owing, owing_families)
