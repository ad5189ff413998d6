"""Two instances, one WeCom connection: the lease holder connects, the other takes over once it is SIGKILLed."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

import aiohttp
from pydantic import SecretStr

from bot.clock import SystemClock
from bot.domain.messages import IncomingMessage
from bot.platforms.wecom.long_connection import WecomLongConnection
from bot.settings import WecomSettings
from bot.store.db import Database
from bot.store.leases import DbLease
from tests.e2e.test_wecom_long_connection import SECRET, Answered
from tests.fakes.wecom_ws import FakeWecomWs, text_body, wecom_ws_server

ROOT = Path(__file__).resolve().parents[2]
LEASE_SECONDS = 1.0


class CountingLease(DbLease):
    tries = 0

    async def acquire(self) -> bool:
        self.tries += 1
        return await super().acquire()


async def test_one_connection_between_two_instances_and_takeover_after_sigkill(db: Database) -> None:
    server = FakeWecomWs("bot-1", SECRET)
    async with wecom_ws_server(server) as url, aiohttp.ClientSession() as http:
        db_url = db.engine.url.render_as_string(hide_password=False)
        holder = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "tests.fakes.wecom_holder",
            db_url,
            url,
            "proc-a",
            str(LEASE_SECONDS),
            cwd=ROOT,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
        )
        try:
            await server.wait_for(lambda: server.subscribes == 1, 30)
            replies: list[str] = []

            async def receive(msg: IncomingMessage) -> Answered:
                from bot.domain.messages import Reply

                replies.append(msg.text)
                return Answered(Reply(f"b: {msg.text}"))

            clock = SystemClock()
            lease = CountingLease(db, clock, "wecom-bot:bot-1", "proc-b", LEASE_SECONDS)
            settings = WecomSettings(
                bot_id="bot-1",
                bot_secret=SecretStr(SECRET),
                ws_url=url,
                heartbeat_seconds=0.2,
                lease_seconds=LEASE_SECONDS,
                reconnect_min_seconds=0.05,
                reconnect_max_seconds=0.2,
            )
            second = WecomLongConnection(http, settings, receive, clock, lease)
            stop = asyncio.Event()
            task = asyncio.create_task(second.run(stop))
            await server.wait_for(lambda: lease.tries >= 3 and server.pings >= 3, 30)
            assert server.subscribes == 1 and not second.connected.is_set()  # the holder keeps it alone
            await server.message(text_body("m-a", "mum", "查询"))
            await server.wait_for(lambda: len(server.replies) == 1)
            assert server.replies[0]["body"]["stream"]["content"] == "proc-a: 查询"

            holder.send_signal(signal.SIGKILL)
            await holder.wait()
            await asyncio.wait_for(second.connected.wait(), 10 * LEASE_SECONDS)
            await server.message(text_body("m-b", "mum", "已接走"))
            await server.wait_for(lambda: len(server.replies) == 2)
            assert server.replies[1]["body"]["stream"]["content"] == "b: 已接走"
            assert server.subscribes == 2 and replies == ["已接走"]
            stop.set()
            await asyncio.wait_for(task, 10)
        finally:
            if holder.returncode is None:
                holder.kill()
                await holder.wait()


async def test_kicked_by_a_foreign_connection_the_holder_keeps_its_lease(db: Database) -> None:
    """Another program using the bot kicks us: no instance of ours jumps in to kick it back."""
    server = FakeWecomWs("bot-1", SECRET)
    async with wecom_ws_server(server) as url, aiohttp.ClientSession() as http:
        clock = SystemClock()
        settings = WecomSettings(
            bot_id="bot-1",
            bot_secret=SecretStr(SECRET),
            ws_url=url,
            heartbeat_seconds=0.1,
            lease_seconds=0.6,
            reconnect_min_seconds=0.05,
            reconnect_max_seconds=0.2,
            kicked_wait_seconds=30,
        )

        async def receive(msg: IncomingMessage) -> Answered:
            return Answered(None)

        ours = WecomLongConnection(
            http, settings, receive, clock, DbLease(db, clock, "wecom-bot:bot-1", "ours-a", 0.6)
        )
        stop = asyncio.Event()
        task = asyncio.create_task(ours.run(stop))
        await server.wait_for(lambda: server.subscribes == 1)
        foreign = WecomLongConnection(http, settings, receive, clock)  # no lease: another program
        foreign_stop = asyncio.Event()
        foreign_task = asyncio.create_task(foreign.run(foreign_stop))
        await server.wait_for(lambda: server.subscribes == 2 and ours.last_outcome == "kicked")
        other = CountingLease(db, clock, "wecom-bot:bot-1", "ours-b", 0.6)
        pings = server.pings
        await server.wait_for(lambda: server.pings >= pings + 10)  # a few lease periods pass
        assert not await other.acquire()  # still held by the kicked instance, renewed while it waits
        assert server.subscribes == 2
        stop.set()
        foreign_stop.set()
        await asyncio.wait_for(asyncio.gather(task, foreign_task), 10)
