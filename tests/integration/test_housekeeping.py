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
        IncomingMessage(Platform.WECOM, CHAT_32, "parent-li", "请假 明天", "recent", services.clock.instant)
    )
    async with db.transaction() as s:
        assert (await s.scalars(select(Leave.id))).all() == []  # deduplicated: the replay recorded nothing
    assert "请假" not in again.reply.text  # and got the first answer again


async def test_prunes_dingtalk_signs_out_of_their_window(db: Database) -> None:
    from datetime import timedelta

    from bot.platforms import Rejected
    from bot.store.sign_tables import CallbackSign
    from bot.store.signs import claim_sign

    services = await demo_services(db)
    at = shanghai(2026, 11, 22, 3, 20)
    for name, age in (("old", timedelta(hours=2)), ("fresh", timedelta(minutes=30))):
        signed = at - age
        await claim_sign(
            db, "dingtalk", str(int(signed.timestamp() * 1000)), f"sign-{name}", f"m-{name}", signed
        )
    services.clock.instant = at
    result = await run_job(services, HOUSEKEEPING, at)
    assert result[0].status == "done" and "1 条过期签名" in result[0].detail
    async with db.transaction() as s:
        assert (await s.scalars(select(CallbackSign.message_id))).all() == ["m-fresh"]
    fresh_ts = str(int((at - timedelta(minutes=30)).timestamp() * 1000))
    try:  # the fresh one still binds its message
        await claim_sign(db, "dingtalk", fresh_ts, "sign-fresh", "m-other", at)
        raise AssertionError("a kept sign was accepted for another message")
    except Rejected as exc:
        assert exc.status == 401
