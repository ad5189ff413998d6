"""The one-hop aiosqlite cursor: same results as the stock adapter, one call into the thread per statement."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, insert, select, text, update
from sqlalchemy.exc import IntegrityError

from bot.store.db import Database
from bot.store.sqlite_driver import OneHopCursor
from bot.store.tables import School


@pytest.fixture
async def sqlite_db(sqlite_template: Path, tmp_path: Path) -> Any:
    import shutil

    path = tmp_path / "hop.db"
    shutil.copy(sqlite_template, path)
    database = Database(f"sqlite+aiosqlite:///{path}")
    try:
        yield database
    finally:
        await database.dispose()


async def test_sqlite_engine_uses_the_one_hop_cursor(sqlite_db: Database) -> None:
    async with sqlite_db.engine.connect() as conn:
        raw = await conn.get_raw_connection()
        assert isinstance(raw.dbapi_connection.cursor(), OneHopCursor)  # type: ignore[union-attr]


async def test_rows_rowcount_lastrowid_and_executemany(sqlite_db: Database) -> None:
    async with sqlite_db.transaction() as session:
        first = await session.execute(insert(School).values(name="一小"))
        assert first.inserted_primary_key is not None
        school_id = first.inserted_primary_key[0]
        await session.execute(insert(School), [{"name": "二小"}, {"name": "三小"}])
        changed = await session.execute(
            update(School).where(School.id > school_id).values(name=School.name + "改")
        )
        assert changed.rowcount == 2  # type: ignore[attr-defined]
        names = (await session.scalars(select(School.name).order_by(School.id))).all()
        assert names == ["一小", "二小改", "三小改"]
        assert await session.scalar(select(func.count()).select_from(School).where(School.name == "无")) == 0
        assert (await session.execute(select(School.id).where(School.name == "无"))).first() is None
        assert len((await session.execute(select(School.id))).fetchmany(2)) == 2  # type: ignore[attr-defined]


async def test_errors_surface_as_sqlalchemy_errors_and_roll_back(sqlite_db: Database) -> None:
    async with sqlite_db.transaction() as session:
        await session.execute(text("CREATE TABLE hop_unique (v INTEGER UNIQUE)"))
    with pytest.raises(IntegrityError):
        async with sqlite_db.transaction() as session:
            await session.execute(text("INSERT INTO hop_unique VALUES (1)"))
            await session.execute(text("INSERT INTO hop_unique VALUES (1)"))
    async with sqlite_db.transaction() as session:
        assert await session.scalar(text("SELECT count(*) FROM hop_unique")) == 0


async def test_one_call_into_the_thread_per_statement(sqlite_db: Database) -> None:
    async with sqlite_db.engine.connect() as conn:
        await conn.execute(select(School.id).limit(1))  # BEGIN IMMEDIATE (its own hop) is out of the way
        raw = await conn.get_raw_connection()
        driver = raw.driver_connection
        real = driver._tx  # type: ignore[union-attr]
        calls: list[Any] = []

        class Counting:
            def put_nowait(self, item: Any) -> None:
                calls.append(item)
                real.put_nowait(item)

        driver._tx = Counting()  # type: ignore[union-attr]
        try:
            for _ in range(5):
                assert (await conn.execute(select(School.id).limit(1))).all() == []
        finally:
            driver._tx = real  # type: ignore[union-attr]
        assert len(calls) == 5


async def test_the_first_statement_takes_the_write_lock(sqlite_db: Database) -> None:
    """BEGIN IMMEDIATE comes before the first statement: even a read-only transaction holds the lock."""
    assert sqlite_db.url.database
    other = sqlite3.connect(sqlite_db.url.database, timeout=0, isolation_level=None)
    try:
        async with sqlite_db.transaction() as session:
            other.execute("BEGIN IMMEDIATE")  # nothing sent yet: the lock is free
            other.execute("ROLLBACK")
            await session.execute(select(School.id).limit(1))
            with pytest.raises(sqlite3.OperationalError, match="locked"):
                other.execute("BEGIN IMMEDIATE")
        other.execute("BEGIN IMMEDIATE")  # committed: free again
        other.execute("ROLLBACK")
    finally:
        other.close()


async def test_a_transaction_without_statements_ends_cleanly(sqlite_db: Database) -> None:
    async with sqlite_db.transaction():
        pass
    with pytest.raises(RuntimeError):
        async with sqlite_db.transaction():
            raise RuntimeError("before any statement")
    async with sqlite_db.transaction() as session:
        session.add(School(name="四小"))
    async with sqlite_db.transaction() as session:
        assert (await session.scalars(select(School.name))).all() == ["四小"]
