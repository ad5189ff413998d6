"""fee-notice: the issue-day group notice (no amounts) and private statements, then a reminder only to those owing."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import select

from bot.jobs.fees import JOBS
from bot.jobs.runner import run_job
from bot.store.db import Database
from bot.store.enroll_tables import LedgerEntry
from bot.store.outbox_tables import OutboxMessage
from bot.store.tables import Guardian, Student
from tests.conftest import shanghai
from tests.integration.care_day import demo_services

(FEE_NOTICE,) = JOBS
TERM = date(2026, 9, 1)  # the demo sets no term dates: Sep-Jan by default


async def ledger(db: Database, student: str, kind: str, fen: int, at: datetime, key: str) -> None:
    async with db.transaction() as s:
        student_id, school_id = (
            await s.execute(select(Student.id, Student.school_id).where(Student.name == student))
        ).one()
        s.add(
            LedgerEntry(
                school_id=school_id,
                student_id=student_id,
                course_id=None,
                term_start=TERM,
                kind=kind,
                fen=fen,
                note="",
                at=at,
                key=key,
            )
        )


async def pushes(db: Database, prefix: str) -> list[OutboxMessage]:
    async with db.transaction() as s:
        return list(
            (
                await s.scalars(
                    select(OutboxMessage)
                    .where(OutboxMessage.key.startswith(prefix))
                    .order_by(OutboxMessage.id)
                )
            ).all()
        )


async def guardian_ids(db: Database) -> dict[str, int]:
    async with db.transaction() as s:
        return {name: gid for gid, name in (await s.execute(select(Guardian.id, Guardian.name))).all()}


async def fire(services: Any, at: datetime) -> str:
    services.clock.instant = at
    return str((await run_job(services, FEE_NOTICE, at))[0].detail)


async def test_issue_notice_then_reminder_to_those_still_owing(db: Database) -> None:
    services = await demo_services(db)
    g = await guardian_ids(db)
    assert await fire(services, shanghai(2026, 11, 20, 10)) == "本学期尚未出账"
    issued = shanghai(2026, 11, 23, 9, 30)
    await ledger(db, "王小明", "charge", 18000, issued, "c1")
    await ledger(db, "王小红", "charge", 9000, issued, "c2")
    await ledger(db, "李华", "charge", 18000, issued, "c3")
    await ledger(db, "李华", "payment", 18000, issued, "p3")  # paid already: left alone
    await ledger(db, "刘洋", "charge", 5000, issued, "c4")
    await ledger(db, "杨雨涵", "charge", 5000, issued, "c5")  # guardian without a platform account

    detail = await fire(services, shanghai(2026, 11, 23, 10))
    assert "欠费 4 名" in detail and "电话联系 1 名" in detail
    first = await pushes(db, "fee-notice:2026-09-01:issued")
    private = {p.guardian_id: p.text for p in first if p.guardian_id}
    assert set(private) == {g["刘芳"], g["王建"], g["刘伟"]}  # not 李强 (paid), not 刘小姨 (no account)
    assert "王小明、王小红" in private[g["刘芳"]] and "尚需缴纳 270 元" in private[g["刘芳"]]
    assert "12月7日" in private[g["刘芳"]]  # due 14 days after issue
    group = [p for p in first if p.chat_ref]
    assert len(group) == 2
    for notice in group:
        assert "元" not in notice.text and "王" not in notice.text and "12月7日" in notice.text

    assert (await fire(services, shanghai(2026, 11, 24, 10))).startswith("出账通知")
    assert len(await pushes(db, "fee-notice")) == len(first)  # the next day adds nothing

    await ledger(db, "王小明", "payment", 18000, shanghai(2026, 12, 1, 15), "p1")
    assert (await fire(services, shanghai(2026, 12, 4, 10))).startswith("截止前提醒")
    reminders = await pushes(db, "fee-notice:2026-09-01:reminder")
    assert not [p for p in reminders if p.chat_ref]  # no second group notice
    texts = {p.guardian_id: p.text for p in reminders}
    assert set(texts) == {g["刘芳"], g["王建"], g["刘伟"]}
    assert (
        "王小红" in texts[g["刘芳"]]
        and "王小明" not in texts[g["刘芳"]]
        and "尚需缴纳 90 元" in texts[g["刘芳"]]
    )
    assert (await fire(services, shanghai(2026, 12, 7, 10))).startswith("今天无缴费通知")


async def test_weekend_issue_waits_for_the_next_school_day(db: Database) -> None:
    services = await demo_services(db)
    await ledger(db, "王小明", "charge", 18000, shanghai(2026, 11, 21, 9), "c1")  # a Saturday
    services.clock.instant = shanghai(2026, 11, 21, 10)
    skipped = await run_job(services, FEE_NOTICE, shanghai(2026, 11, 21, 10))
    assert skipped[0].status == "skipped"
    assert (await fire(services, shanghai(2026, 11, 23, 10))).startswith("出账通知")
    assert await pushes(db, "fee-notice:2026-09-01:issued")
