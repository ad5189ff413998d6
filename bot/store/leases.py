"""A database lease: one holder at a time, taken over by another once the holder stops renewing it.

Acquire and renew are one conditional UPDATE (holder is me, or the lease has expired) and, for a lease never
taken, one INSERT that loses cleanly to a concurrent one: atomic on PostgreSQL and SQLite alike.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, timedelta
from typing import cast

from sqlalchemy import Table, delete, insert, update
from sqlalchemy.exc import IntegrityError

from bot.clock import Clock
from bot.store.db import Database
from bot.store.lease_tables import ConnectionLease

LEASES = cast(Table, ConnectionLease.__table__)


@dataclass
class DbLease:
    db: Database
    clock: Clock
    name: str
    holder: str
    seconds: float

    async def acquire(self) -> bool:
        """Take or keep the lease for `seconds` from now; False while another live holder has it."""
        now = self.clock.now().astimezone(UTC)
        until = now + timedelta(seconds=self.seconds)
        async with self.db.transaction() as s:
            done = await s.execute(
                update(LEASES)
                .where(
                    LEASES.c.name == self.name, (LEASES.c.holder == self.holder) | (LEASES.c.expires_at < now)
                )
                .values(holder=self.holder, expires_at=until)
            )
            if getattr(done, "rowcount", 0) == 1:
                return True
        try:
            async with self.db.transaction() as s:
                await s.execute(insert(LEASES).values(name=self.name, holder=self.holder, expires_at=until))
        except IntegrityError:
            return False  # someone holds it (or took it a moment ago)
        return True

    async def renew(self) -> bool:
        """Extend the lease; False when it is no longer ours (it lapsed and another instance took it)."""
        now = self.clock.now().astimezone(UTC)
        async with self.db.transaction() as s:
            done = await s.execute(
                update(LEASES)
                .where(LEASES.c.name == self.name, LEASES.c.holder == self.holder)
                .values(expires_at=now + timedelta(seconds=self.seconds))
            )
        return getattr(done, "rowcount", 0) == 1

    async def release(self) -> None:
        """Give the lease up at once (a clean shutdown): another instance need not wait for it to expire."""
        async with self.db.transaction() as s:
            await s.execute(delete(LEASES).where(LEASES.c.name == self.name, LEASES.c.holder == self.holder))
