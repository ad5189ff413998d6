"""`tuoguan serve --workers N`: N processes on one port, the background (scheduler, outbox, long connections,
inbox recovery) in the first only; a worker that dies is started again; all stop with the first."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import aiohttp

from bot.platforms.wecom import WecomCrypto
from tests.e2e.test_server_limits import free_port

ROOT = Path(__file__).resolve().parents[2]
TOKEN, KEY = "workers-token", "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C"


def children(pid: int) -> list[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(c) for c in path.read_text().split()] if path.exists() else []


def secondaries(pid: int) -> list[int]:
    found = []
    for child in children(pid):
        try:
            if b"--secondary" in Path(f"/proc/{child}/cmdline").read_bytes():
                found.append(child)
        except FileNotFoundError:
            continue
    return found


async def until(check: object, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while not check():  # type: ignore[operator]
        if time.monotonic() > deadline:
            raise AssertionError("timed out")
        await asyncio.sleep(0.1)


def callback(i: int) -> tuple[dict[str, str], bytes]:
    payload = {
        "msgid": f"workers-{time.time_ns()}-{i}",
        "aibotid": "b",
        "chatid": "demo-3-2",
        "chattype": "group",
        "from": {"userid": "parent-li"},
        "msgtype": "text",
        "text": {"content": "@托管助手 查询"},
    }
    sealed = WecomCrypto(TOKEN, KEY, "").encrypt(
        json.dumps(payload, ensure_ascii=False), str(int(time.time()))
    )
    params = {
        "msg_signature": sealed["msgsignature"],
        "timestamp": sealed["timestamp"],
        "nonce": sealed["nonce"],
    }
    return params, json.dumps({"encrypt": sealed["encrypt"]}).encode()


async def test_workers_share_the_port_and_the_first_runs_the_background(tmp_path: Path) -> None:
    port = free_port()
    env = {
        **os.environ,
        "TUOGUAN_DATABASE__URL": f"sqlite+aiosqlite:///{tmp_path / 'w.db'}",
        "TUOGUAN_SERVER__SIM": "false",
        "TUOGUAN_LOG__LEVEL": "INFO",
        "TUOGUAN_WECOM__TOKEN": TOKEN,
        "TUOGUAN_WECOM__ENCODING_AES_KEY": KEY,
    }
    log_path = tmp_path / "serve.log"
    with log_path.open("wb") as log_file:
        proc = subprocess.Popen(  # noqa: ASYNC220 (started here, waited for at the end)
            [sys.executable, "-m", "bot", "serve", "--demo", "--workers", "3", "--port", str(port)],
            env=env,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            cwd=ROOT,
        )
    try:
        await until(lambda: len(secondaries(proc.pid)) == 2)
        first = set(secondaries(proc.pid))
        url = f"http://127.0.0.1:{port}"
        async with aiohttp.ClientSession() as session:

            async def healthy() -> bool:
                try:
                    async with session.get(f"{url}/healthz") as resp:
                        return resp.status == 200
                except aiohttp.ClientError:
                    return False

            for _ in range(300):
                if await healthy():
                    break
                await asyncio.sleep(0.1)
            await asyncio.sleep(3)  # the others are up too (each binds the same port)
            statuses = []
            for i in range(30):  # a new connection each: the kernel spreads them over the workers
                params, body = callback(i)
                async with (
                    aiohttp.ClientSession() as one,
                    one.post(f"{url}/wecom/callback", params=params, data=body) as resp,
                ):
                    statuses.append(resp.status)
            assert statuses == [200] * 30
        log = log_path.read_text()
        assert "exited with" not in log, log[-3000:]  # both bound the port and stayed up
        assert log.count("job pickup-reminder next at") == 1, log[-3000:]  # one scheduler
        os.kill(next(iter(first)), signal.SIGKILL)
        await until(lambda: len(secondaries(proc.pid)) == 2 and set(secondaries(proc.pid)) != first)
        assert "exited with" in log_path.read_text()
    finally:
        everyone = [proc.pid, *secondaries(proc.pid)]
        proc.terminate()
        proc.wait(timeout=30)
    await until(
        lambda: (
            not any(
                Path(f"/proc/{pid}").exists() and b"bot" in Path(f"/proc/{pid}/cmdline").read_bytes()
                for pid in everyone
            )
        ),
        30,
    )
