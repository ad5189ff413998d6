"""`tuoguan serve` writes aiohttp's access log only when `server.access_log` is true (off by default)."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

import aiohttp
import pytest

from tests.e2e.test_server_limits import free_port

ROOT = Path(__file__).resolve().parents[2]


async def serve_and_ask(tmp_path: Path, extra_env: dict[str, str]) -> str:
    """Start `tuoguan serve`, GET /healthz once it answers, stop it; its log."""
    port = free_port()
    env = {
        **os.environ,
        "TUOGUAN_DATABASE__URL": f"sqlite+aiosqlite:///{tmp_path / 'a.db'}",
        "TUOGUAN_SERVER__SIM": "false",
        "TUOGUAN_LOG__LEVEL": "INFO",
        **extra_env,
    }
    log_path = tmp_path / f"serve-{len(extra_env)}.log"
    with log_path.open("wb") as log_file:
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot.cli",
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            env=env,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            cwd=ROOT,
        )
    try:
        async with aiohttp.ClientSession() as session:
            for _ in range(300):
                try:
                    async with session.get(f"http://127.0.0.1:{port}/healthz") as resp:
                        if resp.status == 200:
                            break
                except aiohttp.ClientError:
                    await asyncio.sleep(0.1)
            else:
                raise AssertionError(log_path.read_text()[-2000:])
    finally:
        proc.terminate()
        await asyncio.wait_for(proc.wait(), 15)
    return log_path.read_text()


@pytest.mark.parametrize(("env", "logged"), [({}, False), ({"TUOGUAN_SERVER__ACCESS_LOG": "true"}, True)])
async def test_access_log_follows_the_setting(tmp_path: Path, env: dict[str, str], logged: bool) -> None:
    log = await serve_and_ask(tmp_path, env)
    assert "托管助手 listening" in log  # the bot's own INFO lines are there either way
    assert ('"GET /healthz' in log) is logged, log[-2000:]
