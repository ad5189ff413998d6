"""同意协议 / 已买学平险 / 协议, the agreement-check job and `tuoguan report agreements`, on the demo school
(no term entered: the default Sep-Jan term), on SQLite and PostgreSQL."""

from __future__ import annotations

import argparse
from datetime import date, datetime
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy import select, update

from bot.bootstrap import Services
from bot.cli.jobs import cmd_report_agreements as cmd_agreements
from bot.demo import CHAT_51
from bot.jobs import build_jobs
from bot.jobs.runner import run_job
from bot.store.agreement_tables import TermAgreement
from bot.store.calendar import add_entry, school_ids
from bot.store.db import Database
from bot.store.outbox_tables import OutboxMessage
from bot.store.tables import Staff, Student
from tests.conftest import shanghai
from tests.integration.care_day import demo_services, sayer

JOBS = {spec.name: spec for spec in build_jobs()}
AUTUMN = date(2026, 9, 1)


async def recorded(db: Database, term_start: date = AUTUMN) -> dict[str, tuple[bool, bool]]:
    """Child name -> (agreed, insured) for the term."""
    async with db.transaction() as s:
        rows = (
            await s.execute(
                select(Student.name, TermAgreement.agreed_at, TermAgreement.insured_at)
                .join(TermAgreement, TermAgreement.student_id == Student.id)
                .where(TermAgreement.term_start == term_start)
            )
        ).all()
    return {r[0]: (r[1] is not None, r[2] is not None) for r in rows}


async def outbox(db: Database, prefix: str) -> list[OutboxMessage]:
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


async def staff_id(db: Database, name: str) -> int:
    async with db.transaction() as s:
        found = await s.scalar(select(Staff.id).where(Staff.name == name))
    assert found is not None
    return found


async def fire(services: Services, name: str, at: datetime) -> str:
    services.clock.instant = at  # type: ignore[attr-defined]
    return str((await run_job(services, JOBS[name], at))[0].detail)


async def test_guardian_agrees_for_all_children_or_the_one_named_privately(db: Database) -> None:
    services = await demo_services(db)
    say = sayer(services)
    out = await say("parent-wang", "@托管助手 同意协议", (9, 0))
    assert out.command == "同意协议" and out.reply.private
    assert "王小明、王小红" in out.reply.text and "学平险" in out.reply.text
    private = await outbox(db, "private-reply:")
    assert private[-1].guardian_id is not None and "王小明、王小红" in private[-1].text
    insured = await say("parent-wang-dad", "已买学平险 王小明", (9, 5))
    assert (
        insured.command == "已买学平险"
        and "王小明" in insured.reply.text
        and "王小红" not in insured.reply.text
    )
    assert await recorded(db) == {"王小明": (True, True), "王小红": (True, False)}

    again = await say("parent-wang", "同意协议", (9, 6))
    assert "已经登记过" in again.reply.text
    other = await say("parent-wang", "同意协议 李华", (9, 7))  # not their child: nothing written
    assert other.reply.refused and "王小明" in other.reply.text
    teacher = await say("teacher-li", "同意协议", (9, 8))
    assert teacher.result == "not_allowed"
    question = await say("parent-li", "学平险在哪里买?", (9, 9))
    assert question.command == "协议" and "已买学平险" in question.reply.text
    assert set(await recorded(db)) == {"王小明", "王小红"}


async def test_received_and_agree_in_one_reply_also_confirms_the_open_notice(db: Database) -> None:
    from bot.store.notice_tables import NoticeTarget

    services = await demo_services(db)
    say = sayer(services)
    await say("teacher-li", "通知 本学期托管协议已发,请家长私信回复同意协议", (8, 30))
    out = await say("parent-li", "收到,同意协议", (9, 0))
    assert out.command == "同意协议" and "确认收到通知" in out.reply.text
    async with db.transaction() as s:
        confirmed = (
            await s.scalars(select(NoticeTarget.confirmed_by).where(NoticeTarget.confirmed_at.is_not(None)))
        ).all()
    assert len(confirmed) == 1
    assert await recorded(db) == {"李华": (True, False)}


async def test_agreement_text_from_config_on_request(db: Database) -> None:
    from bot.settings import load_settings

    settings = load_settings()
    settings.notices.agreement_text = "《本校托管协议》第一条: 测试条款"
    services = await demo_services(db, settings)
    out = await sayer(services)("parent-li", "协议", (9, 0))
    assert out.command == "协议" and out.reply.private and "第一条: 测试条款" in out.reply.text
    assert "同意协议" in out.reply.text and await recorded(db) == {}


async def test_agreement_check_weekly_lists_the_missing_to_each_head_teacher(db: Database) -> None:
    services = await demo_services(db)
    say = sayer(services)
    await say("parent-wang", "同意协议", (9, 0))
    await say("parent-wang", "已买学平险", (9, 1))
    await say("parent-li", "同意协议", (9, 2))
    detail = await fire(services, "agreement-check", shanghai(2026, 11, 30, 8, 10))  # Monday
    assert "提醒 2 位班主任" in detail
    pushes = await outbox(db, "agreement-check:")
    li, chen = await staff_id(db, "李梅"), await staff_id(db, "陈刚")
    assert sorted(p.staff_id for p in pushes if p.staff_id is not None) == sorted([li, chen])
    assert all(p.chat_ref is None and p.guardian_id is None for p in pushes)
    class32 = next(p.text for p in pushes if p.staff_id == li)
    assert "李华: 未登记学平险" in class32 and "张一一: 未同意协议、未登记学平险" in class32
    assert "王小明" not in class32 and "王小红" not in class32 and "孙浩然" not in class32
    class51 = next(p.text for p in pushes if p.staff_id == chen)
    assert "孙浩然" in class51 and "王小红" not in class51
    assert "不是" in await fire(services, "agreement-check", shanghai(2026, 12, 1, 8, 10))  # Tuesday


async def test_agreement_check_before_a_new_term_and_agreeing_before_it(db: Database) -> None:
    services = await demo_services(db)
    async with db.transaction() as s:
        school = (await school_ids(s))[0]
        await add_entry(s, school, "term", date(2026, 9, 1), date(2027, 1, 29), "秋季")
        await add_entry(s, school, "term", date(2027, 2, 22), date(2027, 7, 9), "春季")
    say = sayer(services)
    await say("parent-li", "同意协议", (9, 0))  # the autumn term: says nothing about spring
    services.clock.instant = shanghai(2027, 2, 18, 20)  # type: ignore[attr-defined]
    from bot.domain.messages import IncomingMessage, Platform

    msg = IncomingMessage(Platform.WECOM, CHAT_51, "parent-sun", "同意协议", "m-spring", services.clock.now())
    assert "2027年春季学期" in (await services.pipeline.handle_message(msg)).reply.text
    detail = await fire(services, "agreement-check", shanghai(2027, 2, 19, 8, 10))  # Friday before the term
    assert "2027年春季学期" in detail
    texts = "\n".join(p.text for p in await outbox(db, "agreement-check:2027-02-22:2027-02-19"))
    assert "即将开始" in texts and "李华: 未同意协议" in texts and "孙浩然: 未登记学平险" in texts
    assert await recorded(db, date(2027, 2, 22)) == {"孙浩然": (True, False)}


async def test_report_agreements_per_class_and_xlsx(
    db: Database, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    services = await demo_services(db)
    say = sayer(services)
    await say("parent-wang", "同意协议", (9, 0))
    await say("parent-wang", "已买学平险", (9, 1))
    await say("parent-li", "已买学平险", (9, 2))
    async with db.transaction() as s:
        await s.execute(update(Student).where(Student.name == "刘洋").values(name='=HYPERLINK("x")'))
    out = tmp_path / "agreements.xlsx"
    assert await cmd_agreements(services, argparse.Namespace(date=None, out=out)) == 0
    printed = capsys.readouterr().out
    assert "三年级2班: 参加托管" in printed and "已同意协议 1,已登记学平险 2,已办齐 1" in printed
    assert "五年级1班: 参加托管 10 名,已同意协议 1,已登记学平险 1,已办齐 1" in printed
    wb = load_workbook(out)
    assert wb.sheetnames[:3] == ["汇总", "三年级2班", "五年级1班"]
    rows = {r[1]: r for r in wb["三年级2班"].iter_rows(min_row=2, values_only=True)}
    assert rows["王小明"][2] == "已同意" and rows["王小明"][4] == "已登记"
    assert rows["李华"][2] == "未同意" and rows["李华"][4] == "已登记"
    formula = next(c for row in wb["三年级2班"].iter_rows() for c in row if c.value == '=HYPERLINK("x")')
    assert formula.data_type == "s" and formula.quotePrefix
