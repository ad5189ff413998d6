"""A notice end to end: a head teacher's 通知 through the pipeline, the outbox worker posting it to a local
fake WeCom group robot, a family's 收到, and the notice-reminder job @-mentioning only the unconfirmed."""

from __future__ import annotations

from typing import Any

import aiohttp
from sqlalchemy import select

from bot.bootstrap import bootstrap
from bot.clock import FixedClock
from bot.demo import CHAT_32, load_demo
from bot.domain.messages import IncomingMessage, Platform
from bot.jobs.notices import JOBS
from bot.jobs.runner import run_job
from bot.metrics import Metrics
from bot.outbox.worker import OutboxWorker
from bot.settings import load_settings
from bot.store.db import Database
from bot.store.tables import Chat
from tests.conftest import shanghai
from tests.fakes.platforms import FakePlatforms

(REMINDER,) = JOBS
NAMES = ("王小明", "李华", "张一一", "刘洋", "陈思远", "杨雨涵", "赵子轩", "黄欣怡", "周博文", "吴佳琪")


async def test_a_notice_through_the_outbox_then_a_reminder_to_the_unconfirmed(
    db: Database, aiohttp_server: Any
) -> None:
    clock = FixedClock(shanghai(2026, 11, 23, 9, 0))
    fake = FakePlatforms(clock, wecom_keys={"key-32", "key-51"})
    server = await aiohttp_server(fake.app())
    base = str(server.make_url("")).rstrip("/")
    settings = load_settings(wecom={"api_base": base})
    await load_demo(db, settings, clock)
    async with db.transaction() as s:
        for chat in (await s.scalars(select(Chat).order_by(Chat.id))).all():
            chat.webhook = "key-32" if chat.chat_id == CHAT_32 else "key-51"
    services = bootstrap(settings, clock=clock, db=db)
    http = aiohttp.ClientSession()
    try:
        worker = OutboxWorker(db, settings, clock, http, Metrics(), instance="w1")

        async def say(user: str, text: str, n: int) -> str:
            msg = IncomingMessage(Platform.WECOM, CHAT_32, user, text, f"e2e-{n}", clock.now())
            return (await services.pipeline.handle_message(msg)).reply.text

        assert "应确认 10 名" in await say("teacher-li", "通知 周五下午3点开家长会", 1)
        await worker.run_once()
        (posted,) = fake.received["key-32"]
        content = posted["text"]["content"]
        assert content.startswith("【通知】周五下午3点开家长会") and "@托管助手 收到" in content
        assert fake.received["key-51"] == []  # another class's group hears nothing

        clock.instant = shanghai(2026, 11, 23, 10, 0)
        assert await say("parent-li", "收到", 2) == "已确认收到通知,谢谢您!"
        assert await say("parent-chen", "收到了,谢谢老师", 3) == "已确认收到通知,谢谢您!"

        at = shanghai(2026, 11, 24, 8, 0)
        clock.instant = at
        (result,) = await run_job(services, REMINDER, at)
        assert result.status == "done" and "提醒 1 个班群" in result.detail
        clock.advance(seconds=5)
        await worker.run_once()
        reminder = fake.received["key-32"][-1]["text"]
        assert reminder["content"].startswith("【通知提醒】11月23日的通知「周五下午3点开家长会」")
        assert set(reminder["mentioned_list"]) == {
            "parent-wang",
            "parent-wang-dad",
            "parent-zhang-dad",
            "parent-zhang-grandma",
            "parent-liu",
        }
        assert (
            "parent-li" not in reminder["mentioned_list"] and "parent-chen" not in reminder["mentioned_list"]
        )
        for body in fake.received["key-32"]:
            assert not any(name in body["text"]["content"] for name in NAMES)
    finally:
        await http.close()
