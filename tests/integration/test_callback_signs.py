"""DingTalk sign bookkeeping: one message per signed header pair, on both databases; no database, no pass."""

from __future__ import annotations

import asyncio
import socket

import pytest

from bot.platforms import Rejected
from bot.store.db import Database
from bot.store.signs import claim_sign

TS = "1764633600000"


async def test_concurrent_claims_of_one_sign_leave_one_owner(db: Database) -> None:
    """Two instances racing with the same headers and different bodies: exactly one message wins."""
    other = Database(db.url.render_as_string(hide_password=False))
    try:
        results = await asyncio.gather(
            *(claim_sign(d, "dingtalk", TS, "sig-race", f"m-{i}") for i, d in enumerate([db, other] * 4)),
            return_exceptions=True,
        )
    finally:
        await other.dispose()
    winners = [r for r in results if r is None]
    refused = [r for r in results if isinstance(r, Rejected) and r.status == 401]
    assert len(winners) + len(refused) == 8
    assert len(winners) == 1
    await claim_sign(
        db, "dingtalk", TS, "sig-race", next(f"m-{i}" for i, r in enumerate(results) if r is None)
    )


async def test_a_sign_check_without_a_database_fails_closed() -> None:
    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    away = Database(f"postgresql+asyncpg://postgres@127.0.0.1:{port}/none")
    try:
        with pytest.raises(Rejected) as refused:
            await claim_sign(away, "dingtalk", TS, "sig", "m-1", budget=0.3)
        assert refused.value.status == 503
    finally:
        await away.dispose()
