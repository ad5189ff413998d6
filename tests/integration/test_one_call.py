"""Units of work run as one call (`Database.run`): committed on return, rolled back on error or on an await of
anything but the database, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
import threading
import time
from concurrent.futures import Future
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select, true
from sqlalchemy.orm import aliased

from bot.store.db import Database
from bot.store.inbound_tables import InboxMessage, ProcessedMessage
from bot.store.one_call import Suspended, needs_orm
from bot.store.uow import UnitOfWork
from bot.store.wal import WalCheckpointer

NOW = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)


async def record(uow: UnitOfWork, message_id: str) -> None:
    await uow.messages.record("wecom", message_id, "请假", "好的", False, NOW)


async def seen(db: Database, message_id: str) -> object:
    return await db.run(lambda uow: uow.messages.seen("wecom", message_id))


async def test_a_unit_commits_when_it_returns(db: Database) -> None:
    assert await db.run(lambda uow: record(uow, "m-1")) is None
    assert await seen(db, "m-1") == ("好的", False, "请假")


async def test_a_unit_that_raises_leaves_nothing(db: Database) -> None:
    async def fails(uow: UnitOfWork) -> None:
        await record(uow, "m-2")
        raise ValueError("after the write")

    with pytest.raises(ValueError, match="after the write"):
        await db.run(fails)
    assert await seen(db, "m-2") is None


async def test_a_unit_that_awaits_something_else_is_refused_and_rolled_back(db: Database) -> None:

    async def sleeps(uow: UnitOfWork) -> None:
        await record(uow, "m-3")
        await asyncio.sleep(0)  # would block the database's thread (or the loop) on something not its own

    with pytest.raises(Suspended):
        await db.run(sleeps)
    assert await seen(db, "m-3") is None


async def test_units_run_at_once_all_commit(db: Database) -> None:
    await asyncio.gather(*(db.run(lambda uow, i=i: record(uow, f"m-many-{i}")) for i in range(40)))
    assert all([await seen(db, f"m-many-{i}") for i in range(40)])


async def test_block_units_and_one_call_units_interleave(db: Database) -> None:
    async def block(i: int) -> None:
        async with db.unit_of_work() as uow:
            await record(uow, f"m-block-{i}")

    await asyncio.gather(
        *(block(i) if i % 2 else db.run(lambda uow, i=i: record(uow, f"m-block-{i}")) for i in range(20))
    )
    assert all([await seen(db, f"m-block-{i}") for i in range(20)])


def test_only_selects_of_mapped_objects_need_the_orm() -> None:
    assert needs_orm(select(ProcessedMessage))
    assert needs_orm(select(aliased(ProcessedMessage)))
    assert needs_orm(select(ProcessedMessage, InboxMessage.state).join(InboxMessage, true()))
    assert not needs_orm(select(ProcessedMessage.message_id))
    assert not needs_orm(select(aliased(ProcessedMessage).id))
    assert not needs_orm(select(ProcessedMessage.__table__))
    assert not needs_orm(select(func.count()).select_from(ProcessedMessage))


def committed(db: Database, message_id: str) -> bool:
    """Read by a connection of its own (the units' own may be waiting)."""
    with contextlib.closing(sqlite3.connect(str(db.url.database))) as conn:
        found = conn.execute(
            "SELECT 1 FROM processed_messages WHERE message_id = ?", (message_id,)
        ).fetchone()
    return found is not None


def restarts(wal: str) -> int:
    """The WAL header's checkpoint sequence number: one more each time the log starts over."""
    with open(wal, "rb") as f:
        return int.from_bytes(f.read(16)[12:16], "big")


async def test_the_wal_is_checkpointed_off_the_loop(db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    # The units' connection never checkpoints (a checkpoint's fsyncs would stall the loop); a thread of its
    # own does, every 50 commits: the WAL starts over instead of growing with every message, even when the
    # writes never pause.
    if not db.is_sqlite:
        pytest.skip("SQLite's write-ahead log")
    threads: list[str] = []
    checkpoint = WalCheckpointer.checkpoint

    def recorded(self: WalCheckpointer) -> None:
        threads.append(threading.current_thread().name)
        checkpoint(self)

    monkeypatch.setattr(WalCheckpointer, "checkpoint", recorded)
    big = "好" * 3000  # about three pages a commit

    async def write(uow: UnitOfWork, i: int) -> None:
        await uow.messages.record("wecom", f"m-wal-{i}", "请假", big, False, NOW)

    wal = f"{db.url.database}-wal"
    await db.run(lambda uow: write(uow, -1))
    started_over = restarts(wal)
    for i in range(300):  # units back to back: the loop never waits for anything but a RESTART
        await db.run(lambda uow, i=i: write(uow, i))
    # The log started over while the writes went on (else it grows with every message: autocheckpoint is
    # off, and a PASSIVE checkpoint alone never catches up with steady writes).
    assert restarts(wal) > started_over
    assert len(threads) >= 2 and all(name.startswith("wal-checkpoint") for name in threads)


async def test_a_write_lock_held_by_another_process_is_waited_for_without_blocking_the_loop(
    db: Database,
) -> None:
    if not db.is_sqlite:
        pytest.skip("SQLite's one write lock")
    other = sqlite3.connect(str(db.url.database), isolation_level=None)  # say, a roster import in a CLI
    other.execute("BEGIN IMMEDIATE")
    ticks = 0

    async def ticking() -> None:
        nonlocal ticks
        while True:
            await asyncio.sleep(0.01)
            ticks += 1

    async def release_later() -> None:
        await asyncio.sleep(0.5)
        other.execute("COMMIT")

    ticker, releaser = asyncio.create_task(ticking()), asyncio.create_task(release_later())
    try:
        await db.run(lambda uow: record(uow, "m-locked"))
    finally:
        ticker.cancel()
        await releaser
        other.close()
    assert releaser.done() and ticks >= 20  # the loop went on while the unit waited for the lock
    assert await seen(db, "m-locked") is not None


def checkpointer(db: Database) -> WalCheckpointer:
    """The units' WAL checkpointer (SQLite only: the test is skipped on PostgreSQL)."""
    if not db.is_sqlite:
        pytest.skip("SQLite's write-ahead log")
    one_call = db._one_call
    assert one_call is not None and one_call.checkpoints is not None
    return one_call.checkpoints


async def test_a_unit_waits_asleep_while_a_checkpoint_restarts_the_log(db: Database) -> None:
    # A RESTART checkpoint holds off writers for a moment: a unit waits for it on the loop, asleep, instead of
    # blocking the loop in SQLite's busy handler.
    checkpoints = checkpointer(db)
    restarting: Future[None] = Future()
    checkpoints._restarting = restarting
    unit = asyncio.create_task(db.run(lambda uow: record(uow, "m-after-restart")))
    await asyncio.sleep(0.05)  # the loop goes on meanwhile
    assert not unit.done() and not committed(db, "m-after-restart")
    checkpoints._restarting = None
    restarting.set_result(None)
    await unit
    assert await seen(db, "m-after-restart") is not None


async def test_a_checkpoint_held_off_by_a_reader_gives_up_soon(db: Database) -> None:
    # Another process reading in a long transaction keeps the RESTART from finishing; units wait behind the
    # RESTART, so it gives up within a moment (and runs again after the next 50 commits).
    checkpoints = checkpointer(db)
    await db.run(lambda uow: record(uow, "m-before-reader"))
    reader = sqlite3.connect(str(db.url.database), isolation_level=None)  # say, a report in a CLI
    try:
        reader.execute("BEGIN")
        reader.execute("SELECT count(*) FROM processed_messages").fetchall()
        await db.run(lambda uow: record(uow, "m-while-reading"))  # the reader's snapshot is now behind
        started = time.monotonic()
        await asyncio.wrap_future(checkpoints._executor.submit(checkpoints.checkpoint))  # in its own thread
        assert time.monotonic() - started < 2.0  # not the 5 s of a default busy timeout
    finally:
        reader.close()
    assert await seen(db, "m-while-reading") is not None
