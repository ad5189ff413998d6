"""Fault: `tuoguan serve` SIGKILLed under concurrent callbacks, restarted: every message answered 200 is
handled exactly once.

    python bench/inbox_sigkill.py [--count 1000] [--concurrency 1000] [--pg-url postgresql+asyncpg://…/test]

SQLite always; PostgreSQL too with --pg-url (a throwaway database is created next to the one named and
dropped after). For each: a fresh database with the demo school, `tuoguan serve` in its own process, `count`
signed and encrypted WeCom AI-bot callbacks (distinct msgids; 查询, leaves, late notices) sent at once over
`concurrency` connections, the server SIGKILLed once a share of them have been answered, restarted, and
then checked: every msgid answered HTTP 200 was handled (in `processed_messages`), none was handled twice
(one `message handled` log line per msgid across both processes, duplicates aside), and every deferred
reply was queued once. Prints the figures; exits non-zero when a check fails.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp
from aiohttp import web

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from sqlalchemy import func, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from bench.afternoon import free_port, wait_healthy
from bot.clock import SystemClock
from bot.demo import load_demo
from bot.platforms.wecom import WecomCrypto
from bot.settings import load_settings
from bot.store.db import Database
from bot.store.inbound_tables import InboxMessage, ProcessedMessage
from bot.store.outbox_tables import OutboxMessage

TOKEN, AES_KEY = "kill-token", "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C"
SAYINGS = [
    ("parent-wang", "查询"),
    ("parent-wang", "王小明 请假 明天"),
    ("parent-li", "今天晚点接 18:10"),
    ("parent-li", "查询"),
    ("teacher-li", "点名"),
    ("parent-wang", "王小红 请假 明天"),
]
HANDLED = re.compile(r"message handled .*message_id=(\S+) .*outcome=(\S+)")


@dataclass
class Leg:
    name: str
    sent: int = 0
    answered: set[str] = field(default_factory=set)  # msgids answered HTTP 200
    deferred: set[str] = field(default_factory=set)  # ... with an empty body (reply to come late)
    refused: int = 0  # 503 or a cut connection: not acknowledged, the platform would retry
    lost: list[str] = field(default_factory=list)
    twice: list[str] = field(default_factory=list)
    late_replies: int = 0
    recovered_seconds: float = 0.0

    def render(self) -> str:
        return (
            f"{self.name}: {self.sent} callbacks, {len(self.answered)} answered 200 before/at the kill "
            f"({len(self.deferred)} with the reply to come late), {self.refused} not acknowledged; after "
            f"restart: {len(self.lost)} lost, {len(self.twice)} handled twice, {self.late_replies} late "
            f"replies queued, inbox empty {self.recovered_seconds:.1f} s after restart"
        )


def serve(env: dict[str, str], port: int, log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "bot.cli", "serve", "--port", str(port)],
            env={**os.environ, **env},
            stdout=out,
            stderr=subprocess.STDOUT,
        )


def callback(
    crypto: WecomCrypto, msgid: str, user: str, saying: str, resp_base: str
) -> tuple[dict[str, str], str]:
    payload = {
        "msgid": msgid,
        "aibotid": "b",
        "chatid": "demo-3-2",
        "chattype": "group",
        "from": {"userid": user},
        "response_url": f"{resp_base}/reply/{msgid}",
        "msgtype": "text",
        "text": {"content": f"@托管助手 {saying}"},
    }
    sealed = crypto.encrypt(json.dumps(payload, ensure_ascii=False), str(int(time.time())))
    query = {
        "msg_signature": sealed["msgsignature"],
        "timestamp": sealed["timestamp"],
        "nonce": sealed["nonce"],
    }
    return query, json.dumps({"encrypt": sealed["encrypt"]})


async def fire(
    url: str, leg: Leg, count: int, concurrency: int, resp_base: str, kill: asyncio.Event, kill_after: int
) -> None:
    crypto = WecomCrypto(TOKEN, AES_KEY, "")
    bodies = [
        (f"k-{i}", callback(crypto, f"k-{i}", *SAYINGS[i % len(SAYINGS)], resp_base)) for i in range(count)
    ]
    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector) as http:

        async def one(msgid: str, query: dict[str, str], body: str) -> None:
            try:
                async with http.post(
                    f"{url}/wecom/callback", params=query, data=body, timeout=aiohttp.ClientTimeout(total=60)
                ) as resp:
                    answer = await resp.text()
                    if resp.status == 200:
                        leg.answered.add(msgid)
                        if not answer:
                            leg.deferred.add(msgid)
                        if len(leg.answered) >= kill_after:
                            kill.set()
                        return
            except (aiohttp.ClientError, TimeoutError):
                pass
            leg.refused += 1

        leg.sent = count
        await asyncio.gather(*(one(m, q, b) for m, (q, b) in bodies))


async def fresh_pg(base_url: str) -> tuple[str, str]:
    base = make_url(base_url)
    name = f"tuoguan_kill_{uuid.uuid4().hex[:8]}"
    engine = create_async_engine(base, isolation_level="AUTOCOMMIT")
    async with engine.connect() as conn:
        await conn.execute(text(f'CREATE DATABASE "{name}"'))
    await engine.dispose()
    return base.set(database=name).render_as_string(hide_password=False), name


async def drop_pg(base_url: str, name: str) -> None:
    engine = create_async_engine(make_url(base_url), isolation_level="AUTOCOMMIT")
    async with engine.connect() as conn:
        await conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    await engine.dispose()


async def leg(name: str, db_url: str, args: argparse.Namespace, tmp: Path) -> Leg:
    result = Leg(name)
    replies: Counter[str] = Counter()

    async def reply(request: web.Request) -> web.Response:
        await request.read()
        replies[request.match_info["msgid"]] += 1
        return web.json_response({"errcode": 0})

    fake = web.Application()
    fake.router.add_post("/reply/{msgid}", reply)
    runner = web.AppRunner(fake, access_log=None)
    await runner.setup()
    fake_port = free_port()
    await web.TCPSite(runner, "127.0.0.1", fake_port).start()
    resp_base = f"http://127.0.0.1:{fake_port}"
    db = Database(db_url)
    await db.upgrade()
    await load_demo(db, load_settings(), SystemClock())
    env = {
        "TUOGUAN_DATABASE__URL": db_url,
        "TUOGUAN_WECOM__TOKEN": TOKEN,
        "TUOGUAN_WECOM__ENCODING_AES_KEY": AES_KEY,
        "TUOGUAN_WECOM__API_BASE": resp_base,
        "TUOGUAN_SERVER__REPLY_BUDGET_SECONDS": str(args.budget),
        "TUOGUAN_INBOX__LEASE_SECONDS": str(args.lease),
        "TUOGUAN_INBOX__RECOVER_EVERY_SECONDS": "0.5",
        "TUOGUAN_LOG__LEVEL": "INFO",
    }
    log, port = tmp / f"serve-{name}.log", free_port()
    url = f"http://127.0.0.1:{port}"
    bot = serve(env, port, log)
    try:
        await wait_healthy(url, bot)
        kill = asyncio.Event()
        sender = asyncio.create_task(
            fire(
                url,
                result,
                args.count,
                args.concurrency,
                resp_base,
                kill,
                max(1, int(args.count * args.kill_share)),
            )
        )
        await asyncio.wait({sender, asyncio.create_task(kill.wait())}, return_when=asyncio.FIRST_COMPLETED)
        bot.send_signal(signal.SIGKILL)
        bot.wait()
        await sender  # the rest are cut off: not acknowledged
        answered = set(result.answered)
        bot = serve(env, port, log)
        started = time.monotonic()
        await wait_healthy(url, bot)
        while time.monotonic() - started < args.recover_seconds:
            async with db.transaction() as s:
                open_ = await s.scalar(
                    select(func.count()).select_from(InboxMessage).where(InboxMessage.state == "received")
                )
            if not open_:
                break
            await asyncio.sleep(0.2)
        result.recovered_seconds = time.monotonic() - started
        await asyncio.sleep(3)  # the outbox worker posts the late replies
    finally:
        bot.send_signal(signal.SIGTERM)
        try:
            bot.wait(30)
        except subprocess.TimeoutExpired:
            bot.kill()
    async with db.transaction() as s:
        handled = set((await s.scalars(select(ProcessedMessage.message_id))).all())
        result.late_replies = int(
            await s.scalar(
                select(func.count())
                .select_from(OutboxMessage)
                .where(OutboxMessage.key.startswith("late-reply"))
            )
            or 0
        )
    await db.dispose()
    await runner.cleanup()
    runs = Counter(
        m for m, outcome in HANDLED.findall(log.read_text(errors="replace")) if outcome != "duplicate"
    )
    result.lost = sorted(answered - handled)
    result.twice = sorted(m for m, n in runs.items() if n > 1) + sorted(
        m for m, n in replies.items() if n > 1
    )
    return result


async def run(args: argparse.Namespace) -> int:
    tmp = Path(tempfile.mkdtemp(prefix="tuoguan-inbox-kill-"))
    legs = [await leg("SQLite", f"sqlite+aiosqlite:///{tmp / 'kill.db'}", args, tmp)]
    if args.pg_url:
        url, name = await fresh_pg(args.pg_url)
        try:
            legs.append(await leg("PostgreSQL", url, args, tmp))
        finally:
            await drop_pg(args.pg_url, name)
    for one in legs:
        print(one.render())
    print(f"logs: {tmp}")
    bad = [one for one in legs if one.lost or one.twice or not one.answered]
    return 1 if bad else 0


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=1000)
    parser.add_argument(
        "--kill-share", type=float, default=0.4, help="SIGKILL once this share was answered 200"
    )
    parser.add_argument("--budget", type=float, default=0.2, help="server.reply_budget_seconds")
    parser.add_argument(
        "--lease", type=float, default=3.0, help="inbox.lease_seconds (a restart waits it out)"
    )
    parser.add_argument("--recover-seconds", type=float, default=120.0)
    parser.add_argument("--pg-url", default="")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    return asyncio.run(run(parse_args(argv)))


if __name__ == "__main__":
    sys.exit(main())
