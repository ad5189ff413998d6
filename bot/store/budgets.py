"""Shared send budgets: at most 20 sends in any 60 s per robot (and per app user), and the platform's pause.

Every instance reserves its send slots in the same row, under a row lock (PostgreSQL `FOR UPDATE`;
SQLite has one writer), before it sends; the reservation is committed first, so a restarted process
still knows what was sent in the last minute and two instances never spend one robot's budget twice.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import cast

from sqlalchemy import Table, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from bot.store.db import Database
from bot.store.outbox_tables import SendBudget
from bot.store.uow import UnitOfWork

PER_MINUTE = 20
WINDOW_SECONDS = 60.0
BUDGETS = cast(Table, SendBudget.__table__)


@dataclass(frozen=True)
class Bucket:
    """A sender the platform limits. `name` may hold a secret (a robot key): only its hash is stored."""

    name: str
    kind: str

    @property
    def id(self) -> str:
        return hashlib.sha256(self.name.encode()).hexdigest()


def _aware(value: datetime | None) -> datetime | None:
    # SQLite hands back naive datetimes; they were written in UTC.
    return value.replace(tzinfo=UTC) if value is not None and value.tzinfo is None else value


async def _locked(session: AsyncSession, buckets: Sequence[Bucket], now: datetime) -> dict[str, SendBudget]:
    """The budget rows of these buckets, created when missing, locked for this transaction (in key order)."""
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    rows = [
        {"bucket": b.id, "kind": b.kind, "sent": [], "updated_at": now.astimezone(UTC)}
        for b in sorted({b.id: b for b in buckets}.values(), key=lambda b: b.id)
    ]
    await session.execute(insert(BUDGETS).on_conflict_do_nothing(index_elements=["bucket"]), rows)
    found = await session.scalars(
        select(SendBudget)
        .where(SendBudget.bucket.in_([r["bucket"] for r in rows]))
        .order_by(SendBudget.bucket)
        .with_for_update()
    )
    return {row.bucket: row for row in found}


async def reserve(
    db: Database,
    window: Bucket,
    parts: int,
    now: datetime,
    pauses: Sequence[Bucket] = (),
    limit: int = PER_MINUTE,
    seconds: float = WINDOW_SECONDS,
) -> datetime | None:
    """Take `parts` send slots of `window` (at most `limit` in any `seconds`) now (None), or say when they
    will be free.

    A pause on the window or on any of `pauses` (e.g. the whole app after its frequency limit) also waits.
    """

    async def take(uow: UnitOfWork) -> datetime | None:
        session = uow.session
        rows = await _locked(session, [window, *pauses], now)
        budget, stamp = rows[window.id], now.timestamp()
        recent = sorted(t for t in budget.sent if stamp - t < seconds)
        free = stamp
        over = len(recent) + parts - limit
        if parts > limit:
            raise ValueError(
                f"{parts} parts can never fit one {limit}-per-{seconds:.0f}s window: send them in turns"
            )
        if over > 0:
            free = recent[over - 1] + seconds
        at = datetime.fromtimestamp(free, UTC)
        for row in rows.values():
            paused = _aware(row.paused_until)
            if paused is not None and paused > at:
                at = paused
        if at > now:
            budget.sent = recent
            return at
        budget.sent = recent + [stamp] * parts
        budget.updated_at = now.astimezone(UTC)
        return None

    return await db.run(take)


async def pause(db: Database, bucket: Bucket, until: datetime, now: datetime) -> None:
    """The platform said too fast: no instance sends through this bucket before `until`."""
    async with db.transaction() as session:
        row = (await _locked(session, [bucket], now))[bucket.id]
        current = _aware(row.paused_until)
        if current is None or current < until:
            row.paused_until = until.astimezone(UTC)
        row.updated_at = now.astimezone(UTC)
