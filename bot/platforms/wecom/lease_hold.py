"""The WeCom AI bot allows one connection per bot: a database lease says which instance may hold it. Here the
connection's side of that lease, which never raises (a database that is away reads as "not ours")."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Protocol

log = logging.getLogger(__name__)


class Lease(Protocol):
    """The database lease that says which instance may hold the bot's one connection."""

    async def acquire(self) -> bool: ...
    async def renew(self) -> bool: ...
    async def release(self) -> None: ...


async def wait_or_stop(stop: asyncio.Event, seconds: float) -> None:
    """Sleep `seconds`, or less if `stop` is set meanwhile."""
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), seconds)


class HeldLease:
    """A connection's lease (or none: then every check passes), renewed every third of its `seconds`."""

    def __init__(self, lease: Lease | None, seconds: float) -> None:
        self.lease, self.seconds = lease, seconds

    async def acquire(self) -> bool:
        if self.lease is None:
            return True
        try:
            return await self.lease.acquire()
        except Exception as exc:  # the database away: try again later, never connect without the lease
            log.warning("WeCom connection lease not checked: %s", type(exc).__name__)
            return False

    async def renew(self) -> bool:
        if self.lease is None:
            return True
        try:
            return await self.lease.renew()
        except Exception as exc:
            log.warning("WeCom connection lease not renewed: %s", type(exc).__name__)
            return False

    async def release(self) -> None:
        if self.lease is not None:
            with contextlib.suppress(Exception):
                await self.lease.release()

    async def hold(self, stop: asyncio.Event, seconds: float, renewing: bool) -> None:
        """Wait `seconds` (or until stopped), renewing the lease meanwhile when `renewing`."""
        loop = asyncio.get_running_loop()
        until = loop.time() + seconds
        while not stop.is_set() and (left := until - loop.time()) > 0:
            await wait_or_stop(stop, min(left, self.seconds / 3) if renewing else left)
            if renewing and not stop.is_set() and not await self.renew():
                renewing = False
