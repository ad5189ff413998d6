"""Pushes are written to the outbox with the change that caused them; a key is stored once."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from bot.domain.messages import Push
from bot.store.db import Database
from bot.store.outbox import enqueue
from bot.store.outbox_tables import OutboxMessage
from tests.conftest import shanghai
from tests.integration.care_day import demo_services, sayer

NOW = shanghai(2026, 11, 23, 16)


async def test_same_key_twice_is_stored_once(db: Database) -> None:
    await demo_services(db)
    push = Push(key="k-1", text="你好", staff_id=1)
    async with db.transaction() as s:
        await enqueue(s, [push, push], NOW)
    async with db.transaction() as s:
        await enqueue(s, [Push(key="k-1", text="改了", staff_id=1)], NOW)
    async with db.transaction() as s:
        rows = (await s.scalars(select(OutboxMessage))).all()
    assert [(r.key, r.text, r.state) for r in rows] == [("k-1", "你好", "private")]


async def test_a_push_names_one_target(db: Database) -> None:
    with pytest.raises(ValueError, match="exactly one target"):
        async with db.transaction() as s:
            await enqueue(s, [Push(key="k", text="x")], NOW)


async def test_pushes_of_a_message_are_stored_and_a_replay_adds_nothing(db: Database) -> None:
    services = await demo_services(db)
    say = sayer(services)
    await say("teacher-li", "刘洋没来", (16, 21))
    await say("teacher-li", "缺席 刘洋", (16, 25))  # the same fact again: same keys
    async with db.transaction() as s:
        rows = (
            await s.scalars(
                select(OutboxMessage).where(OutboxMessage.guardian_id.is_not(None)).order_by(OutboxMessage.id)
            )
        ).all()
    assert len(rows) == 2  # the two guardians, each once (the teacher's own answers come one-to-one too)
    assert all(r.state == "private" and r.guardian_id for r in rows)
