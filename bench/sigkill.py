"""Fault: `tuoguan serve` SIGKILLed during a push burst and restarted; checks every push lands, none twice.

Run by hand (it waits out the 2-minute outbox lease in real time): `python bench/sigkill.py`.
DingTalk pushes carry msgUuid, so a resend after the kill is dropped by the platform; WeCom has no
idempotency key, so the push in flight at the kill may show twice (at most one per WeCom robot).
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from aiohttp import web

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from sqlalchemy import func, select

from bot.clock import SystemClock
from bot.demo import load_demo
from bot.domain.messages import Push
from bot.settings import load_settings
from bot.store.db import Database
from bot.store.outbox import enqueue
from bot.store.outbox_tables import OutboxMessage
from bot.store.tables import Chat
from tests.fakes.platforms import FakePlatforms

PER_CHAT = 15  # under the 20/min robot limit: the whole burst goes out at once


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def prepare(db: Database, base: str) -> tuple[dict[str, str], dict[str, str]]:
    settings = load_settings(wecom={"api_base": base}, dingtalk={"api_base": base})
    await db.upgrade()
    await load_demo(db, settings, SystemClock())
    keys: dict[str, str] = {}
    secrets: dict[str, str] = {}
    async with db.transaction() as s:
        chats = (await s.scalars(select(Chat).order_by(Chat.id))).all()
        pushes = []
        for n, chat in enumerate(chats):
            chat.platform = "wecom" if n % 2 == 0 else "dingtalk"
            chat.webhook, chat.webhook_secret = f"robot-{n}", "SECret" if n % 2 else ""
            (keys if n % 2 == 0 else secrets)[chat.webhook] = "SECret"
            pushes += [
                Push(key=f"burst-{n}-{i}", text=f"群{n} 第{i}条", chat_ref=chat.id) for i in range(PER_CHAT)
            ]
        await s.flush()
        await enqueue(s, pushes, SystemClock().now())
    return keys, secrets


def serve(env: dict[str, str], port: int, log: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "bot.cli", "serve", "--port", str(port)],
        env=env,
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
    )


async def pending(db: Database) -> int:
    async with db.transaction() as s:
        return int(
            await s.scalar(
                select(func.count())
                .select_from(OutboxMessage)
                .where(OutboxMessage.key.like("burst-%"), OutboxMessage.state != "sent")
            )
            or 0
        )


async def main() -> int:
    tmp = Path(tempfile.mkdtemp(prefix="tuoguan-kill-"))
    fake = FakePlatforms(SystemClock())
    runner = web.AppRunner(fake.app(), access_log=None)
    await runner.setup()
    fake_port = free_port()
    await web.TCPSite(runner, "127.0.0.1", fake_port).start()
    base = f"http://127.0.0.1:{fake_port}"
    url = f"sqlite+aiosqlite:///{tmp / 'kill.db'}"
    db = Database(url)
    keys, secrets = await prepare(db, base)
    fake.wecom_keys, fake.dingtalk_secrets = set(keys), secrets
    env = {
        **os.environ,
        "TUOGUAN_DATABASE__URL": url,
        "TUOGUAN_WECOM__API_BASE": base,
        "TUOGUAN_DINGTALK__API_BASE": base,
    }
    log, port = tmp / "serve.log", free_port()
    total = PER_CHAT * (len(keys) + len(secrets))
    bot = serve(env, port, log)
    for _ in range(3000):  # up to 30 s for the burst to be a third out
        if sum(len(v) for v in fake.received.values()) >= total // 3:
            break
        await asyncio.sleep(0.01)
    bot.send_signal(signal.SIGKILL)
    bot.wait()
    killed_at = sum(len(v) for v in fake.received.values())
    print(f"SIGKILL after {killed_at}/{total} pushes shown; restarting")
    started = time.monotonic()
    bot = serve(env, port, log)
    try:
        for _ in range(300):  # the dead process's lease (2 min) must expire first
            if not await pending(db):
                break
            await asyncio.sleep(1)
    finally:
        bot.send_signal(signal.SIGTERM)
        bot.wait(30)
    shown = [
        m["text"]["content"]
        for robot in fake.received.values()
        for m in robot
        if "第" in m["text"]["content"]
    ]
    expected = {f"群{n} 第{i}条" for n in range(len(keys) + len(secrets)) for i in range(PER_CHAT)}
    doubled = sorted({t for t in shown if shown.count(t) > 1})
    ding_doubled = [t for t in doubled if int(t[1 : t.index(" ")]) % 2 == 1]
    print(
        f"recovered in {time.monotonic() - started:.0f} s; shown {len(shown)}, expected {len(expected)}; "
        f"shown twice: {doubled or 'none'}"
    )
    print(f"bot log: {log}")
    assert set(shown) == expected, "a push was lost"
    assert not ding_doubled, "a DingTalk push was shown twice"
    assert len(doubled) <= len(keys), "more than the in-flight WeCom push per robot was shown twice"
    await db.dispose()
    await runner.cleanup()
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
