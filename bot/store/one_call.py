"""A unit of work as one synchronous call (issue 17).

The repositories are written against the `AsyncSession` surface (`await session.execute(...)`). Here they get
`CallSession`: the same surface over a synchronous `Session`, whose coroutines return without ever suspending.
So a whole unit of work - the message's handler, its repositories, its audit and outbox writes - is one
coroutine that runs to its end in a single `send` (`call_on`). Core statements go straight to the unit's
Connection, not through the ORM.

SQLite (`OneCall`): a synchronous pysqlite engine, the call made right on the event loop's thread: no thread
hop, no greenlet and no event-loop round trip per statement (SQLite's statements take microseconds; a database
thread cost more in GIL hand-offs than it saved). PostgreSQL (`Database.run`): the same call inside
`AsyncSession.run_sync`, one greenlet per unit over asyncpg instead of one per statement.

A unit that awaits anything but its repositories (a platform call, a sleep) would suspend: `drive` refuses it
with an error (rolled back), so such work keeps `Database.unit_of_work()`.

The loop must never wait long on SQLite's write lock (another process, such as a roster import, may hold it):
this engine's connection waits `BUSY_MS` at most, and `OneCall.run` tries the unit again after an async sleep
for up to `BUSY_BUDGET` seconds, as the driver's own busy timeout would have, without blocking the loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine
from typing import Any, TypeVar

from sqlalchemy import Connection, Engine, Select
from sqlalchemy import exc as sa_exc
from sqlalchemy.orm import Session, sessionmaker

from bot.store.uow import UnitOfWork
from bot.store.wal import WalCheckpointer

T = TypeVar("T")
BUSY_MS = 20  # the longest the loop blocks on a lock held by another process
BUSY_BUDGET = 30.0  # then the unit is tried again after a sleep, for this long in all


class Suspended(RuntimeError):
    """The unit of work waited on something other than its database: it cannot run as one call."""


def drive(coro: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine that never suspends to its end, here and now; its result or its error."""
    try:
        coro.send(None)
    except StopIteration as done:
        return done.value
    coro.close()
    raise Suspended("a unit of work run as one call awaited something besides its database")


def needs_orm(statement: Any) -> bool:
    """Does the statement load mapped objects (`select(Leave)`)? Everything else - columns, inserts, updates,
    deletes - runs on the Connection, which costs half of what the ORM's execute does per statement.

    A mapped entity is a selectable annotated with its mapper among the select's raw columns (read directly:
    `column_descriptions` builds the same answer at ~7 us a statement; it stays the fallback)."""
    if not isinstance(statement, Select):
        return False
    raw = getattr(statement, "_raw_columns", None)
    if raw is None:
        return any(
            d.get("entity") is not None and d.get("expr") is d.get("entity")
            for d in statement.column_descriptions
        )
    return any(c.is_selectable and "parententity" in getattr(c, "_annotations", ()) for c in raw)


class CallSession:
    """The `AsyncSession` methods the repositories use, over a synchronous `Session` (none of them suspends).

    Core statements go straight to the session's Connection (same transaction); objects added to the session
    are flushed before one, as the ORM's autoflush would."""

    def __init__(self, session: Session) -> None:
        self.sync_session = session
        self._connection: Connection | None = None  # the session's, for its one transaction

    def _direct(self, statement: Any) -> Connection | None:
        if needs_orm(statement):
            return None
        session = self.sync_session
        if session.new or session.dirty or session.deleted:
            session.flush()
        if self._connection is None:
            self._connection = session.connection()
        return self._connection

    async def execute(self, statement: Any, *args: Any, **kwargs: Any) -> Any:
        conn = self._direct(statement) if not kwargs else None
        if conn is not None:
            return conn.execute(statement, *args)
        return self.sync_session.execute(statement, *args, **kwargs)

    async def scalar(self, statement: Any, *args: Any, **kwargs: Any) -> Any:
        conn = self._direct(statement) if not kwargs else None
        if conn is not None:
            return conn.scalar(statement, *args)
        return self.sync_session.scalar(statement, *args, **kwargs)

    async def scalars(self, statement: Any, *args: Any, **kwargs: Any) -> Any:
        conn = self._direct(statement) if not kwargs else None
        if conn is not None:
            return conn.execute(statement, *args).scalars()
        return self.sync_session.scalars(statement, *args, **kwargs)

    async def get(self, *args: Any, **kwargs: Any) -> Any:
        return self.sync_session.get(*args, **kwargs)

    async def flush(self, *args: Any, **kwargs: Any) -> None:
        self.sync_session.flush(*args, **kwargs)

    async def delete(self, instance: Any) -> None:
        self.sync_session.delete(instance)

    async def merge(self, *args: Any, **kwargs: Any) -> Any:
        return self.sync_session.merge(*args, **kwargs)

    def add(self, instance: Any) -> None:
        self.sync_session.add(instance)

    def add_all(self, instances: Any) -> None:
        self.sync_session.add_all(instances)

    def get_bind(self, *args: Any, **kwargs: Any) -> Any:
        return self.sync_session.get_bind(*args, **kwargs)

    @contextlib.asynccontextmanager
    async def begin_nested(self) -> AsyncIterator[Any]:
        with self.sync_session.begin_nested() as nested:
            yield nested


def call_on(session: Session, work: Callable[[UnitOfWork], Awaitable[T]]) -> T:
    """`work` on a unit of work over this synchronous session, as one call (in its transaction)."""
    return drive(work(UnitOfWork(CallSession(session))))  # type: ignore[arg-type]


def is_busy(exc: BaseException) -> bool:
    """SQLite's write lock still held by another connection when the busy timeout ran out."""
    return isinstance(exc, sa_exc.OperationalError) and "locked" in str(exc.orig)


class OneCall:
    """Runs units of work on a synchronous engine, each as one call on the caller's thread."""

    def __init__(self, engine: Engine, checkpoints: WalCheckpointer | None = None) -> None:
        self.engine = engine
        self.sessions = sessionmaker(engine, expire_on_commit=False)
        self.checkpoints = checkpoints  # the engine's connections leave the WAL's checkpoints to it

    async def run(self, work: Callable[[UnitOfWork], Awaitable[T]]) -> T:
        """`work(uow)` in one transaction, as one call: committed when it returns, rolled back when it raises
        (its error is raised here). While another process holds the write lock it is tried again later."""
        started, delay = time.monotonic(), 0.005
        while True:
            if self.checkpoints is not None:
                await self.checkpoints.wait()
            try:
                result = self._call(work)
                if self.checkpoints is not None:
                    self.checkpoints.committed()
                return result
            except sa_exc.OperationalError as exc:
                if not is_busy(exc) or time.monotonic() - started > BUSY_BUDGET:
                    raise
            await asyncio.sleep(delay)
            delay = min(delay * 2, 0.25)

    def _call(self, work: Callable[[UnitOfWork], Awaitable[T]]) -> T:
        with self.sessions() as session, session.begin():
            return call_on(session, work)

    def close(self) -> None:
        self.engine.dispose()
        if self.checkpoints is not None:
            self.checkpoints.close()
