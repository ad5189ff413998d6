"""End-of-term settlement (多退少补) against actual sessions: idempotent, balances, late fees kept, no N+1."""

from __future__ import annotations

import asyncio
from datetime import date

import pytest
from sqlalchemy import event, select, update

from bot.bootstrap import bootstrap
from bot.cli.fees import cmd_fees
from bot.cli.main import build_parser
from bot.clock import FixedClock
from bot.domain.fees import FeePolicy
from bot.settings import load_settings
from bot.store import fees as store
from bot.store.db import Database
from bot.store.enroll_tables import Enrollment, LedgerEntry, SessionCancellation
from bot.store.settlement import SettleResult, settle_term
from bot.store.tables import Student
from tests.conftest import shanghai
from tests.integration.enroll_factory import EnrollSchool, sayer, seed

NOW = shanghai(2026, 9, 2, 9, 0)
END_OF_TERM = shanghai(2026, 10, 8, 9, 0)
START, END = date(2026, 9, 1), date(2026, 9, 30)  # 篮球 Wed+Fri: 9 sessions on the weekdays of September


def weekdays(d: date) -> bool:
    return d.weekday() < 5


async def student_ids(db: Database) -> list[int]:
    async with db.transaction() as s:
        return list((await s.execute(select(Student.id).order_by(Student.id))).scalars())


async def enrol(db: Database, school: EnrollSchool, course: str = "篮球") -> None:
    async with db.transaction() as s:
        for sid, (_, _, gid) in zip(await student_ids(db), school.families, strict=True):
            s.add(
                Enrollment(
                    course_id=school.course_ids[course],
                    student_id=sid,
                    guardian_id=gid,
                    state="active",
                    applied_at=NOW,
                    updated_at=NOW,
                    round=1,
                )
            )


async def bill(db: Database, school: EnrollSchool, policy: FeePolicy | None = None) -> None:
    async with db.transaction() as s:
        await store.bill_term(s, school.school_id, START, END, NOW, policy or FeePolicy(), weekdays)


async def pay(db: Database, school: EnrollSchool, student_id: int, fen: int) -> None:
    async with db.transaction() as s:
        await store.record_payment(
            s, school.school_id, student_id, fen, START, NOW, key=f"pay:{student_id}:{fen}"
        )


async def settle(db: Database, school: EnrollSchool, policy: FeePolicy | None = None) -> SettleResult:
    async with db.transaction() as s:
        return await settle_term(
            s, school.school_id, START, END, END_OF_TERM, policy or FeePolicy(), weekdays
        )


async def ledger(db: Database) -> list[tuple[int, str, int, str]]:
    async with db.transaction() as s:
        rows = await s.execute(
            select(LedgerEntry.student_id, LedgerEntry.kind, LedgerEntry.fen, LedgerEntry.note).order_by(
                LedgerEntry.id
            )
        )
        return [tuple(r) for r in rows.all()]  # type: ignore[misc]


async def balances(db: Database, school: EnrollSchool) -> dict[int, int]:
    async with db.transaction() as s:
        return await store.balances(s, school.school_id, START)


async def test_surplus_paid_back_shortfall_left_owing_and_idempotent(db: Database) -> None:
    school = await seed(db, families=2)
    await enrol(db, school)
    await bill(db, school)  # 9 sessions: 180 元 each
    a, b = await student_ids(db)
    await pay(db, school, a, 20000)
    await pay(db, school, b, 5000)
    async with db.transaction() as s:  # cancelled after billing, never refunded; b withdrew on Sep 16
        s.add(SessionCancellation(course_id=school.course_ids["篮球"], day=date(2026, 9, 9), reason="运动会"))
        await s.execute(
            update(Enrollment)
            .where(Enrollment.student_id == b)
            .values(state="withdrawn", updated_at=shanghai(2026, 9, 16, 12, 0))
        )
    assert await balances(db, school) == {a: -2000, b: 13000}
    result = await settle(db, school)
    # a: 8 sessions due (160 元), paid 200: 40 back. b: Sep 2, 4, 11 before withdrawing (9th cancelled): 60 元
    assert (result.paid_back_fen, result.owing_fen, result.owing_families) == (4000, 1000, 1)
    assert await balances(db, school) == {a: 0, b: 1000}
    added = (await ledger(db))[4:]  # after 2 charges and 2 payments
    assert added == [
        (a, "refund", 2000, "期末结算 篮球 多收退还"),
        (b, "refund", 12000, "期末结算 篮球 多收退还"),
        (a, "settlement", 4000, "期末结算 多缴退还"),
    ]
    before = await ledger(db)
    again = await settle(db, school)
    assert again.lines == 0 and await ledger(db) == before


async def test_settle_charges_what_was_never_billed_and_keeps_late_fees(db: Database) -> None:
    school = await seed(db, families=1)
    await enrol(db, school)
    (sid,) = await student_ids(db)
    async with db.transaction() as s:
        s.add(
            LedgerEntry(
                school_id=school.school_id,
                student_id=sid,
                course_id=None,
                term_start=START,
                kind="charge",
                fen=500,
                note="晚接 5 分钟",
                at=NOW,
                key="late-fee:1",
            )
        )
    result = await settle(db, school)
    assert (result.lines, result.owing_fen) == (1, 18000 + 500)
    assert (await ledger(db))[1] == (sid, "charge", 18000, "期末结算 篮球 补收")
    await pay(db, school, sid, 20000)
    assert (await settle(db, school)).paid_back_fen == 1500
    assert await balances(db, school) == {sid: 0}
    assert (await settle(db, school)).lines == 0


async def test_settle_applies_leave_refunds_and_daily_basic_care_when_configured(db: Database) -> None:
    from bot.store.care_tables import Leave

    school = await seed(db, families=1)
    await enrol(db, school)
    policy = FeePolicy(basic_daily_fen=300, refund_personal_leave=True)
    await bill(db, school, FeePolicy(basic_daily_fen=300))  # billed before leave refunds were switched on
    (sid,) = await student_ids(db)
    async with db.transaction() as s:
        s.add(
            Leave(
                student_id=sid,
                day=date(2026, 9, 4),
                reason="",
                created_by="g",
                created_at=NOW,
                message_id="m1",
            )
        )
    await settle(db, school, policy)
    assert await balances(db, school) == {sid: 8 * 2000 + 21 * 300}
    assert (await settle(db, school, policy)).lines == 0


async def test_statement_shows_the_payout(db: Database) -> None:
    school = await seed(db, families=1)
    await enrol(db, school)
    await bill(db, school)
    (sid,) = await student_ids(db)
    await pay(db, school, sid, 20000)
    await settle(db, school)
    text = (await sayer(db, NOW)(school.families[0][0], "费用")).reply.text
    assert "结算退还 20 元" in text and text.endswith("已结清")


async def test_settle_cli_twice(db: Database, capsys: pytest.CaptureFixture[str]) -> None:
    school = await seed(db, families=2)
    await enrol(db, school)
    services = bootstrap(load_settings(), clock=FixedClock(END_OF_TERM), db=db)
    for expect in ("新增 2 条(2 名学生)", "新增 0 条(0 名学生)"):
        assert (
            await cmd_fees(services, build_parser().parse_args(["fees", "settle", "--date", "2026-09-30"]))
            == 0
        )
        assert expect in capsys.readouterr().out


async def test_settle_statement_count_does_not_grow_per_student(db: Database) -> None:
    counts = []
    school = await seed(db, families=30)
    await enrol(db, school)
    await enrol(db, school, "书法")
    for n in (3, 30):
        statements: list[str] = []

        def count(*_a: object, into: list[str] = statements) -> None:
            into.append("x")

        async with db.transaction() as s:
            await s.execute(update(Student).values(active=True, basic_care=True))
            await s.execute(update(Enrollment).values(state="active"))
            await s.execute(update(Student).where(Student.id > n).values(active=False, basic_care=False))
            await s.execute(LedgerEntry.__table__.delete())
            await s.execute(update(Enrollment).where(Enrollment.student_id > n).values(state="rejected"))
        event.listen(db.engine.sync_engine, "before_cursor_execute", count)
        try:
            result = await settle(db, school, FeePolicy(basic_monthly_fen=4000, refund_personal_leave=True))
        finally:
            event.remove(db.engine.sync_engine, "before_cursor_execute", count)
        assert result.families == n
        counts.append(len(statements))
    assert counts[0] == counts[1] <= 10


async def test_concurrent_settlements_settle_once(db: Database) -> None:
    school = await seed(db, families=60)
    await enrol(db, school)
    await bill(db, school)
    for rnd in range(3):  # later rounds run on warm connections, where the runs really overlap
        async with db.transaction() as s:
            for sid in await student_ids(db):
                await store.record_payment(
                    s, school.school_id, sid, 20000, START, NOW, key=f"pay:{sid}:{rnd}"
                )
        results = await asyncio.gather(*(settle(db, school) for _ in range(4)))
        assert sorted(r.lines for r in results) == [0, 0, 0, 60]
        assert set((await balances(db, school)).values()) == {0}
