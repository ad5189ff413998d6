"""housekeeping: handled message ids older than the dedupe window are pruned, recent ones kept (and still dedupe)."""

from __future__ import annotations

from sqlalchemy import select

from bot.demo import CHAT_32
from bot.domain.messages import IncomingMessage, Platform
from bot.jobs.housekeeping import JOBS
from bot.jobs.runner import run_job
from bot.store.care_tables import Leave
from bot.store.db import Database
from bot.store.inbound_tables import ProcessedMessage
from tests.conftest import shanghai
from tests.integration.care_day import demo_services

(HOUSEKEEPING,) = JOBS


async def test_prunes_only_old_message_ids(db: Database) -> None:
    services = await demo_services(db)
    for msg_id, day in (("old", 10), ("recent", 20)):
        services.clock.instant = shanghai(2026, 11, day, 9)
        msg = IncomingMessage(Platform.WECOM, CHAT_32, "parent-li", "查询", msg_id, services.clock.instant)
        await services.pipeline.handle_message(msg)
    services.clock.instant = shanghai(2026, 11, 22, 3, 20)  # a Sunday: runs on days without care too
    result = await run_job(services, HOUSEKEEPING, shanghai(2026, 11, 22, 3, 20))
    assert result[0].status == "done" and result[0].detail.startswith("清理 1 条")
    async with db.transaction() as s:
        assert (await s.scalars(select(ProcessedMessage.message_id))).all() == ["recent"]
    services.clock.instant = shanghai(2026, 11, 22, 9)
    again = await services.pipeline.handle_message(
        IncomingMessage(Platform.WECOM, CHAT_32, "parent-li", "请假 明天", "recent", services.clock.instant))
    async with db.transaction() as s:
        assert (await s.scalars(select(Leave.id))).all() == []  # deduplicated: the replay recorded nothing
    assert "请假" not in again.reply.text  # and got the first answer again
