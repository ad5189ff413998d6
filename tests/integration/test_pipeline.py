"""The message pipeline end to end on a real database: identify, parse, answer, never a stack trace."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime

import pytest

from bot.bootstrap import bootstrap
from bot.clock import FixedClock
from bot.domain.messages import IncomingMessage, Platform, Reply
from bot.handlers.registry import CommandSpec, CommandTable, keyword_parser
from bot.pipeline import Outcome
from bot.settings import load_settings
from bot.store.db import Database
from bot.store.tables import AuditEntry, School
from tests.conftest import shanghai
from tests.integration.seed import seed_tiny_school

NOW = shanghai(2026, 11, 23, 16, 30)
Say = Callable[..., Awaitable[Outcome]]


@pytest.fixture
async def say(db: Database) -> Say:
    await seed_tiny_school(db)
    services = bootstrap(load_settings(), clock=FixedClock(NOW), db=db)
    counter = iter(range(1, 10_000))

    async def _say(user: str, text: str, chat: str = "chat-3-2") -> Outcome:
        msg = IncomingMessage(
            platform=Platform.WECOM,
            chat_id=chat,
            sender_id=user,
            text=text,
            message_id=f"m{next(counter)}",
            received_at=NOW,
        )
        return await services.pipeline.handle_message(msg)

    return _say


async def test_guardian_whoami_lists_children(say: Say) -> None:
    out = await say("parent-liu", "@托管助手 查询")
    assert "刘芳" in out.reply.text
    assert "王小明(三年级2班,母亲,可接送)" in out.reply.text
    assert "王小红(五年级1班" in out.reply.text


async def test_teacher_and_principal_whoami(say: Say) -> None:
    teacher = await say("teacher-li", "查询")
    assert "李老师" in teacher.reply.text and "三年级2班 班主任" in teacher.reply.text
    principal = await say("principal-zhao", "查询")
    assert "全校 校长" in principal.reply.text


async def test_unknown_sender_gets_binding_hint_and_no_data(say: Say) -> None:
    out = await say("stranger", "查询")
    private = ("王小红", "三年级2班", "刘芳", "13800001111")
    assert "绑定" in out.reply.text
    assert not any(word in out.reply.text for word in private)
    out = await say("stranger", "随便说点什么")
    assert "绑定" in out.reply.text and not any(word in out.reply.text for word in private)


async def test_help_is_generated_from_the_table(say: Say) -> None:
    out = await say("parent-liu", "帮助")
    assert "帮助" in out.reply.text and "查询" in out.reply.text


async def test_unknown_text_gets_closest_command(say: Say) -> None:
    out = await say("parent-liu", "查寻")
    assert "没看懂" in out.reply.text
    assert "查询" in out.reply.text and "帮助" in out.reply.text


async def test_empty_message_gets_a_hint(say: Say) -> None:
    out = await say("parent-liu", "@托管助手   ")
    assert "帮助" in out.reply.text


async def test_handler_crash_rolls_back_and_answers_in_chinese(db: Database) -> None:
    await seed_tiny_school(db)

    async def explode(ctx, args):  # type: ignore[no-untyped-def]
        ctx.uow.session.add(School(name="不应写入"))  # a write the crash must roll back
        ctx.audit("boom")
        await ctx.uow.flush()
        raise RuntimeError("handler bug")

    services = bootstrap(load_settings(), clock=FixedClock(NOW), db=db)
    services.pipeline.table = CommandTable(
        [CommandSpec("爆炸", "爆炸", "测试", "爆炸", ("爆炸",), keyword_parser("爆炸"), explode)]
    )
    msg = IncomingMessage(Platform.WECOM, "chat-3-2", "parent-liu", "爆炸", "m-x", NOW)
    out = await services.pipeline.handle_message(msg)
    assert "出了问题" in out.reply.text
    assert "Traceback" not in out.reply.text and "handler bug" not in out.reply.text
    from sqlalchemy import func, select

    async with db.transaction() as s:
        assert await s.scalar(select(func.count()).select_from(School).where(School.name == "不应写入")) == 0
        assert await s.scalar(select(func.count()).select_from(AuditEntry)) == 0


async def test_role_check_refuses_guardian_on_staff_command(db: Database) -> None:
    await seed_tiny_school(db)

    async def ok(ctx, args):  # type: ignore[no-untyped-def]
        return Reply("done")

    from bot.handlers.registry import STAFF

    services = bootstrap(load_settings(), clock=FixedClock(NOW), db=db)
    services.pipeline.table = CommandTable(
        [CommandSpec("点名", "点名", "测试", "点名", ("点名",), keyword_parser("点名"), ok, roles=STAFF)]
    )
    msg = IncomingMessage(Platform.WECOM, "chat-3-2", "parent-liu", "点名", "m-y", NOW)
    out = await services.pipeline.handle_message(msg)
    assert "只有" in out.reply.text and "班主任" in out.reply.text and out.reply.text != "done"
    msg = IncomingMessage(Platform.WECOM, "chat-3-2", "teacher-li", "点名", "m-z", NOW)
    assert (await services.pipeline.handle_message(msg)).reply.text == "done"


def test_now_is_aware() -> None:
    assert isinstance(NOW, datetime) and NOW.tzinfo is not None


async def test_each_message_logs_its_id_command_and_duration(
    say: Say, caplog: pytest.LogCaptureFixture
) -> None:
    import logging

    from bot.bootstrap import KeyValueFormatter

    caplog.set_level(logging.INFO, logger="bot.pipeline")
    await say("parent-liu", "查询")
    record = next(r for r in caplog.records if r.getMessage() == "message handled")
    line = KeyValueFormatter("%(message)s").format(record)
    assert "message_id=m1" in line and "command=查询" in line and "outcome=ok" in line
    assert "duration_ms=" in line


async def test_a_replayed_message_is_answered_the_same_and_not_run_again(db: Database) -> None:
    import asyncio

    from sqlalchemy import func, select

    from bot.store.care_tables import Leave
    from tests.integration.care_day import demo_services

    services = await demo_services(db)
    msg = IncomingMessage(Platform.WECOM, "demo-3-2", "parent-li", "请假 明天 发烧", "wx-msg-1", NOW)
    first = await services.pipeline.handle_message(msg)
    again = await services.pipeline.handle_message(msg)
    assert again.reply == first.reply and again.result == "duplicate" and again.pushes == []
    # Two copies racing in at once: one runs, the other gets the same answer.
    msg2 = IncomingMessage(Platform.WECOM, "demo-3-2", "parent-li", "请假 后天", "wx-msg-2", NOW)
    a, b = await asyncio.gather(
        services.pipeline.handle_message(msg2), services.pipeline.handle_message(msg2)
    )
    assert a.reply == b.reply and sorted([a.result, b.result]) == ["duplicate", "ok"]
    async with db.transaction() as s:
        assert await s.scalar(select(func.count()).select_from(Leave)) == 2


async def test_concurrent_messages_about_the_same_fact_both_succeed(db: Database) -> None:
    import asyncio

    from sqlalchemy import func, select

    from bot.store.care_tables import Leave
    from tests.integration.care_day import demo_services

    services = await demo_services(db)
    msgs = [
        IncomingMessage(Platform.WECOM, "demo-3-2", "parent-li", "请假 明天", f"same-fact-{i}", NOW)
        for i in range(6)
    ]
    outcomes = await asyncio.gather(*(services.pipeline.handle_message(m) for m in msgs))
    assert all("已为李华请假" in o.reply.text for o in outcomes), [o.reply.text for o in outcomes]
    async with db.transaction() as s:
        assert await s.scalar(select(func.count()).select_from(Leave)) == 1
