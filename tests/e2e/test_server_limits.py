"""`tuoguan serve` under a flood of slow-header connections (loopback only, bounded in count and time).

The server runs as a real `tuoguan serve` process with a small open-file limit (as a busy host would have it
relative to the flood): /healthz must keep answering, slow clients are closed after
`server.header_timeout_seconds`, and the log stays small (no traceback per failed accept()).
"""

from __future__ import annotations

import asyncio
import logging
import os
import resource
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import aiohttp
import pytest

from bot.web.limits import RateLimitedLog, accept_error_handler

SLOW = 2000  # slow-header clients, twice the default server.max_connections
SERVER_FILES = 1200  # the server's open-file limit: the flood would exhaust it without a cap
HEADER_TIMEOUT = 2.0
PARTIAL = b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: "  # never finished


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def limit_files() -> None:
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(SERVER_FILES, hard), hard))


async def healthz(port: int, within: float) -> int:
    async with (
        aiohttp.ClientSession() as http,
        http.get(f"http://127.0.0.1:{port}/healthz", timeout=aiohttp.ClientTimeout(total=within)) as resp,
    ):
        return resp.status


async def open_slow(port: int) -> tuple[asyncio.StreamReader, asyncio.StreamWriter, float]:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(PARTIAL)
    await writer.drain()
    return reader, writer, time.monotonic()


async def closed_at(reader: asyncio.StreamReader, deadline: float) -> float | None:
    """When the server closed the connection (EOF or reset), or None if still open at `deadline`."""
    try:
        await asyncio.wait_for(reader.read(), max(0.01, deadline - time.monotonic()))
    except (ConnectionError, OSError):
        pass
    except TimeoutError:
        return None
    return time.monotonic()


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[int, Path, subprocess.Popen[bytes]]]:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = SLOW + 300
    if soft < wanted and (hard == resource.RLIM_INFINITY or hard >= wanted):
        resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))  # this test process's own client sockets
    elif soft < wanted:
        pytest.skip(f"ulimit -n {soft} (hard {hard}): too low for {SLOW} client sockets")
    port = free_port()
    env = {
        **os.environ,
        "TUOGUAN_DATABASE__URL": f"sqlite+aiosqlite:///{tmp_path / 'limits.db'}",
        "TUOGUAN_SERVER__HEADER_TIMEOUT_SECONDS": str(HEADER_TIMEOUT),
        "TUOGUAN_SERVER__SIM": "false",
        "TUOGUAN_LOG__LEVEL": "INFO",
    }
    log_path = tmp_path / "serve.log"
    with log_path.open("wb") as log_file:
        proc = subprocess.Popen(
            [sys.executable, "-m", "bot.cli", "serve", "--host", "127.0.0.1", "--port", str(port)],
            env=env,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            preexec_fn=limit_files,
            cwd=Path(__file__).resolve().parents[2],
        )
    try:
        yield port, log_path, proc
    finally:
        proc.terminate()
        try:
            code = proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)
            raise
    assert code == 0, log_path.read_text()[-2000:]  # SIGTERM: a graceful stop


async def test_healthz_answers_while_thousands_of_slow_clients_hang(
    server: tuple[int, Path, subprocess.Popen[bytes]],
) -> None:
    port, log_path, _proc = server
    for _ in range(300):  # up within 30 s
        try:
            if await healthz(port, 1) == 200:
                break
        except (aiohttp.ClientError, TimeoutError):
            await asyncio.sleep(0.1)
    else:
        raise AssertionError(f"serve did not start: {log_path.read_text()[-2000:]}")

    slow: list[tuple[asyncio.StreamReader, asyncio.StreamWriter, float]] = []
    try:
        async with asyncio.timeout(60):
            for _ in range(SLOW // 200):
                slow += await asyncio.gather(*(open_slow(port) for _ in range(200)))
            started = time.monotonic()
            assert await healthz(port, 5) == 200
            assert time.monotonic() - started < 5
            deadline = time.monotonic() + HEADER_TIMEOUT + 10
            ends = await asyncio.gather(*(closed_at(r, deadline) for r, _w, _t in slow))
    finally:
        for _r, writer, _t in slow:
            writer.close()
    assert all(end is not None for end in ends), f"{sum(e is None for e in ends)} slow clients still open"
    lived = [end - opened for end, (_r, _w, opened) in zip(ends, slow, strict=True) if end is not None]
    # Those not displaced by newer ones at the connection cap lived the header timeout, not much more.
    timed_out = [t for t in lived if t >= HEADER_TIMEOUT - 0.2]
    assert len(timed_out) >= 500 and max(lived) < HEADER_TIMEOUT + 8
    assert await healthz(port, 5) == 200
    log = log_path.read_bytes()
    assert len(log) < 100_000 and log.count(b"Traceback") == 0, log[-3000:]


def test_accept_errors_are_logged_at_a_bounded_rate(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING)
    loop = asyncio.new_event_loop()
    try:
        handle = accept_error_handler(RateLimitedLog(interval=3600))
        for _ in range(5000):
            handle(
                loop,
                {
                    "message": "socket.accept() out of system resource",
                    "exception": OSError(24, "Too many open files"),
                },
            )
    finally:
        loop.close()
    lines = [r for r in caplog.records if "accept() failed" in r.getMessage()]
    assert len(lines) == 1 and "EMFILE" in lines[0].getMessage()
    assert all(r.exc_info is None for r in caplog.records)


async def test_at_the_cap_the_oldest_idle_connection_gives_way_never_a_busy_one() -> None:
    from types import SimpleNamespace

    from aiohttp import web

    from bot.web.limits import start_server

    started, release = asyncio.Event(), asyncio.Event()

    async def slow(request: web.Request) -> web.Response:
        started.set()
        await release.wait()
        return web.Response(text="slow done")

    async def fast(request: web.Request) -> web.Response:
        return web.Response(text="fast")

    app = web.Application()
    app.router.add_get("/slow", slow)
    app.router.add_get("/fast", fast)
    limits = SimpleNamespace(header_timeout_seconds=30.0, max_connections=3)
    runner, site = await start_server(app, "127.0.0.1", 0, limits, access_log=False)
    try:
        async with asyncio.timeout(30):
            busy_r, busy_w = await asyncio.open_connection("127.0.0.1", site.port)
            busy_w.write(b"GET /slow HTTP/1.1\r\nHost: x\r\n\r\n")
            await started.wait()
            idle = [await open_slow(site.port) for _ in range(2)]
            assert site.limiter.open_count == 3
            fast_r, fast_w = await asyncio.open_connection("127.0.0.1", site.port)
            fast_w.write(b"GET /fast HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            assert (await fast_r.read()).endswith(b"fast")
            assert await closed_at(idle[0][0], time.monotonic() + 5) is not None  # the oldest idle one went
            release.set()
            head = await busy_r.readuntil(b"slow done")
            assert head.startswith(b"HTTP/1.1 200")  # the busy one was never touched
            assert site.limiter.evicted >= 1
            for conn in (busy_w, fast_w, *(w for _r, w, _t in idle)):
                conn.close()
    finally:
        await runner.cleanup()


async def test_an_idle_keep_alive_connection_is_closed_after_the_timeout() -> None:
    from types import SimpleNamespace

    from aiohttp import web

    from bot.web.limits import start_server

    async def ok(request: web.Request) -> web.Response:
        return web.Response(text="ok")

    app = web.Application()
    app.router.add_get("/ok", ok)
    runner, site = await start_server(
        app, "127.0.0.1", 0, SimpleNamespace(header_timeout_seconds=0.5, max_connections=10), access_log=False
    )
    try:
        async with asyncio.timeout(20):
            reader, writer = await asyncio.open_connection("127.0.0.1", site.port)
            writer.write(b"GET /ok HTTP/1.1\r\nHost: x\r\n\r\n")  # HTTP/1.1: keep-alive
            assert (await reader.readuntil(b"ok")).startswith(b"HTTP/1.1 200")
            answered = time.monotonic()
            end = await closed_at(reader, answered + 10)
            assert end is not None and end - answered >= 0.4
            writer.close()
    finally:
        await runner.cleanup()
