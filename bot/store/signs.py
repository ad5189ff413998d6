"""A signed header pair serves the messages signed with it, and no others (DingTalk callbacks sign only the
timestamp, in milliseconds, not the body).

The message ids first seen with a (timestamp, sign) pair within `SAME_MOMENT` of its first use own it: two
messages DingTalk sends in the same millisecond carry the same headers (measured: 2 in 10,000 callbacks at
56 a second), and refusing the second would lose it. The same message again (a platform retry) passes at any
time; another body under those headers later is a replay and is refused. So a captured header pair can carry
a forged body only in the first seconds of its use, not for the hour DingTalk lets it live. Rows live in the
database, so every instance sharing it agrees; they are pruned once the timestamp is out of the window.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import and_, delete, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import SQLAlchemyError

from bot.platforms import Rejected
from bot.store.db import Database, retry_transient
from bot.store.enroll_tables import as_utc
from bot.store.sign_tables import CallbackSign
from bot.store.uow import UnitOfWork

WINDOW = timedelta(hours=1)  # dingtalk.WINDOW_MS: a sign older than this is refused as stale anyway
SAME_MOMENT = timedelta(seconds=5)  # other message ids may join a pair this long after its first use


async def claim_sign(
    db: Database,
    platform: str,
    timestamp: str,
    sign: str,
    message_id: str,
    now: datetime,
    budget: float = 3.0,
) -> None:
    """Bind (timestamp, sign) to `message_id`; Rejected(401) if other messages have held the pair for longer
    than `SAME_MOMENT` without it.

    Fails closed: a database away for longer than `budget` seconds is a 503 (the platform retries)."""
    if len(sign) > 64 or len(timestamp) > 20:
        raise Rejected(401, "sign or timestamp too long")
    signed_at = datetime.fromtimestamp(int(timestamp) / 1000, UTC)
    insert = sqlite_insert if db.is_sqlite else pg_insert
    pair = and_(
        CallbackSign.platform == platform, CallbackSign.timestamp == timestamp, CallbackSign.sign == sign
    )
    row = {
        "platform": platform,
        "timestamp": timestamp,
        "sign": sign,
        "message_id": message_id,
        "signed_at": signed_at,
        "claimed_at": now.astimezone(UTC),
    }

    async def claim(uow: UnitOfWork) -> bool:
        held = (
            await uow.session.execute(select(CallbackSign.message_id, CallbackSign.claimed_at).where(pair))
        ).all()
        if any(owner == message_id for owner, _ in held):
            return True  # a retry of a message that holds it
        first = min((as_utc(at) or now for _, at in held), default=None)
        if first is not None and now - first > SAME_MOMENT:
            return False
        await uow.session.execute(insert(CallbackSign).values(**row).on_conflict_do_nothing())
        return True

    try:
        allowed = await retry_transient(lambda: db.run(claim), budget, "sign check")
    except (SQLAlchemyError, OSError) as exc:
        raise Rejected(503, f"sign check: database unavailable ({type(exc).__name__})") from None
    if not allowed:
        raise Rejected(401, "sign already used for another message")


async def prune_signs(db: Database, now: datetime) -> int:
    """Forget signs whose timestamp is out of the window (they would be refused as stale). UTC on both
    sides: SQLite keeps datetimes naive."""
    async with db.transaction() as s:
        result = await s.execute(
            delete(CallbackSign).where(CallbackSign.signed_at < (now - WINDOW).astimezone(UTC))
        )
    return int(result.rowcount)  # type: ignore[attr-defined]
