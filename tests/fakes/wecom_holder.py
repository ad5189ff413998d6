"""A separate process holding the WeCom long connection under the database lease (killed by a test).

python -m tests.fakes.wecom_holder DB_URL WS_URL HOLDER LEASE_SECONDS
"""

from __future__ import annotations

import asyncio
import sys

import aiohttp
from pydantic import SecretStr

from bot.clock import SystemClock
from bot.domain.messages import Accepted, IncomingMessage, Reply
from bot.platforms.wecom.long_connection import WecomLongConnection
from bot.settings import WecomSettings
from bot.store.db import Database
from bot.store.leases import DbLease


class Echo(Accepted):
    def __init__(self, text: str) -> None:
        self.fresh, self.text = True, text

    async def answer(self, within: float) -> Reply | None:
        return Reply(self.text)


async def main(db_url: str, ws_url: str, holder: str, lease_seconds: float) -> None:
    db = Database(db_url)
    settings = WecomSettings(
        bot_id="bot-1",
        bot_secret=SecretStr("bot-secret-7f3a"),
        ws_url=ws_url,
        heartbeat_seconds=0.2,
        lease_seconds=lease_seconds,
        reconnect_min_seconds=0.05,
        reconnect_max_seconds=0.2,
    )

    async def receive(msg: IncomingMessage) -> Accepted:
        return Echo(f"{holder}: {msg.text}")

    clock = SystemClock()
    async with aiohttp.ClientSession() as http:
        client = WecomLongConnection(
            http, settings, receive, clock, DbLease(db, clock, "wecom-bot:bot-1", holder, lease_seconds)
        )
        await client.run(asyncio.Event())


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4])))
