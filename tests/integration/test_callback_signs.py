"""DingTalk sign bookkeeping: a signed header pair serves the messages of its first moment only, on both
databases; no database, no pass."""

from __future__ import annotations

import asyncio
import socket
from datetime import UTC, datetime, timedelta

import pytest

from bot.platforms import Rejected
from bot.store.db import Database
from bot.store.signs import SAME_MOMENT, claim_sign

TS = "1764633600000"
NOW = datetime.fromtimestamp(int(TS) / 1000, UTC) + timedelta(seconds=1)


async def test_a_sign_serves_the_messages_of_its_moment_and_no_later_one(db: Database) -> None:
    """Two instances taking messages signed in the same millisecond at once: all pass. After the moment a new
    body under those headers is refused, on either instance; a retry of a message that holds them passes."""
    other = Database(db.url.render_as_string(hide_password=False))
    try:
        results = await asyncio.gather(
            *(
                claim_sign(d, "dingtalk", TS, "sig-race", f"m-{i}", NOW)
                for i, d in enumerate([db, other] * 4)
            ),
            return_exceptions=True,
        )
        assert results == [None] * 8
        later = NOW + SAME_MOMENT + timedelta(seconds=1)
        for d in (db, other):
            with pytest.raises(Rejected) as refused:
                await claim_sign(d, "dingtalk", TS, "sig-race", "m-forged", later)
            assert refused.value.status == 401
        await claim_sign(other, "dingtalk", TS, "sig-race", "m-3", later + timedelta(minutes=30))
        await claim_sign(db, "dingtalk", TS, "sig-race", "m-late-twin", NOW + SAME_MOMENT)  # still its moment
    finally:
        await other.dispose()


async def test_a_sign_check_without_a_database_fails_closed() -> None:
    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    away = Database(f"postgresql+asyncpg://postgres@127.0.0.1:{port}/none")
    try:
        with pytest.raises(Rejected) as refused:
            await claim_sign(away, "dingtalk", TS, "sig", "m-1", NOW, budget=0.3)
        assert refused.value.status == 503
    finally:
        await away.dispose()
