"""Fault: a private PostgreSQL instance restarts mid-afternoon; no push, leave or late notice is lost or doubled."""

from __future__ import annotations

import asyncio
import glob
import json
import logging
import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from sqlalchemy import select

from bot.app import SERVICES, create_app
from bot.clock import FixedClock
from bot.demo import load_demo
from bot.domain.messages import Push
from bot.jobs.pickup import JOBS as PICKUP_JOBS
from bot.jobs.runner import run_job
from bot.metrics import Metrics
from bot.outbox.worker import OutboxWorker
from bot.platforms.wecom import WecomCrypto
from bot.settings import load_settings
from bot.store.care_tables import Leave, PickupPlan
from bot.store.db import Database
from bot.store.inbound_tables import ProcessedMessage
from bot.store.outbox import enqueue
from bot.store.outbox_tables import OutboxMessage
from bot.store.tables import Chat, Student
from tests.conftest import shanghai
from tests.fakes.platforms import FakePlatforms

TOKEN, AES_KEY = "restart-token", "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C"
PICKUP_REMINDER = PICKUP_JOBS[0]


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
    subprocess.run(
        [*as_pg, initdb, "-D", str(data), "--auth=trust", "-U", "postgres"], check=True, capture_output=True
    )
    with socket.socket() as probe:  # a port the OS says is free (a fixed one collided in a trial run)
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    opts = f"-p {port} -k {data} -c listen_addresses=127.0.0.1"

    def ctl(*args: str) -> None:
        subprocess.run(
            [*as_pg, pg_ctl, "-D", str(data), "-o", opts, "-w", "-l", str(data / "log"), *args],
            check=True,
            capture_output=True,
        )

    ctl.url = f"postgresql+asyncpg://postgres@127.0.0.1:{port}/postgres"  # type: ignore[attr-defined]
    ctl("start")
    try:
        yield ctl
    finally:
        subprocess.run([*as_pg, pg_ctl, "-D", str(data), "-m", "immediate", "stop"], capture_output=True)
        shutil.rmtree(root, ignore_errors=True)


async def test_pool_recovers_after_a_database_restart(
    private_pg: Any, aiohttp_server: Any, caplog: pytest.LogCaptureFixture
) -> None:
    db = Database(private_pg.url)
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
            await enqueue(
                s,
                [Push(key=f"p{i}", text=f"第{i}条", chat_ref=(a, d)[i % 2]) for i in range(10)],
                clock.now(),
            )
        await worker.run_once()  # opens pooled connections, delivers the first batch
        private_pg("restart", "-m", "fast")  # every pooled connection is now dead
        async with db.transaction() as s:  # pool_pre_ping replaces them: no error for the first caller
            await enqueue(
                s,
                [Push(key=f"q{i}", text=f"重启后{i}", chat_ref=(a, d)[i % 2]) for i in range(10)],
                clock.now(),
            )
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


async def test_messages_and_a_job_fire_during_a_database_outage_are_recorded_once(
    private_pg: Any, aiohttp_client: Any, aiohttp_server: Any, caplog: pytest.LogCaptureFixture
) -> None:
    """PostgreSQL stopped mid-afternoon: a callback that cannot be stored within the budget is refused (503,
    never acknowledged and lost), the 17:15 reminder waits for the database, and once it is back the
    platform's retries are recorded once each (a further retry of the same msgid too) and answered."""
    db = Database(private_pg.url)
    await db.upgrade()
    clock = FixedClock(shanghai(2026, 11, 23, 16, 40))
    posted: list[dict[str, Any]] = []

    async def response_url(request: web.Request) -> web.Response:
        posted.append(await request.json())
        return web.json_response({"errcode": 0})

    hook = web.Application()
    hook.router.add_post("/reply/{msgid}", response_url)
    hook_base = str((await aiohttp_server(hook)).make_url("")).rstrip("/")
    settings = load_settings(
        wecom={"token": TOKEN, "encoding_aes_key": AES_KEY, "api_base": hook_base},
        server={"reply_budget_seconds": 2.0},
        database={"retry_seconds": 30},
    )
    await load_demo(db, settings, clock)
    client = await aiohttp_client(create_app(settings, db=db, clock=clock))
    crypto = WecomCrypto(TOKEN, AES_KEY, "")

    async def say(user: str, text: str, msgid: str) -> tuple[int, str]:
        payload = {
            "msgid": msgid,
            "aibotid": "b",
            "chatid": "demo-3-2",
            "chattype": "group",
            "from": {"userid": user},
            "response_url": f"{hook_base}/reply/{msgid}",
            "msgtype": "text",
            "text": {"content": f"@托管助手 {text}"},
        }
        sealed = crypto.encrypt(json.dumps(payload, ensure_ascii=False), str(int(clock.now().timestamp())))
        resp = await client.post(
            "/wecom/callback",
            data=json.dumps({"encrypt": sealed["encrypt"]}),
            params={
                "msg_signature": sealed["msgsignature"],
                "timestamp": sealed["timestamp"],
                "nonce": sealed["nonce"],
            },
        )
        return resp.status, await resp.text()

    caplog.set_level(logging.INFO)
    try:
        assert (await say("parent-li", "请假 明天 发烧", "m-before"))[0] == 200  # the database is up
        private_pg("stop", "-m", "fast")
        reminder = asyncio.create_task(
            run_job(client.app[SERVICES], PICKUP_REMINDER, shanghai(2026, 11, 23, 17, 15))
        )
        during = [
            await say("parent-wang", "王小明 请假 明天", "m-wang"),
            await say("parent-liu", "今天晚点接 18:10", "m-liu"),
        ]
        assert [status for status, _ in during] == [
            503,
            503,
        ]  # not stored: not acknowledged, the platform retries
        assert "database unavailable" in caplog.text
        await asyncio.to_thread(private_pg, "start")
        results = await asyncio.wait_for(reminder, 60)
        after = [
            await say("parent-wang", "王小明 请假 明天", "m-wang"),
            await say("parent-liu", "今天晚点接 18:10", "m-liu"),
            await say("parent-wang", "王小明 请假 明天", "m-wang"),
        ]  # the platform retries the msgid again
        assert [status for status, _ in after] == [200, 200, 200]
        answers = [_open(crypto, body) for _, body in after]
        async with db.transaction() as s:
            leaves = (
                await s.execute(
                    select(Student.name, Leave.day)
                    .join(Leave, Leave.student_id == Student.id)
                    .order_by(Student.name)
                )
            ).all()
            handled = sorted((await s.scalars(select(ProcessedMessage.message_id))).all())
            late = (await s.scalars(select(PickupPlan.id))).all()
            reminders = (
                await s.scalars(
                    select(OutboxMessage.key).where(OutboxMessage.key.startswith("pickup-reminder"))
                )
            ).all()
    finally:
        await db.dispose()
    tomorrow = shanghai(2026, 11, 24).date()
    assert [r.status for r in results] == ["done"]
    assert len(reminders) >= 1
    assert sorted(leaves) == sorted([("李华", tomorrow), ("王小明", tomorrow)])  # each exactly once
    assert handled == ["m-before", "m-liu", "m-wang"]
    assert len(late) == 1
    assert "已为王小明请假" in answers[0] and answers[0] == answers[2]  # the retry gets the same answer
    assert "18:10" in answers[1]


def _open(crypto: WecomCrypto, body: str) -> str:
    sealed = json.loads(body)
    plain = crypto.decrypt(sealed["encrypt"], sealed["msgsignature"], sealed["timestamp"], sealed["nonce"])
    return str(json.loads(plain)["stream"]["content"])
