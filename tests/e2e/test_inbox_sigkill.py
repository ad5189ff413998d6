"""bench/inbox_sigkill.py, small: `tuoguan serve` SIGKILLed under concurrent callbacks and restarted; every
message answered 200 is handled exactly once (SQLite, PostgreSQL)."""

from __future__ import annotations

from pathlib import Path

from bench.inbox_sigkill import leg, parse_args
from bot.store.db import Database


async def test_every_acknowledged_message_survives_a_sigkill(db: Database, tmp_path: Path) -> None:
    url = db.url.render_as_string(hide_password=False)
    result = await leg(
        "db",
        url,
        parse_args(["--count", "60", "--concurrency", "30", "--kill-share", "0.3", "--lease", "1"]),
        tmp_path,
    )
    assert result.answered, "nothing was answered before the kill"
    assert result.lost == [] and result.twice == [], result.render()
