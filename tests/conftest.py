"""Shared fixtures: a migrated database per test, on SQLite always and on PostgreSQL when configured."""

from __future__ import annotations

import asyncio
import os
import shutil
import uuid
from collections.abc import AsyncIterator, Callable, Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from bot.store.db import Database
from bot.store.schema import truncate_all

T = TypeVar("T")
SHANGHAI = ZoneInfo("Asia/Shanghai")
PG_URL = os.environ.get("TUOGUAN_TEST_PG_URL", "")


def run_in_thread(make_coro: Callable[[], Coroutine[Any, Any, T]]) -> T:
    """Run a coroutine on a private loop in a worker thread (session fixtures set up inside a test loop)."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(lambda: asyncio.run(make_coro())).result()


def shanghai(*args: int) -> datetime:
    """An aware datetime in the school's timezone, for tests."""
    return datetime(*args, tzinfo=SHANGHAI)  # type: ignore[misc]


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("tpl") / "template.db"

    async def build() -> None:
        db = Database(f"sqlite+aiosqlite:///{path}")
        await db.upgrade()
        await db.dispose()

    run_in_thread(build)
    return path


@pytest.fixture(scope="session")
def pg_database() -> Iterator[str]:
    """A throwaway PostgreSQL database, migrated once per session."""
    if not PG_URL:
        pytest.skip("PostgreSQL leg: set TUOGUAN_TEST_PG_URL to run it")
    base = make_url(PG_URL)
    name = f"tuoguan_t_{uuid.uuid4().hex[:10]}"
    url = base.set(database=name).render_as_string(hide_password=False)

    async def admin(sql: str) -> None:
        engine = create_async_engine(base, isolation_level="AUTOCOMMIT")
        async with engine.connect() as conn:
            await conn.execute(text(sql))
        await engine.dispose()

    async def migrate() -> None:
        db = Database(url)
        await db.upgrade()
        await db.dispose()

    run_in_thread(lambda: admin(f'CREATE DATABASE "{name}"'))
    try:
        run_in_thread(migrate)
        yield url
    finally:
        run_in_thread(lambda: admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(params=["sqlite", pytest.param("pg", marks=pytest.mark.pg)])
async def db(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Database]:
    """A migrated, empty database: a copy of the SQLite template, or a truncated PostgreSQL one."""
    if request.param == "sqlite":
        template: Path = request.getfixturevalue("sqlite_template")
        path = tmp_path / "test.db"
        shutil.copy(template, path)
        database = Database(f"sqlite+aiosqlite:///{path}")
    else:
        database = Database(request.getfixturevalue("pg_database"))
        await truncate_all(database.engine)
    try:
        yield database
    finally:
        await database.dispose()
