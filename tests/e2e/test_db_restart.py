"""Fault: a private PostgreSQL instance restarts mid-afternoon; the pool recovers and no push is lost or doubled."""

from __future__ import annotations

import asyncio
import glob
import logging
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from sqlalchemy import select

from bot.clock import FixedClock
from bot.demo import load_demo
from bot.domain.messages import Push
from bot.metrics import Metrics
from bot.outbox.worker import OutboxWorker
from bot.settings import load_settings
from bot.store.db import Database
from bot.store.outbox import enqueue
from bot.store.outbox_tables import OutboxMessage
from bot.store.tables import Chat
from tests.conftest import shanghai
from tests.fakes.platforms import FakePlatforms

PORT = 55432


def _bin(name: str) -> str | None:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    return found[-1] if found else None


@pytest.fixture
def private_pg() -> Iterator[Any]:
    """initdb + pg_ctl as the postgres user into a temp dir; never touches the shared cluster."""
    initdb, pg_ctl = _bin("initdb"), _bin("pg_ctl")
    if not initdb or not pg_ctl or not shutil.which("runuser") or os.geteuid() != 0:
        pytest.skip("private PostgreSQL needs initdb/pg_ctl and root (runuser -u postgres)")
    root = Path(tempfile.mkdtemp(prefix="tuoguan-pg-"))  # pytest's tmp dirs are 0700: postgres cannot enter
    root.chmod(0o755)
    data = root / "pgdata"
    data.mkdir()
    shutil.chown(data, "postgres", "postgres")
    as_pg = ["runuser", "-u", "postgres", "--"]
    subprocess.run([*as_pg, initdb, "-D", str(data), "--auth=trust", "-U", "postgres"], check=True,
                   capture_output=True)
    opts = f"-p {PORT} -k {data} -c listen_addresses=127.0.0.1"

    def ctl(*args: str) -> None:
        subprocess.run([*as_pg, pg_ctl, "-D", str(data), "-o", opts, "-w", "-l", str(data / "log"), *args],
                       check=True, capture_output=True)

    ctl("start")
    try:
        yield ctl
    finally:
        subprocess.run([*as_pg, pg_ctl, "-D", str(data), "-m", "immediate", "stop"], capture_output=True)
        shutil.rmtree(root, ignore_errors=True)


async def test_pool_recovers_after_a_database_restart(private_pg: Any, aiohttp_server: Any,
                                                      caplog: pytest.LogCaptureFixture) -> None:
    db = Database(f"postgresql+asyncpg://postgres@127.0.0.1:{PORT}/postgres")
    await db.upgrade()
    clock = FixedClock(shanghai(2026, 11, 23, 17, 0))
    fake = FakePlatforms(clock, wecom_keys={"key-a"}, dingtalk_secrets={"tok-d": "SECret"})
    base = str((await aiohttp_server(fake.app())).make_url("")).rstrip("/")
    settings = load_settings(wecom={"api_base": base}, dingtalk={"api_base": base})
    await load_demo(db, settings, clock)
    async with db.transaction() as s:
        chats = (await s.scalars(select(Chat).order_by(Chat.id))).all()
        chats[0].webhook = "key-a"
        chats[1].platform, chats[1].webhook, chats[1].webhook_secret = "dingtalk", "tok-d", "SECret"
        a, d = chats[0].id, chats[1].id
    http = aiohttp.ClientSession()
    worker = OutboxWorker(db, settings, clock, http, Metrics(), instance="w1")
    caplog.set_level(logging.INFO)
    try:
        async with db.transaction() as s:
            await enqueue(s, [Push(key=f"p{i}", text=f"第{i}条", chat_ref=(a, d)[i % 2]) for i in range(10)], clock.now())
        await worker.run_once()  # opens pooled connections, delivers the first batch
        private_pg("restart", "-m", "fast")  # every pooled connection is now dead
        async with db.transaction() as s:  # pool_pre_ping replaces them: no error for the first caller
            await enqueue(s, [Push(key=f"q{i}", text=f"重启后{i}", chat_ref=(a, d)[i % 2]) for i in range(10)],
                          clock.now())
        private_pg("stop", "-m", "fast")
        stop = asyncio.Event()
        running = asyncio.create_task(worker.run(stop, poll_seconds=0.05))  # as `tuoguan serve` runs it
        await asyncio.sleep(0.5)
        assert "outbox pass failed; retrying" in caplog.text  # the database is down: logged, kept trying
        await asyncio.to_thread(private_pg, "start")
        for _ in range(200):
            clock.advance(seconds=10)
            await asyncio.sleep(0.05)
            if len(fake.received["key-a"]) + len(fake.received["tok-d"]) >= 20:
                break
        stop.set()
        await running
        async with db.transaction() as s:
            rows = (await s.scalars(select(OutboxMessage.state))).all()
    finally:
        await http.close()
        await db.dispose()
    shown = [m["text"]["content"] for robot in ("key-a", "tok-d") for m in fake.received[robot]]
    expected = [f"第{i}条" for i in range(10)] + [f"重启后{i}" for i in range(10)]
    assert sorted(shown) == sorted(expected)  # each exactly once
    assert set(rows) == {"sent"} and len(rows) >= 20
