"""The connection lease: one holder at a time, renewals, takeover once it lapses, release on shutdown."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.clock import FixedClock
from bot.store.db import Database
from bot.store.leases import DbLease


async def test_one_holder_then_takeover_after_the_holder_stops_renewing(db: Database) -> None:
    clock = FixedClock(datetime(2026, 3, 2, 8, 0, tzinfo=UTC))
    first = DbLease(db, clock, "wecom-bot:b1", "host-a", 60)
    second = DbLease(db, clock, "wecom-bot:b1", "host-b", 60)
    other_bot = DbLease(db, clock, "wecom-bot:b2", "host-b", 60)
    assert await first.acquire()
    assert not await second.acquire()
    assert await other_bot.acquire()  # leases are per bot
    clock.advance(seconds=50)
    assert await first.renew() and await first.acquire()  # re-acquiring one's own lease is a renewal
    clock.advance(seconds=50)
    assert not await second.acquire()  # renewed 50 s ago: still live
    clock.advance(seconds=11)
    assert await second.acquire()  # the holder died: taken over
    assert not await first.renew() and not await first.acquire()


async def test_release_hands_the_lease_over_at_once(db: Database) -> None:
    clock = FixedClock(datetime(2026, 3, 2, 8, 0, tzinfo=UTC))
    first = DbLease(db, clock, "wecom-bot:b1", "host-a", 60)
    second = DbLease(db, clock, "wecom-bot:b1", "host-b", 60)
    assert await first.acquire()
    await second.release()  # not the holder: changes nothing
    assert not await second.acquire()
    await first.release()
    assert await second.acquire()
