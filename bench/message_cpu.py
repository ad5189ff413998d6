"""Benchmark: the CPU a message costs inside the bot, without HTTP or crypto: `Inbox.receive` + `answer` for
`请假 明天` from the demo school's parents, 32 at once, in this process.

Run: python bench/message_cpu.py [--messages 2000] [--concurrency 32] [--pg-url postgresql+asyncpg://...]
Prints the process CPU per message (time.process_time, checkpoint thread included), messages per second,
and on SQLite the WAL's size at the end. Steadier than bench/callbacks.py on a noisy machine: alternate the
code before and after a change (a git worktree of the old commit, run from its directory) and compare.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.bootstrap import bootstrap  # noqa: E402
from bot.clock import SystemClock  # noqa: E402
from bot.demo import load_demo  # noqa: E402
from bot.domain.messages import IncomingMessage, Platform  # noqa: E402
from bot.settings import load_settings  # noqa: E402
from bot.store.db import Database  # noqa: E402

PARENTS = ["parent-li", "parent-liu", "parent-chen", "parent-zhang-grandma"]
WARM_UP = 200


def wal_mb(database: str) -> float:
    return os.path.getsize(f"{database}-wal") / 1e6


async def main(n: int, concurrency: int, url: str) -> None:
    db = Database(url)
    await db.upgrade()
    if not url.startswith("sqlite"):
        from bot.store.schema import truncate_all

        await truncate_all(db.engine)
    settings, clock = load_settings(database={"url": url}), SystemClock()
    await load_demo(db, settings, clock)
    inbox = bootstrap(settings, clock=clock, db=db).inbox
    run, now = time.time_ns(), clock.now()
    messages = [
        IncomingMessage(
            Platform.WECOM,
            "demo-3-2",
            PARENTS[i % len(PARENTS)],
            "@托管助手 请假 明天",
            f"cpu-{run}-{i}",
            now,
            reply_url="https://qyapi.weixin.qq.com/x",
            reply_kind="wecom_ai_bot",
            reply_expires_at=now + timedelta(hours=1),
        )
        for i in range(n + WARM_UP)
    ]

    async def one(msg: IncomingMessage) -> None:
        if await (await inbox.receive(msg, store_within=3.0)).answer(3.0) is None:
            raise RuntimeError(f"no reply in time for {msg.message_id}")

    for msg in messages[:WARM_UP]:
        await one(msg)
    queue = iter(messages[WARM_UP:])

    async def worker() -> None:
        for msg in queue:
            await one(msg)

    cpu, wall = time.process_time(), time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    await inbox.drain(10)
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    print(f"{n} msgs: CPU {1000 * cpu / n:.3f} ms/msg, wall {n / wall:.0f} msg/s")
    if url.startswith("sqlite"):
        print(f"WAL at the end: {wal_mb(str(db.url.database)):.1f} MB")
    await db.dispose()


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--pg-url", default="")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    with tempfile.TemporaryDirectory() as tmp:
        url = args.pg_url or f"sqlite+aiosqlite:///{Path(tmp) / 'bench.db'}"
        asyncio.run(main(args.messages, args.concurrency, url))
