"""Billing a term: per-session charges, school cancellations refunded, leave not, payments, 多退少补, no N+1."""

from __future__ import annotations

from datetime import date

from sqlalchemy import event, select, update

from bot.domain.fees import FeePolicy
from bot.store import fees as store
from bot.store.db import Database
from bot.store.enroll_tables import Enrollment, LedgerEntry, SessionCancellation
from bot.store.tables import Student
from tests.conftest import shanghai
from tests.integration.enroll_factory import EnrollSchool, sayer, seed

NOW = shanghai(2026, 9, 2, 9, 0)
START, END = date(2026, 9, 1), date(2026, 9, 30)  # 篮球 Wed+Fri: 9 sessions in September 2026 on workdays


def weekdays(d: date) -> bool:
    return d.weekday() < 5


async def enrol_all(db: Database, school: EnrollSchool, course: str = "篮球") -> None:
    async with db.transaction() as s:
        for _, name, gid in school.families:
            sid = (await s.execute(select(Student.id).where(Student.name == name))).scalar_one()
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


async def bill(db: Database, school: EnrollSchool, policy: FeePolicy | None = None) -> store.BillResult:
    async with db.transaction() as s:
        return await store.bill_term(s, school.school_id, START, END, NOW, policy or FeePolicy(), weekdays)


async def test_charges_refunds_and_idempotence(db: Database) -> None:
    school = await seed(db, families=2)
    await enrol_all(db, school)
    async with db.transaction() as s:
        s.add(SessionCancellation(course_id=school.course_ids["篮球"], day=date(2026, 9, 2), reason="运动会"))
    result = await bill(db, school)
    assert result.charged_fen == 2 * 9 * 2000 and result.refunded_fen == 2 * 2000 and result.lines == 4
    again = await bill(db, school)
    assert again.lines == 0
    async with db.transaction() as s:
        kinds = sorted((e.kind, e.fen) for e in (await s.execute(select(LedgerEntry))).scalars())
    assert kinds == [("charge", 18000), ("charge", 18000), ("refund", 2000), ("refund", 2000)]


async def test_leave_is_not_refunded_and_basic_care_flat_fee(db: Database) -> None:
    school = await seed(db, families=1)
    await enrol_all(db, school)
    result = await bill(db, school, FeePolicy(basic_monthly_fen=4000))
    assert result.charged_fen == 9 * 2000 + 4000 and result.refunded_fen == 0


async def test_withdrawn_or_waitlisted_are_not_billed(db: Database) -> None:
    school = await seed(db, families=2)
    await enrol_all(db, school)
    async with db.transaction() as s:
        await s.execute(update(Enrollment).where(Enrollment.id == 1).values(state="waitlist"))
    assert (await bill(db, school)).charged_fen == 9 * 2000


async def test_payment_statement_is_private_and_settles(db: Database) -> None:
    school = await seed(db, families=1)
    await enrol_all(db, school)
    await bill(db, school)
    say = sayer(db, NOW)
    user, child, _ = school.families[0]
    out = await say("teacher-li", f"缴费 {child} 160")
    assert out.reply.private and "160 元" in out.reply.text
    out = await say(user, "费用")
    assert out.reply.private
    assert (
        "应缴 180 元" in out.reply.text
        and "已缴 160 元" in out.reply.text
        and "应补缴 20 元" in out.reply.text
    )
    await say("teacher-li", f"缴费 {child} 30")
    assert "应退还 10 元" in (await say(user, "费用")).reply.text
    assert (await say(user, f"缴费 {child} 30")).result == "not_allowed"
    assert (await say("teacher-li", "缴费 没这人 30")).reply.private


async def test_billing_statement_count_does_not_grow_per_student(db: Database) -> None:
    school = await seed(db, families=40)
    few = EnrollSchool(school.school_id, school.class_id, school.course_ids, school.families[:4])
    rest = EnrollSchool(school.school_id, school.class_id, school.course_ids, school.families[4:])
    counts = []
    for part, start, end in ((few, START, END), (rest, date(2026, 10, 1), date(2026, 10, 31))):
        await enrol_all(db, part)
        statements: list[str] = []

        def count(*a: object, into: list[str] = statements) -> None:
            into.append("x")

        event.listen(db.engine.sync_engine, "before_cursor_execute", count)
        try:
            async with db.transaction() as s:
                await store.bill_term(
                    s, school.school_id, start, end, NOW, FeePolicy(basic_monthly_fen=4000), weekdays
                )
        finally:
            event.remove(db.engine.sync_engine, "before_cursor_execute", count)
        counts.append(len(statements))
    assert counts[0] == counts[1] <= 9  # incl. the ledger lock
