"""Refund cases and basic-care billing: school-cancelled sessions (CLI), personal leave, month or term."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from sqlalchemy import select

from bot.bootstrap import bootstrap
from bot.cli.enroll import cmd_course
from bot.cli.fees import cmd_fees
from bot.cli.main import build_parser
from bot.clock import FixedClock
from bot.domain.fees import FeePolicy
from bot.settings import load_settings
from bot.store import fees as store
from bot.store.care_tables import Leave
from bot.store.db import Database
from bot.store.enroll_tables import Enrollment, LedgerEntry
from bot.store.outbox_tables import OutboxMessage
from bot.store.tables import Student
from tests.conftest import shanghai
from tests.integration.enroll_factory import EnrollSchool, seed

NOW = shanghai(2026, 9, 2, 9, 0)
START, END = date(2026, 9, 1), date(2026, 12, 31)
GOLDEN_WEEK = {date(2026, 10, d) for d in range(1, 8)}


def care_day(d: date) -> bool:
    """Weekdays except the national-day week and all of December (a month without care)."""
    return d.weekday() < 5 and d not in GOLDEN_WEEK and d.month != 12


async def enrol(
    db: Database, school: EnrollSchool, families: slice = slice(None), at: datetime = NOW
) -> None:
    async with db.transaction() as s:
        for _, name, gid in school.families[families]:
            sid = (await s.execute(select(Student.id).where(Student.name == name))).scalar_one()
            s.add(
                Enrollment(
                    course_id=school.course_ids["篮球"],
                    student_id=sid,
                    guardian_id=gid,
                    state="active",
                    applied_at=at,
                    updated_at=at,
                    round=1,
                )
            )


async def lines(db: Database, kind: str | None = None) -> list[tuple[str, int, str]]:
    async with db.transaction() as s:
        q = select(LedgerEntry.kind, LedgerEntry.fen, LedgerEntry.key).order_by(LedgerEntry.id)
        if kind:
            q = q.where(LedgerEntry.kind == kind)
        return [tuple(r) for r in (await s.execute(q)).all()]  # type: ignore[misc]


async def run(db: Database, *argv: str) -> int:
    services = bootstrap(load_settings(), clock=FixedClock(NOW), db=db)
    args = build_parser().parse_args(list(argv))
    return await (cmd_course if argv[0] == "course" else cmd_fees)(services, args)


async def test_cancel_session_refunds_everyone_charged_once(
    db: Database, capsys: pytest.CaptureFixture[str]
) -> None:
    school = await seed(db, families=3)
    await enrol(db, school, slice(0, 2))
    assert await run(db, "fees", "bill", "--date", "2026-09-02") == 0
    await enrol(db, school, slice(2, 3))  # enrolled after billing: not charged, so nothing to refund yet
    capsys.readouterr()
    assert await run(db, "course", "cancel-session", "篮球", "2026-09-09", "--reason", "运动会") == 0
    assert "退费 2 人 共 40 元,通知 3 位家长" in capsys.readouterr().out
    refunds = await lines(db, "refund")
    assert [(k, f) for k, f, _ in refunds] == [("refund", 2000), ("refund", 2000)]
    assert all(key.startswith("refund:school:") and key.endswith(":2026-09-09") for _, _, key in refunds)
    async with db.transaction() as s:
        pushes = list((await s.execute(select(OutboxMessage.key, OutboxMessage.text))).all())
    assert len(pushes) == 3 and sum("费用将退还" in t for _, t in pushes) == 2
    assert all("元" not in t for _, t in pushes)  # no amounts in the notice

    assert await run(db, "course", "cancel-session", "篮球", "2026-09-09") == 0
    assert "此前已记录" in (out := capsys.readouterr().out) and "退费 0 人" in out
    assert (
        await run(db, "fees", "bill", "--date", "2026-09-02") == 0
    )  # bills the third child, refunds the day
    refunds = await lines(db, "refund")
    assert len(refunds) == 3 and len({key for _, _, key in refunds}) == 3
    async with db.transaction() as s:
        assert len(list((await s.execute(select(OutboxMessage.id))).scalars())) == 3


@pytest.mark.parametrize(("day", "why"), [("2026-09-08", "星期不符"), ("2026-10-02", "法定节假日")])
async def test_cancel_session_only_on_a_session_day(
    db: Database, capsys: pytest.CaptureFixture[str], day: str, why: str
) -> None:
    await seed(db, families=1)
    assert await run(db, "course", "cancel-session", "篮球", day) == 1
    assert "不是「篮球」的上课日" in (out := capsys.readouterr().out) and why in out
    assert await lines(db) == []


async def test_school_cancellation_not_refunded_when_configured_off(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TUOGUAN_FEES__REFUND_SCHOOL_CANCELLED", "false")
    school = await seed(db, families=1)
    await enrol(db, school)
    await run(db, "fees", "bill", "--date", "2026-09-02")
    assert await run(db, "course", "cancel-session", "篮球", "2026-09-09") == 0
    assert await lines(db, "refund") == []


async def add_leave(db: Database, day: date, *, late: bool = False, cancelled: bool = False) -> None:
    async with db.transaction() as s:
        sid = (await s.execute(select(Student.id).order_by(Student.id))).scalars().first()
        s.add(
            Leave(
                student_id=sid,
                day=day,
                reason="病假",
                late_notice=late,
                created_by="guardian:1",
                created_at=NOW,
                message_id=f"m-{day}",
                cancelled_at=NOW if cancelled else None,
            )
        )


async def bill(db: Database, policy: FeePolicy, through: date | None = None) -> store.BillResult:
    async with db.transaction() as s:
        return await store.bill_term(s, 1, START, END, NOW, policy, care_day, through=through)


async def test_personal_leave_refunded_only_when_configured(db: Database) -> None:
    school = await seed(db, families=1)
    await enrol(db, school)
    await add_leave(db, date(2026, 9, 9))  # a session day, notified in time
    await add_leave(db, date(2026, 9, 11), late=True)  # after care started: not counted
    await add_leave(db, date(2026, 9, 16), cancelled=True)  # 销假
    await add_leave(db, date(2026, 9, 8))  # Tuesday: no 篮球 session
    assert (await bill(db, FeePolicy())).refunded_fen == 0
    result = await bill(db, FeePolicy(refund_personal_leave=True))
    assert result.refunded_fen == 2000 and result.lines == 1
    assert [key for _, _, key in await lines(db, "refund")] == ["refund:leave:1:2026-09-09"]


async def test_basic_care_by_month_as_months_begin(db: Database) -> None:
    school = await seed(db, families=2)
    policy = FeePolicy(basic_monthly_fen=4000)
    assert (await bill(db, policy, through=date(2026, 9, 15))).charged_fen == 2 * 4000
    assert (await bill(db, policy, through=date(2026, 9, 30))).lines == 0
    assert (await bill(db, policy, through=date(2026, 10, 1))).charged_fen == 2 * 4000
    rest = await bill(db, policy)  # November; December has no care day and is never charged
    assert rest.charged_fen == 2 * 4000 and rest.lines == 2
    keys = sorted(key for _, _, key in await lines(db))
    assert keys[:3] == [
        "basic:2026-09-01:1:2026-09",
        "basic:2026-09-01:1:2026-10",
        "basic:2026-09-01:1:2026-11",
    ]
    assert school.families and len(keys) == 6


async def test_basic_care_by_term_and_per_actual_care_day(db: Database) -> None:
    await seed(db, families=1)
    term = FeePolicy(basic_monthly_fen=4000, basic_billing="term")
    result = await bill(db, term, through=date(2026, 9, 2))
    assert result.lines == 1 and result.charged_fen == 3 * 4000
    daily = FeePolicy(basic_daily_fen=300, basic_billing="term", refund_personal_leave=True)
    async with db.transaction() as s:
        await s.execute(LedgerEntry.__table__.delete())
    await add_leave(db, date(2026, 9, 9))
    result = await bill(db, daily)
    # September 22 weekdays, October 22 minus 5 golden-week weekdays, November 21: 60 care days
    assert result.charged_fen == 60 * 300 and result.refunded_fen == 300


async def test_a_child_joining_mid_term_pays_from_the_day_applied(db: Database) -> None:
    school = await seed(db, families=2)
    await enrol(db, school, slice(0, 1))
    await enrol(db, school, slice(1, 2), at=shanghai(2026, 11, 18, 20, 0))  # Wednesday evening
    result = await bill(db, FeePolicy())
    # 篮球 Wed+Fri: September 9, October 7 (2nd and 7th off), November 8; the late joiner Nov 18-27: 4
    assert result.charged_fen == (9 + 7 + 8) * 2000 + 4 * 2000
