"""The durable inbox: a message stored before it is acknowledged is handled exactly once, even when the
process that took it in dies before handling it; its reply then goes by the late route."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from bot.bootstrap import Services, bootstrap
from bot.clock import FixedClock
from bot.demo import load_demo
from bot.domain.messages import IncomingMessage, Platform
from bot.inbox import Inbox, from_record, to_record
from bot.settings import load_settings
from bot.store import inbox as store
from bot.store.care_tables import Leave
from bot.store.db import Database
from bot.store.inbound_tables import InboxMessage, ProcessedMessage
from bot.store.outbox_tables import OutboxMessage
from tests.conftest import shanghai

NOW = shanghai(2026, 11, 23, 16, 30)


@pytest.fixture
async def services(db: Database) -> Services:
    settings = load_settings(inbox={"lease_seconds": 30})
    await load_demo(db, settings, FixedClock(NOW))
    return bootstrap(settings, clock=FixedClock(NOW), db=db)


def message(msgid: str, text: str = "王小明 请假 明天", **extra: Any) -> IncomingMessage:
    base = IncomingMessage(Platform.WECOM, "demo-3-2", "parent-wang", text, msgid, NOW,
                           reply_url="https://qyapi.weixin.qq.com/cgi-bin/aibot/response?code=x",
                           reply_kind="wecom_ai_bot", reply_expires_at=NOW + timedelta(hours=1))
    return replace(base, **extra)


async def taken_in_by_a_dead_process(db: Database, msg: IncomingMessage, at: Any = NOW) -> int:
    """What a process that answered 200 and was SIGKILLed before handling leaves behind."""
    async with db.transaction() as s:
        inbox_id = await store.take_in(s, str(msg.platform), msg.message_id, to_record(msg), at - timedelta(minutes=5),
                                       "dead-host:1", timedelta(seconds=30))
    assert inbox_id is not None
    return inbox_id


async def counts(db: Database) -> dict[str, Any]:
    async with db.transaction() as s:
        return {
            "leaves": await s.scalar(select(func.count()).select_from(Leave)),
            "handled": sorted((await s.scalars(select(ProcessedMessage.message_id))).all()),
            "late": sorted((await s.execute(select(OutboxMessage.key, OutboxMessage.reply_url.is_not(None),
                                                   OutboxMessage.chat_ref.is_not(None))
                                            .where(OutboxMessage.key.startswith("late-reply")))).all()),
            "inbox": sorted((await s.execute(select(InboxMessage.message_id, InboxMessage.state))).all()),
        }


def test_the_record_keeps_everything_the_message_needs() -> None:
    msg = message("r-1", sender_name="王妈妈", is_group=False)
    assert from_record(to_record(msg)) == msg


async def test_a_message_taken_in_by_a_dead_process_is_handled_once_and_answered_late(
    services: Services, db: Database
) -> None:
    await taken_in_by_a_dead_process(db, message("crash-1"))
    survivor = Inbox(services.pipeline, instance="new-host:2")
    assert await survivor.recover() == 1
    await survivor.drain(10)
    assert await survivor.recover() == 0  # nothing left, nothing twice
    after = await counts(db)
    assert after["leaves"] == 1 and after["handled"] == ["crash-1"]
    # the reply goes by the response_url while valid, in the class group's line once it is not
    assert after["late"] == [("late-reply:wecom:crash-1", True, True)]
    assert after["inbox"] == [("crash-1", "handled")]


async def test_a_live_claim_is_not_taken_over(services: Services, db: Database) -> None:
    async with db.transaction() as s:
        await store.take_in(s, "wecom", "alive-1", to_record(message("alive-1")), NOW, "other-host:3",
                            timedelta(seconds=30))
    assert await Inbox(services.pipeline, instance="new-host:2").recover() == 0
    assert (await counts(db))["handled"] == []


async def test_a_platform_retry_of_a_message_never_handled_takes_it_over(services: Services, db: Database) -> None:
    await taken_in_by_a_dead_process(db, message("crash-2"))
    inbox = Inbox(services.pipeline, instance="new-host:2")
    accepted = await inbox.receive(message("crash-2"))
    reply = await accepted.answer(10)
    assert reply is not None and "王小明" in reply.text
    again = await inbox.receive(message("crash-2"))
    assert not again.fresh and await again.answer(10) == reply
    after = await counts(db)
    assert after["leaves"] == 1 and after["handled"] == ["crash-2"] and after["late"] == []


async def test_a_reply_not_ready_in_time_is_queued_with_the_change(
    services: Services, db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    release = asyncio.Event()
    once = services.pipeline._once

    async def held(*args: Any) -> Any:
        await release.wait()
        return await once(*args)

    monkeypatch.setattr(services.pipeline, "_once", held)
    inbox = Inbox(services.pipeline, instance="here:1")
    accepted = await inbox.receive(message("slow-1"))
    assert accepted.fresh and await accepted.answer(0.01) is None  # the inbox owns the reply now
    release.set()
    await inbox.drain(10)
    after = await counts(db)
    assert after["handled"] == ["slow-1"] and after["late"] == [("late-reply:wecom:slow-1", True, True)]


async def test_a_reply_ready_in_time_is_not_also_sent_late(services: Services, db: Database) -> None:
    inbox = Inbox(services.pipeline, instance="here:1")
    reply = await (await inbox.receive(message("fast-1"))).answer(10)
    assert reply is not None and "王小明" in reply.text
    assert (await counts(db))["late"] == []


async def test_an_expired_route_falls_back_to_the_class_group(services: Services, db: Database) -> None:
    await taken_in_by_a_dead_process(db, message("crash-3", reply_expires_at=NOW - timedelta(minutes=1)))
    inbox = Inbox(services.pipeline, instance="new-host:2")
    await inbox.recover()
    await inbox.drain(10)
    assert (await counts(db))["late"] == [("late-reply:wecom:crash-3", False, True)]


async def test_a_message_that_keeps_killing_its_handler_is_given_up(services: Services, db: Database) -> None:
    inbox_id = await taken_in_by_a_dead_process(db, message("poison-1"))
    async with db.transaction() as s:
        await s.execute(InboxMessage.__table__.update().where(InboxMessage.id == inbox_id).values(attempts=5))
    assert await Inbox(services.pipeline, instance="new-host:2").recover() == 0
    assert (await counts(db))["inbox"] == [("poison-1", "failed")]


async def test_an_empty_message_is_answered_and_not_left_for_recovery(services: Services, db: Database) -> None:
    inbox = Inbox(services.pipeline, instance="here:1")
    reply = await (await inbox.receive(message("empty-1", text="\x00\x00"))).answer(10)
    assert reply is not None and "帮助" in reply.text
    assert (await counts(db))["inbox"] == [("empty-1", "handled")]
