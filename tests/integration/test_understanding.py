"""Issue 13: the measured failures of understanding, through the pipeline of the demo school (Monday 2026-11-23)."""

from __future__ import annotations

from sqlalchemy import func, select

from bot.store.care_tables import Leave
from bot.store.db import Database
from bot.store.tables import AuditEntry, Student
from tests.integration.care_day import demo_services, sayer


async def writes(db: Database) -> int:
    async with db.transaction() as s:
        return int(await s.scalar(select(func.count()).select_from(AuditEntry).where(AuditEntry.actor != "roster"))
                   or 0)


async def leave_days(db: Database, name: str) -> list[str]:
    async with db.transaction() as s:
        rows = await s.scalars(
            select(Leave.day).join(Student, Student.id == Leave.student_id)
            .where(Student.name == name, Leave.cancelled_at.is_(None)).order_by(Leave.day)
        )
        return [d.isoformat() for d in rows]


# 1. A question is never a command.

async def test_questions_never_write(db: Database) -> None:
    say = sayer(await demo_services(db))
    before = await writes(db)
    for text in ["李华明天请假吗", "李华下周二请假了吗？", "请问怎么请假", "请假需要提前多久？", "今天谁来接李华呢",
                 "明天能请假么", "请假了没", "可以请假吗", "明天请假是否需要写原因", "有没有请假"]:
        out = await say("parent-li", text, (8, 0))
        assert out.command == "问答", (text, out.command, out.reply.text)
        assert "没看懂" not in out.reply.text
    assert await writes(db) == before


async def test_a_question_about_leave_answers_the_childs_status(db: Database) -> None:
    say = sayer(await demo_services(db))
    out = await say("parent-li", "李华明天请假吗", (8, 0))
    assert "李华" in out.reply.text and "没有请假" in out.reply.text and out.reply.private
    await say("parent-li", "请假 明天 看牙", (8, 1))
    out = await say("parent-li", "李华明天请假了吗?", (8, 2))
    assert "11月24日(周二)已请假" in out.reply.text and out.reply.private


async def test_how_to_questions_get_the_rule_and_an_example(db: Database) -> None:
    say = sayer(await demo_services(db))
    out = await say("parent-li", "请问怎么请假", (8, 0))
    assert "请假 明天" in out.reply.text
    out = await say("parent-li", "请假需要提前多久？", (8, 0))
    assert "托管开始前" in out.reply.text
