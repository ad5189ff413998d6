"""A unit of work as one synchronous call in the database's own thread (issue 17).

The repositories are written against the `AsyncSession` surface (`await session.execute(...)`). Here they get
`CallSession`: the same surface over a synchronous `Session` on a synchronous engine (pysqlite, psycopg), whose
coroutines return without ever suspending. So a whole unit of work - the message's handler, its repositories,
its audit and outbox writes - is one coroutine that runs to its end in a single `send`, and `OneCall.run`
hands that to the database's thread in one hop: no hop per statement, no greenlet, no event-loop round trip
between statements. The event loop meanwhile reads, decrypts and answers other requests.

A unit that awaits anything but its repositories (a platform call, a sleep) would suspend: `drive` refuses it
with an error instead of blocking, so such work keeps `Database.unit_of_work()`.

SQLite: one connection in one thread (the writer). PostgreSQL: a pool of connections, one thread each.
"""

from __future__ import annotations

import asyncio
import contextvars
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from typing import Any, TypeVar

from sqlalchemy import Connection, Engine, Select
from sqlalchemy.orm import Session, sessionmaker

T = TypeVar("T")


class Suspended(RuntimeError):
    """The unit of work waited on something other than its database: it cannot run as one call."""


def drive(coro: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine that never suspends to its end, here and now; its result or its error."""
    try:
        coro.send(None)
    except StopIteration as done:
        return done.value  # type: ignore[no-any-return]
    coro.close()
    raise Suspended("a unit of work run as one call awaited something besides its database")


def needs_orm(statement: Any) -> bool:
    """Does the statement load mapped objects (`select(Leave)`)? Everything else - columns, inserts, updates,
    deletes - runs on the Connection, which costs half of what the ORM's execute does per statement."""
    if not isinstance(statement, Select):
        return False
    return any(
        d.get("entity") is not None and d.get("expr") is d.get("entity")
        for d in statement.column_descriptions
    )


class CallSession:
    """The `AsyncSession` methods the repositories use, over a synchronous `Session` (none of them suspends).

    Core statements go straight to the session's Connection (same transaction); objects added to the session
    are flushed before one, as the ORM's autoflush would."""

    def __init__(self, session: Session) -> None:
        self.sync_session = session

    def _direct(self, statement: Any) -> Connection | None:
        if needs_orm(statement):
            return None
        session = self.sync_session
        if session.new or session.dirty or session.deleted:
            session.flush()
        return session.connection()

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

    @asynccontextmanager
    async def begin_nested(self) -> AsyncIterator[Any]:
        with self.sync_session.begin_nested() as nested:
            yield nested


class OneCall:
    """Runs units of work on a synchronous engine, each as one call in one of the database's threads."""

    def __init__(self, engine: Engine, threads: int, make_unit: Callable[[Any], Any]) -> None:
        self.engine = engine
        self.sessions = sessionmaker(engine, expire_on_commit=False)
        self.threads = threads
        self.executor: ThreadPoolExecutor | None = None
        self.make_unit = make_unit

    async def run(self, work: Callable[[Any], Awaitable[T]]) -> T:
        """`work(uow)` in one transaction, as one call in a database thread (or right here, with no threads):
        committed when it returns, rolled back when it raises (its error is raised here)."""
        if not self.threads:
            return self._call(work)
        if self.executor is None:
            self.executor = ThreadPoolExecutor(max_workers=self.threads, thread_name_prefix="db")
        loop = asyncio.get_running_loop()
        context = contextvars.copy_context()
        return await loop.run_in_executor(self.executor, context.run, self._call, work)

    def _call(self, work: Callable[[Any], Awaitable[T]]) -> T:
        with self.sessions() as session, session.begin():
            return drive(work(self.make_unit(CallSession(session))))  # type: ignore[arg-type]

    def close(self) -> None:
        """Close the connections in the thread that used them, then the threads (made again if used again)."""
        executor, self.executor = self.executor, None
        if executor is None:
            self.engine.dispose()
            return
        executor.submit(self.engine.dispose).result()
        executor.shutdown(wait=True)
