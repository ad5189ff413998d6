"""The principal's daily summary: the job, the 日报 command and `tuoguan report daily` share one text."""

from __future__ import annotations

from sqlalchemy import select

from bot.jobs.runner import run_job
from bot.jobs.summary import JOBS
from bot.reports import daily_summary
from bot.store.db import Database
from bot.store.outbox_tables import OutboxMessage
from tests.conftest import shanghai
from tests.integration.care_day import demo_services, sayer


async def test_summary_numbers_and_privacy(db: Database) -> None:
    services = await demo_services(db)
    say = sayer(services)
    await say("parent-li", "请假 今天 发烧", (9, 0))
    await say("teacher-li", "刘洋没来", (16, 30))
    await say("teacher-li", "陈思远 已接走", (17, 50))  # 20 minutes late
    await say("teacher-li", "全部已接走", (17, 55))
    out = await say("principal-zhao", "日报", (18, 31))
    lines = out.reply.text.splitlines()
    assert lines[0] == "全校 应到 19 实到 17 请假 1 缺席 1 晚接 7 未接 10"
    assert lines[2] == "三年级2班 应到 9 实到 7 请假 1 缺席 1 晚接 7 未接 0"
    for word in ("李华", "刘洋", "陈思远", "发烧"):
        assert word not in out.reply.text
    assert "只有" in (await say("parent-wang", "日报", (18, 31))).reply.text

    services.clock.instant = shanghai(2026, 11, 23, 18, 30)
    results = await run_job(services, JOBS[0], shanghai(2026, 11, 23, 18, 30))
    assert results[0].status == "done"
    async with db.transaction() as s:
        pushes = (await s.scalars(select(OutboxMessage).where(OutboxMessage.key.startswith("daily-summary")))).all()
        text = await daily_summary(s, 1, shanghai(2026, 11, 23, 18).date())
    assert len(pushes) == 1 and pushes[0].staff_id is not None and pushes[0].state == "private"
    assert pushes[0].text == text
