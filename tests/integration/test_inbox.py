"""The durable inbox: a message stored before it is acknowledged is handled exactly once, even when the
process that took it in dies before handling it; its reply then goes by the late route."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError
from sqlalchemy.util import concurrency

from bot.bootstrap import Services, bootstrap
from bot.clock import FixedClock
from bot.demo import load_demo
from bot.domain.messages import IncomingMessage, Platform, from_record, to_record
from bot.inbox import Inbox
from bot.settings import load_settings
from bot.store.care_tables import Leave
from bot.store.db import Database
from bot.store.inbound_tables import InboxMessage, ProcessedMessage
from bot.store.inbox import InboxRepo
from bot.store.outbox_tables import OutboxMessage
from tests.conftest import shanghai

NOW = shanghai(2026, 11, 23, 16, 30)


@pytest.fixture
async def services(db: Database) -> Services:
    settings = load_settings(inbox={"lease_seconds": 30})
    await load_demo(db, settings, FixedClock(NOW))
    return bootstrap(settings, clock=FixedClock(NOW), db=db)


def message(msgid: str, text: str = "王小明 请假 明天", **extra: Any) -> IncomingMessage:
    base = IncomingMessage(
        Platform.WECOM,
        "demo-3-2",
        "parent-wang",
        text,
        msgid,
        NOW,
        reply_url="https://qyapi.weixin.qq.com/cgi-bin/aibot/response?code=x",
        reply_kind="wecom_ai_bot",
        reply_expires_at=NOW + timedelta(hours=1),
    )
    return replace(base, **extra)


async def taken_in_by_a_dead_process(db: Database, msg: IncomingMessage, at: Any = NOW) -> int:
    """What a process that answered 200 and was SIGKILLed before handling leaves behind."""
    async with db.unit_of_work() as uow:
        inbox_id = await uow.inbox.take_in(
            str(msg.platform),
            msg.message_id,
            to_record(msg),
            at - timedelta(minutes=5),
            "dead-host:1",
            timedelta(seconds=30),
        )
    assert inbox_id is not None
    return inbox_id


async def counts(db: Database) -> dict[str, Any]:
    async with db.transaction() as s:
        return {
            "leaves": await s.scalar(select(func.count()).select_from(Leave)),
            "handled": sorted((await s.scalars(select(ProcessedMessage.message_id))).all()),
            "late": sorted(
                (
                    await s.execute(
                        select(
                            OutboxMessage.key,
                            OutboxMessage.reply_url.is_not(None),
                            OutboxMessage.chat_ref.is_not(None),
                        ).where(OutboxMessage.key.startswith("late-reply"))
                    )
                ).all()
            ),
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
    async with db.unit_of_work() as uow:
        await uow.inbox.take_in(
            "wecom", "alive-1", to_record(message("alive-1")), NOW, "other-host:3", timedelta(seconds=30)
        )
    assert await Inbox(services.pipeline, instance="new-host:2").recover() == 0
    assert (await counts(db))["handled"] == []


async def test_a_platform_retry_of_a_message_never_handled_takes_it_over(
    services: Services, db: Database
) -> None:
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
    inbox = Inbox(services.pipeline, instance="here:1", one_step=False)
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


async def test_a_message_found_handled_already_is_marked_handled_not_recovered_again(
    services: Services, db: Database
) -> None:
    # The change and its record committed, the inbox row left unmarked (its handler's mark found no row):
    # recovery answers it from the record and closes the row, instead of running into it until given up.
    await taken_in_by_a_dead_process(db, message("done-1"))
    await services.pipeline.handle_message(message("done-1"))
    inbox = Inbox(services.pipeline, instance="new-host:2")
    assert await inbox.recover() == 1
    await inbox.drain(10)
    after = await counts(db)
    assert after["leaves"] == 1 and after["handled"] == ["done-1"]
    assert after["inbox"] == [("done-1", "handled")]


async def test_a_retry_answered_while_another_instance_commits_gets_the_recorded_reply(
    services: Services, db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    if db.is_sqlite:
        pytest.skip("one connection, transactions one at a time: the commit cannot fall between the reads")
    release = asyncio.Event()
    once = services.pipeline._once

    async def held(*args: Any) -> Any:
        await release.wait()
        return await once(*args)

    monkeypatch.setattr(services.pipeline, "_once", held)
    first = Inbox(services.pipeline, instance="one:1", one_step=False)
    second = Inbox(services.pipeline, instance="two:2")
    live = await first.receive(message("both-1"))
    seen = await second.receive(message("both-1"))
    assert live.fresh and not seen.fresh
    find = InboxRepo.find

    async def handled_by_the_first() -> None:
        release.set()
        await first.drain(10)

    async def commits_meanwhile(*args: Any) -> Any:
        # The first instance's handler commits between the retry's reads. The retry's unit runs as one call
        # in SQLAlchemy's greenlet: the test hands the loop to the first instance from there, as asyncpg does.
        wait_in_greenlet = getattr(concurrency, "await_", None) or concurrency.await_only
        wait_in_greenlet(handled_by_the_first())
        return await find(*args)

    monkeypatch.setattr(InboxRepo, "find", commits_meanwhile)
    reply = await seen.answer(10)
    assert reply is not None and "王小明" in reply.text


@pytest.mark.parametrize("one_step", [True, False])
async def test_a_message_whose_intake_commit_is_lost_is_handled_once(
    services: Services, db: Database, monkeypatch: pytest.MonkeyPatch, one_step: bool
) -> None:
    # The connection drops at the intake's COMMIT (rolled back): the intake is tried again; nothing may
    # start handling the message under the row that was never stored. One step: the intake is the handling's
    # unit, so the handling is rolled back with it and the message goes the two-step way.
    run, lost = db.run, []

    async def commit_lost_once(work: Any) -> Any:
        async def then_lost(uow: Any) -> Any:
            result = await work(uow)
            if not lost:
                lost.append(True)
                raise OperationalError(
                    "COMMIT", None, OSError("connection lost"), connection_invalidated=True
                )
            return result

        return await run(then_lost)

    monkeypatch.setattr(db, "run", commit_lost_once)
    handle, ran = services.pipeline.handle_message, []

    async def counted(msg: IncomingMessage, inbox_id: int | None = None) -> Any:
        outcome = await handle(msg, inbox_id)
        ran.append((inbox_id, outcome.result))
        return outcome

    monkeypatch.setattr(services.pipeline, "handle_message", counted)
    inbox = Inbox(services.pipeline, instance="here:1", one_step=one_step)
    reply = await (await inbox.receive(message("lost-1"))).answer(10)
    assert lost and reply is not None and "王小明" in reply.text
    await inbox.drain(10)
    assert not inbox.inflight
    async with db.transaction() as s:
        stored = await s.scalar(select(InboxMessage.id))
    assert ran == [(stored, "ok")]  # run once, under the row that was stored
    after = await counts(db)
    assert (
        after["leaves"] == 1 and after["handled"] == ["lost-1"] and after["inbox"] == [("lost-1", "handled")]
    )


@pytest.mark.parametrize("one_step", [True, False])
async def test_two_instances_sharing_the_database_handle_every_message_exactly_once(
    services: Services, db: Database, monkeypatch: pytest.MonkeyPatch, one_step: bool
) -> None:
    # Two processes over one database: each platform message delivered to both at once (a retry landing on
    # the other instance), some left behind by a dead process, both instances recovering meanwhile.
    other = bootstrap(services.settings, clock=FixedClock(NOW), db=db)
    ran: list[tuple[str, str]] = []
    for pipeline in (services.pipeline, other.pipeline):

        def counted(account: Any) -> Any:
            def run(msg: IncomingMessage, command: str, result: str, elapsed: float) -> None:
                ran.append((msg.message_id, result))  # once for every message handled or answered
                account(msg, command, result, elapsed)

            return run

        monkeypatch.setattr(pipeline, "account", counted(pipeline.account))
    first = Inbox(services.pipeline, instance="one:1", one_step=one_step)
    second = Inbox(other.pipeline, instance="two:2", one_step=one_step)
    dead = [message(f"dead-{i}") for i in range(8)]
    for msg in dead:
        await taken_in_by_a_dead_process(db, msg)
    burst = [message(f"burst-{i}") for i in range(24)] + dead

    async def deliver(inbox: Inbox, msg: IncomingMessage, within: float) -> Any:
        return await (await inbox.receive(msg)).answer(within)

    calls = [
        deliver(inbox, msg, within)
        for n, msg in enumerate(burst)
        for inbox, within in ((first, n % 2 * 10.0), (second, (n + 1) % 2 * 10.0))
    ]
    answers = await asyncio.gather(
        *calls[: len(calls) // 2], first.recover(), second.recover(), *calls[len(calls) // 2 :]
    )
    await asyncio.gather(first.drain(20), second.drain(20))
    assert await first.recover() == 0 and await second.recover() == 0
    assert all(a is None or isinstance(a, int) or "请稍后再试" not in a.text for a in answers)
    handled = [m for m, result in ran if result != "duplicate"]
    assert sorted(handled) == sorted(m.message_id for m in burst)  # each run once, by one instance
    after = await counts(db)
    assert after["handled"] == sorted(m.message_id for m in burst)
    assert {state for _, state in after["inbox"]} == {"handled"} and len(after["inbox"]) == len(burst)


async def test_a_deferred_message_whose_database_stayed_away_is_handled_once_it_is_back(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Answered 200 (its reply deferred), then the database stays away longer than the handler waits: the
    # sender was told nothing, so the message stays in the inbox and is handled once the database is back.
    settings = load_settings(inbox={"lease_seconds": 30}, database={"retry_seconds": 0})
    clock = FixedClock(NOW)
    await load_demo(db, settings, clock)
    services = bootstrap(settings, clock=clock, db=db)
    release = asyncio.Event()

    async def away(*args: Any) -> Any:
        await release.wait()
        raise OperationalError("SELECT", None, OSError("connection refused"), connection_invalidated=True)

    once = services.pipeline._once
    monkeypatch.setattr(services.pipeline, "_once", away)
    inbox = Inbox(services.pipeline, instance="here:1", one_step=False)
    assert await (await inbox.receive(message("away-1"))).answer(0.01) is None
    release.set()
    await inbox.drain(10)
    monkeypatch.setattr(services.pipeline, "_once", once)  # the database is back
    clock.advance(minutes=1)  # the claim lapsed
    assert await inbox.recover() == 1
    await inbox.drain(10)
    after = await counts(db)
    assert (
        after["leaves"] == 1 and after["handled"] == ["away-1"] and after["inbox"] == [("away-1", "handled")]
    )
    assert after["late"] == [("late-reply:wecom:away-1", True, True)]


@pytest.mark.parametrize("one_step", [True, False])
async def test_a_failure_told_live_is_not_run_again(
    services: Services, db: Database, monkeypatch: pytest.MonkeyPatch, one_step: bool
) -> None:
    async def broken(*args: Any) -> Any:
        raise ValueError("a handler bug")

    monkeypatch.setattr(services.pipeline, "_decide", broken)
    inbox = Inbox(services.pipeline, instance="here:1", one_step=one_step)
    reply = await (await inbox.receive(message("bug-1"))).answer(10)
    assert reply is not None and "请稍后再试" in reply.text
    await inbox.drain(10)
    later = Inbox(
        bootstrap(services.settings, clock=FixedClock(NOW + timedelta(minutes=1)), db=db).pipeline,
        instance="new-host:2",
    )
    assert await later.recover() == 0
    assert (await counts(db))["inbox"] == [("bug-1", "failed")]


async def test_a_retry_of_a_message_recovery_claimed_joins_its_handling(
    services: Services, db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Recovery claimed two messages and is still on the first when the platform retries the second: the
    # retry waits for recovery's handling of it, it does not run it a second time.
    for msgid in ("claimed-1", "claimed-2"):
        await taken_in_by_a_dead_process(db, message(msgid))
    started, release, ran = asyncio.Event(), asyncio.Event(), []
    handle = services.pipeline.handle_message

    async def held(msg: IncomingMessage, inbox_id: int | None = None) -> Any:
        if msg.message_id == "claimed-1":
            started.set()
            await release.wait()
        outcome = await handle(msg, inbox_id)
        ran.append((msg.message_id, outcome.result))
        return outcome

    monkeypatch.setattr(services.pipeline, "handle_message", held)
    inbox = Inbox(services.pipeline, instance="new-host:2")
    recovering = asyncio.create_task(inbox.recover())
    await started.wait()  # recovery has claimed them and started on the first
    retry = await inbox.receive(message("claimed-2"))
    reply = await retry.answer(10)
    release.set()
    assert await recovering == 2
    await inbox.drain(10)
    assert reply is not None and "王小明" in reply.text
    assert sorted(ran) == [("claimed-1", "ok"), ("claimed-2", "ok")]


async def test_a_retry_that_joins_the_handling_in_this_process_is_counted_a_duplicate(
    services: Services, db: Database
) -> None:
    inbox = Inbox(services.pipeline, instance="here:1")
    first = await inbox.receive(message("twice-1"))
    again = await inbox.receive(message("twice-1"))  # the platform retried while the first is in hand
    assert first.fresh and not again.fresh
    replies = await asyncio.gather(first.answer(10), again.answer(10))
    assert replies[0] == replies[1] and replies[0] is not None
    messages = services.metrics.messages
    assert messages.labels("请假", "ok")._value.get() == 1
    assert messages.labels("请假", "duplicate")._value.get() == 1


@pytest.mark.parametrize("one_step", [True, False])
async def test_an_intake_cancelled_at_its_commit_leaves_nothing_stuck(
    services: Services, db: Database, monkeypatch: pytest.MonkeyPatch, one_step: bool
) -> None:
    # The caller gives up (cancelled) once the intake committed, before it sees the result: the platform was
    # never acknowledged and may send it again. Two steps: nothing is handled or waited for in this process,
    # and recovery handles it once its claim lapsed. One step: it was handled with its intake, and the
    # platform's retry is answered from the record.
    run, committed = db.run, asyncio.Event()

    async def cancelled_after_commit(work: Any) -> Any:
        result = await run(work)
        committed.set()
        await asyncio.Event().wait()  # cancelled here, after the COMMIT, before the caller sees it
        return result

    monkeypatch.setattr(db, "run", cancelled_after_commit)
    inbox = Inbox(services.pipeline, instance="here:1", one_step=one_step)
    intake = asyncio.create_task(inbox.receive(message("gone-1")))
    await committed.wait()
    intake.cancel()
    with pytest.raises(asyncio.CancelledError):
        await intake
    monkeypatch.undo()
    await inbox.drain(10)
    assert not inbox.inflight
    later = replace(services.pipeline, clock=FixedClock(NOW + timedelta(minutes=1)))
    if one_step:
        assert (await counts(db))["inbox"] == [("gone-1", "handled")]
        retry = await inbox.receive(message("gone-1"))
        reply = await retry.answer(10)
        assert not retry.fresh and reply is not None and "王小明" in reply.text
        assert await Inbox(later, instance="here:1").recover() == 0
    else:
        assert (await counts(db))["inbox"] == [
            ("gone-1", "received")
        ] and not await inbox.recover()  # claimed
        assert await Inbox(later, instance="here:1").recover() == 1
    assert (await counts(db))["inbox"] == [("gone-1", "handled")] and (await counts(db))["leaves"] == 1


async def test_an_empty_message_is_closed_in_the_inbox(services: Services, db: Database) -> None:
    # Nothing to do (an @ with no text), but taken in all the same: its row is closed, not recovered and
    # run again until given up.
    inbox = Inbox(services.pipeline, instance="here:1")
    reply = await (await inbox.receive(message("empty-1", text="  "))).answer(10)
    assert reply is not None and reply.text
    await inbox.drain(10)
    assert (await counts(db))["inbox"] == [("empty-1", "handled")]


async def test_one_step_stores_and_handles_a_message_in_one_transaction(
    services: Services, db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    units: list[Any] = []
    run = db.run

    async def counted(work: Any) -> Any:
        units.append(work)
        return await run(work)

    monkeypatch.setattr(db, "run", counted)
    inbox = Inbox(services.pipeline, instance="here:1")
    accepted = await inbox.receive(message("one-1"))
    reply = await accepted.answer(10)
    assert accepted.fresh and reply is not None and "王小明" in reply.text
    assert len(units) == 1 and not inbox.inflight  # taken in and handled by one unit, nothing left running
    after = await counts(db)
    assert after["leaves"] == 1 and after["handled"] == ["one-1"] and after["late"] == []
    assert after["inbox"] == [("one-1", "handled")]
    assert (
        await Inbox(replace(services.pipeline, clock=FixedClock(NOW + timedelta(hours=1))), "x:1").recover()
        == 0
    )


async def test_one_step_ready_after_the_budget_queues_the_reply_late(
    services: Services, db: Database
) -> None:
    # The unit ended after the live answer's budget: the platform may have stopped waiting, so the reply goes
    # by the late route, committed with the change; the live answer is given up.
    inbox = Inbox(services.pipeline, instance="here:1")
    accepted = await inbox.receive(message("late-1"), store_within=0)
    assert accepted.fresh and await accepted.answer(10) is None
    after = await counts(db)
    assert after["leaves"] == 1 and after["inbox"] == [("late-1", "handled")]
    assert after["late"] == [("late-reply:wecom:late-1", True, True)]


async def test_one_step_a_retry_is_answered_from_the_record(services: Services, db: Database) -> None:
    inbox = Inbox(services.pipeline, instance="here:1")
    first = await (await inbox.receive(message("again-1"))).answer(10)
    retry = await inbox.receive(message("again-1"))
    assert not retry.fresh and await retry.answer(10) == first
    assert (await counts(db))["leaves"] == 1
    messages = services.metrics.messages
    assert messages.labels("请假", "ok")._value.get() == 1
    assert messages.labels("请假", "duplicate")._value.get() == 1
