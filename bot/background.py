"""One tracked background task for the life of a `with` block (started on entry, stopped and awaited on exit),
and the name this process signs its claims with (job fires, outbox leases, the inbox, connection leases)."""

from __future__ import annotations

import asyncio
import os
import socket
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager


@asynccontextmanager
async def running(work: Callable[[asyncio.Event], Awaitable[None]]) -> AsyncIterator[None]:
    """Run `work(stop)` for the block; on exit set `stop` and wait for it to finish (never fire-and-forget)."""
    stop = asyncio.Event()
    task = asyncio.ensure_future(work(stop))
    try:
        yield
    finally:
        stop.set()
        await task


def instance_name() -> str:
    """This process among the instances sharing the database: host and process id."""
    return f"{socket.gethostname()}:{os.getpid()}"
