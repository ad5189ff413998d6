"""Engines and units of work: SQLite (WAL, foreign keys, immediate transactions) or PostgreSQL via asyncpg."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import Engine, create_engine, event
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine

from bot.store.one_call import BUSY_MS, OneCall, call_on, is_busy
from bot.store.uow import UnitOfWork
from bot.store.wal import WalCheckpointer

log = logging.getLogger(__name__)
T = TypeVar("T")
MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
# PostgreSQL SQLSTATEs of a server that is away for a while: connection exceptions (class 08), shutting
# down or starting up (57P01-57P03), out of connection slots (53300).
TRANSIENT_SQLSTATES = ("08", "57P01", "57P02", "57P03", "53300")


def is_transient(exc: BaseException) -> bool:
    """Is `exc` the database being away for a moment (restart, failover, a full pool), worth a retry?

    Connecting raises the driver's own error (ConnectionRefusedError, asyncpg's CannotConnectNowError);
    a connection lost mid-transaction comes wrapped by SQLAlchemy with `connection_invalidated`.
    """
    if isinstance(exc, sa_exc.DBAPIError):
        if exc.connection_invalidated:
            return True
        if _transient_state(exc.orig):
            return True
        # SQLite: the write lock still held by another process after busy_timeout.
        return is_busy(exc)
    if isinstance(exc, sa_exc.TimeoutError | sa_exc.DisconnectionError):
        return True  # no pooled connection free in time, or a connection that failed its ping
    return isinstance(exc, OSError) or _transient_state(exc)


def _transient_state(exc: BaseException | None) -> bool:
    state = getattr(exc, "sqlstate", None) or getattr(exc, "pgcode", None)
    return isinstance(state, str) and state.startswith(TRANSIENT_SQLSTATES)


@dataclass
class Backoff:
    """Waits between retries while the database is away: 0.2 s doubling to 5 s, `budget` seconds in all."""

    budget: float
    delay: float = 0.2
    started: float = field(default_factory=time.monotonic)

    async def wait(self) -> bool:
        """Sleep before the next try; False once the budget is spent (then give up)."""
        left = self.budget - (time.monotonic() - self.started)
        if left <= 0:
            return False
        await asyncio.sleep(min(self.delay, left))
        self.delay = min(self.delay * 2, 5.0)
        return True


async def retry_transient(op: Callable[[], Awaitable[T]], budget: float, what: str) -> T:
    """Run `op`, again while the database is away, for up to `budget` seconds; then its error stands."""
    away = Backoff(budget)
    while True:
        try:
            return await op()
        except Exception as exc:
            if not (is_transient(exc) and await away.wait()):
                raise
            log.warning("%s: database unavailable (%s), retrying", what, type(exc).__name__)


def _prepare_sqlite(engine: Engine, busy_ms: int = 30000, checkpoints: bool = True) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        # Let SQLAlchemy, not the driver, decide when transactions begin (see "begin" below).
        dbapi_conn.isolation_level = None
        cursor = dbapi_conn.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_ms)}")
        cursor.execute("PRAGMA synchronous=NORMAL")
        if not checkpoints:  # left to a WalCheckpointer, off the loop (bot/store/wal.py)
            cursor.execute("PRAGMA wal_autocheckpoint=0")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        # Take the write lock up front: two writers then queue instead of failing on upgrade.
        conn.exec_driver_sql("BEGIN IMMEDIATE")


class Database:
    """The one database of a process: an engine for `unit_of_work()` blocks, on SQLite a second, synchronous
    one for units of work run as one call (`run`, see bot/store/one_call.py), and the migration entry point."""

    def __init__(self, url: str, echo: bool = False) -> None:
        self.url = make_url(url)
        # Statement parameters (phones, health notes, webhook keys) stay out of exception texts and out of
        # the logs, echo or not: echo shows the SQL only.
        kwargs: dict[str, Any] = {"echo": echo, "hide_parameters": True}
        sync_kwargs = dict(kwargs)
        if self.is_sqlite:
            database = self.url.database or ""
            if database and database != ":memory:":
                Path(database).parent.mkdir(parents=True, exist_ok=True)
                kwargs.update(pool_size=1, max_overflow=0)
                sync_kwargs.update(pool_size=1, max_overflow=0)
            sync_kwargs["connect_args"] = {"check_same_thread": False}
        else:
            kwargs.update(pool_size=10, max_overflow=10, pool_pre_ping=True)
        self.engine = create_async_engine(self.url, **kwargs)
        self.sessions = async_sessionmaker(self.engine, expire_on_commit=False)
        self._one_call: OneCall | None = None
        if self.is_sqlite:
            _prepare_sqlite(self.engine.sync_engine)
            sync_engine = create_engine(self.url.set(drivername="sqlite+pysqlite"), **sync_kwargs)
            file = self.url.database if self.url.database not in (None, "", ":memory:") else None
            # Waits longer than BUSY_MS asleep, not blocking the loop; checkpoints in a thread of their own.
            _prepare_sqlite(sync_engine, BUSY_MS, checkpoints=file is None)
            self._one_call = OneCall(sync_engine, WalCheckpointer(file) if file else None)
        # SQLite has one writer: every transaction takes its lock up front (BEGIN IMMEDIATE), and callers in
        # this process queue here in order instead of polling the lock in busy_timeout sleeps.
        self._writer = asyncio.Lock() if self.is_sqlite else None
        self._holder: asyncio.Task[Any] | None = None

    @property
    def is_sqlite(self) -> bool:
        return self.url.get_backend_name() == "sqlite"

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        """A unit of work: commits when the block ends normally, rolls back on any error."""
        async with self._turn(), self.sessions() as session, session.begin():
            yield session

    @asynccontextmanager
    async def unit_of_work(self) -> AsyncIterator[UnitOfWork]:
        """A unit of work with its repositories: commits when the block ends normally, else rolls back."""
        async with self._turn(), self.sessions() as session, session.begin():
            yield UnitOfWork(session)

    async def run(self, work: Callable[[UnitOfWork], Awaitable[T]]) -> T:
        """`work(uow)` as one unit of work, run as one call (bot/store/one_call.py; SQLite: inline on the loop,
        PostgreSQL: in one greenlet): committed when it returns, rolled back when it raises. `work` awaits only
        its repositories."""
        if self._one_call is None:
            # PostgreSQL: the same one call, in one greenlet over asyncpg (each statement still waits for the
            # server on the loop; psycopg in threads measured slower).
            async with self.sessions() as session, session.begin():
                return await session.run_sync(lambda sync: call_on(sync, work))
        async with self._turn():
            return await self._one_call.run(work)

    @asynccontextmanager
    async def _turn(self) -> AsyncIterator[None]:
        """SQLite: this process's turn at the writer (a unit opened inside another by the same task shares it)."""
        task = asyncio.current_task()
        if self._writer is None or self._holder is task:
            yield
            return
        async with self._writer:
            self._holder = task
            try:
                yield
            finally:
                self._holder = None

    async def ping(self) -> None:
        """One round trip to the database (the health check): raises when it is away."""
        async with self.engine.connect() as conn:
            await conn.exec_driver_sql("SELECT 1")

    async def upgrade(self, revision: str = "heads") -> None:
        """Create or migrate the schema with Alembic (the same migrations on SQLite and PostgreSQL)."""
        from alembic import command

        async with self.engine.begin() as conn:
            await conn.run_sync(lambda sync_conn: command.upgrade(alembic_config(sync_conn), revision))

    async def current_revision(self) -> str | None:
        from alembic.runtime.migration import MigrationContext

        async with self.engine.connect() as conn:
            return await conn.run_sync(lambda c: MigrationContext.configure(c).get_current_revision())

    async def dispose(self) -> None:
        if self._one_call is not None:
            self._one_call.close()
        await self.engine.dispose()


def alembic_config(connection: Connection | None = None) -> Any:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.attributes["connection"] = connection
    return cfg
