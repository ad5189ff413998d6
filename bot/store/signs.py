"""One use per signed header pair (DingTalk callbacks sign only the timestamp, not the body).

The first message id seen with a (timestamp, sign) pair owns it: the same message again (a platform
retry) passes, any other body under the same headers is a replay and is refused. Rows live in the
database, so every instance sharing it agrees; they are pruned once the timestamp is out of the window.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import cast

from sqlalchemy import delete, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import SQLAlchemyError

from bot.platforms import Rejected
from bot.store.db import Database, retry_transient
from bot.store.sign_tables import CallbackSign
from bot.store.uow import UnitOfWork

WINDOW = timedelta(hours=1)  # dingtalk.WINDOW_MS: a sign older than this is refused as stale anyway


async def claim_sign(
    db: Database, platform: str, timestamp: str, sign: str, message_id: str, budget: float = 3.0
) -> None:
    """Bind (timestamp, sign) to `message_id`; Rejected(401) if it is already bound to another message.

    Fails closed: a database away for longer than `budget` seconds is a 503 (the platform retries)."""
    if len(sign) > 64 or len(timestamp) > 20:
        raise Rejected(401, "sign or timestamp too long")
    signed_at = datetime.fromtimestamp(int(timestamp) / 1000, UTC)
    insert = sqlite_insert if db.is_sqlite else pg_insert
    row = {
        "platform": platform,
        "timestamp": timestamp,
        "sign": sign,
        "message_id": message_id,
        "signed_at": signed_at,
    }

    async def claim(uow: UnitOfWork) -> str | None:
        await uow.session.execute(insert(CallbackSign).values(**row).on_conflict_do_nothing())
        return cast(
            str | None,
            await uow.session.scalar(
                select(CallbackSign.message_id).where(
                    CallbackSign.platform == platform,
                    CallbackSign.timestamp == timestamp,
                    CallbackSign.sign == sign,
                )
            ),
        )

    try:
        owner = await retry_transient(lambda: db.run(claim), budget, "sign check")
    except (SQLAlchemyError, OSError) as exc:
        raise Rejected(503, f"sign check: database unavailable ({type(exc).__name__})") from None
    if owner != message_id:
        raise Rejected(401, "sign already used for another message")


async def prune_signs(db: Database, now: datetime) -> int:
    """Forget signs whose timestamp is out of the window (they would be refused as stale). UTC on both
    sides: SQLite keeps datetimes naive."""
    async with db.transaction() as s:
        result = await s.execute(
            delete(CallbackSign).where(CallbackSign.signed_at < (now - WINDOW).astimezone(UTC))
        )
    return int(result.rowcount)  # type: ignore[attr-defined]
