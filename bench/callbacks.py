"""Benchmark: signed and encrypted WeCom callbacks carrying `请假 明天` at 32 concurrent connections, the server
(`tuoguan serve`, durable inbox included) in its own process, next to a bare aiohttp hello-world server measured
in the same run in its own process(es).

Run: python bench/callbacks.py [--requests 2000] [--concurrency 32] [--pg-url postgresql+asyncpg://...]
     [--workers N] [--profile DIR]
--workers N: `tuoguan serve --workers N` and N hello-world processes on one port (SO_REUSEPORT).
--profile DIR: the bot servers run under `py-spy record` (DIR/<leg>.txt, collapsed stacks).
BENCH_THREADS=1 prints each server thread's CPU per request.
Target (issue 17): ratio >= 0.25 of hello world and p99 < 100 ms on SQLite and on PostgreSQL. Each leg prints the
server's CPU per message (user + system time of the server processes over the run, from /proc).
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import contextlib
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import aiohttp  # noqa: E402

from bot.platforms.wecom import WecomCrypto  # noqa: E402

TOKEN, KEY = "bench-token", "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C"
PARENTS = ["parent-li", "parent-liu", "parent-chen", "parent-zhang-grandma"]
HELLO = """
import signal, subprocess, sys
from aiohttp import web

async def hello(request):
    await request.read()
    return web.Response(text="hello")

port, count = sys.argv[1], int(sys.argv[2])
others = [subprocess.Popen([sys.executable, __file__, port, "1"]) for _ in range(count - 1)]  # same port
signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt))
app = web.Application()
app.router.add_post("/", hello)
app.router.add_get("/healthz", hello)
try:
    web.run_app(app, host="127.0.0.1", port=int(port), access_log=None, print=None, reuse_port=True)
finally:
    for other in others:
        other.terminate()
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU time of these processes and their children that were waited for (from /proc)."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except FileNotFoundError:
            continue
        total += sum(int(f) for f in fields[11:15])  # utime stime cutime cstime
    return total / ticks


def thread_cpu(pids: list[int]) -> collections.Counter[str]:
    """CPU seconds by thread name (BENCH_THREADS=1 prints where a request's CPU goes: loop, database, ...)."""
    ticks, found = os.sysconf("SC_CLK_TCK"), collections.Counter[str]()
    for pid in pids:
        for task in Path(f"/proc/{pid}/task").iterdir():
            with contextlib.suppress(FileNotFoundError):
                name = (task / "comm").read_text().strip()
                fields = (task / "stat").read_text().rsplit(")", 1)[1].split()
                found[f"{name}:{task.name}"] += (int(fields[11]) + int(fields[12])) / ticks
    return found


def tree(pid: int) -> list[int]:
    """`pid` and its descendants (any processes the server starts)."""
    found = [pid]
    for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split():
        found += tree(int(child))
    return found


async def wait_ready(port: int, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    async with aiohttp.ClientSession() as session:
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise RuntimeError(f"server exited with {proc.returncode}")
            try:
                async with session.get(f"http://127.0.0.1:{port}/healthz") as resp:
                    if resp.status == 200:
                        return
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.2)
    raise RuntimeError("server not ready in 60 s")


async def load(url: str, requests: list[tuple[dict[str, str], bytes]], concurrency: int) -> dict[str, float]:
    latencies: list[float] = []
    errors = 0
    queue = iter(requests)

    async def worker(session: aiohttp.ClientSession) -> None:
        nonlocal errors
        for params, body in queue:
            started = time.perf_counter()
            async with session.post(url, params=params, data=body) as resp:
                await resp.read()
                if resp.status != 200:
                    errors += 1
            latencies.append(time.perf_counter() - started)

    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector) as session:
        started = time.perf_counter()
        await asyncio.gather(*(worker(session) for _ in range(concurrency)))
        elapsed = time.perf_counter() - started
    latencies.sort()
    return {
        "rps": len(latencies) / elapsed,
        "p50": statistics.median(latencies) * 1000,
        "p99": latencies[int(len(latencies) * 0.99) - 1] * 1000,
        "max": latencies[-1] * 1000,
        "errors": errors,
    }


async def measured(
    cmd: list[str],
    env: dict[str, str],
    port: int,
    url: str,
    requests: list[tuple[dict[str, str], bytes]],
    concurrency: int,
    workers: int = 1,
) -> dict[str, float]:
    """Start the server command, wait for /healthz, send the requests, and add its CPU per request."""
    log = tempfile.NamedTemporaryFile(prefix="bench-server-", suffix=".log", delete=False)  # noqa: SIM115
    proc = subprocess.Popen(cmd, env=env, cwd=ROOT, stdout=log, stderr=log)  # noqa: ASYNC220 (starts, no wait)
    try:
        try:
            await wait_ready(port, proc)
        except RuntimeError as exc:
            raise RuntimeError(f"{exc}: see {log.name}") from exc
        if workers > 1:
            await asyncio.sleep(5)  # the other workers start once the first is set up
        await load(url, requests[: max(1, len(requests) // 20)], concurrency)  # warm up (not counted)
        pids = tree(proc.pid)
        before, threads_before = cpu_seconds(pids), thread_cpu(pids)
        result = await load(url, requests, concurrency)
        result["cpu_ms"] = (cpu_seconds(pids) - before) * 1000 / len(requests)
        if os.environ.get("BENCH_THREADS"):
            for name, seconds in sorted((thread_cpu(pids) - threads_before).items(), key=lambda kv: -kv[1]):
                print(f"    thread {name:<20} {seconds * 1000 / len(requests):6.2f} ms/request")
        return result
    finally:
        stop(proc)


def stop(proc: subprocess.Popen[bytes]) -> None:
    """Stop the server and anything it started (under py-spy: SIGINT first, so that it writes its profile)."""
    pids = tree(proc.pid) if proc.poll() is None else []
    proc.send_signal(signal.SIGINT if "py-spy" in str(proc.args) else signal.SIGTERM)
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
    for pid in pids[1:]:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGTERM)


async def hello_world(n: int, concurrency: int, workers: int) -> dict[str, float]:
    port = free_port()
    script = Path(tempfile.mkdtemp(prefix="bench-hello-")) / "hello.py"
    script.write_text(HELLO)
    cmd = [sys.executable, str(script), str(port), str(workers)]
    return await measured(
        cmd, dict(os.environ), port, f"http://127.0.0.1:{port}/", [({}, b"{}")] * n, concurrency, workers
    )


def signed_requests(n: int) -> list[tuple[dict[str, str], bytes]]:
    crypto = WecomCrypto(TOKEN, KEY, "")
    requests = []
    run = f"{time.time_ns()}"
    for i in range(n + n // 20 + 1):
        payload = {
            "msgid": f"bench-{run}-{i}",
            "aibotid": "b",
            "chatid": "demo-3-2",
            "chattype": "group",
            "from": {"userid": PARENTS[i % len(PARENTS)]},
            "response_url": "http://127.0.0.1:9/x",
            "msgtype": "text",
            "text": {"content": "@托管助手 请假 明天"},
        }
        sealed = crypto.encrypt(json.dumps(payload, ensure_ascii=False), str(int(time.time())))
        params = {
            "msg_signature": sealed["msgsignature"],
            "timestamp": sealed["timestamp"],
            "nonce": sealed["nonce"],
        }
        requests.append((params, json.dumps({"encrypt": sealed["encrypt"]}).encode()))
    return requests


async def empty_database(url: str) -> None:
    """PostgreSQL: a schema at head with no rows (the server loads the demo school into it)."""
    from bot.store.db import Database
    from bot.store.schema import truncate_all

    db = Database(url)
    await db.upgrade()
    await truncate_all(db.engine)
    await db.dispose()


async def bot_callbacks(
    db_url: str, n: int, concurrency: int, workers: int = 1, profile: Path | None = None
) -> dict[str, float]:
    if not db_url.startswith("sqlite"):
        await empty_database(db_url)
    port = free_port()
    env = dict(
        os.environ,
        TUOGUAN_DATABASE__URL=db_url,
        TUOGUAN_WECOM__TOKEN=TOKEN,
        TUOGUAN_WECOM__ENCODING_AES_KEY=KEY,
        TUOGUAN_LOG__LEVEL="WARNING",
    )
    cmd = [sys.executable, "-m", "bot", "serve", "--demo", "--host", "127.0.0.1", "--port", str(port)]
    cmd += ["--workers", str(workers)]
    if profile is not None:
        leg = "sqlite" if db_url.startswith("sqlite") else "postgresql"
        out = profile / f"{leg}.txt"
        cmd = [
            "py-spy",
            "record",
            "--format",
            "raw",
            "--rate",
            "250",
            "--nonblocking",
            "-o",
            str(out),
            "--",
            *cmd,
        ]
    requests = signed_requests(n)
    warm, rest = requests[: n // 20 + 1], requests[n // 20 + 1 :]
    url = f"http://127.0.0.1:{port}/wecom/callback"
    return await measured(cmd, env, port, url, warm + rest, concurrency, workers)


def show(label: str, r: dict[str, float]) -> None:
    print(
        f"{label:<28} {r['rps']:8.0f} req/s  p50 {r['p50']:6.1f} ms  p99 {r['p99']:6.1f} ms  "
        f"max {r['max']:6.1f} ms  errors {int(r['errors'])}  server CPU {r['cpu_ms']:.2f} ms/request"
    )


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--pg-url", default="")
    parser.add_argument("--workers", type=int, default=1, help="server processes (hello world: as many)")
    parser.add_argument("--profile", type=Path, default=None, help="directory for py-spy profiles of the bot")
    args = parser.parse_args()
    base = await hello_world(args.requests, args.concurrency, args.workers)
    show("aiohttp hello world", base)
    with tempfile.TemporaryDirectory() as tmp:
        legs = [("sqlite", f"sqlite+aiosqlite:///{Path(tmp) / 'bench.db'}")]
        if args.pg_url:
            legs.append(("postgresql", args.pg_url))
        for name, url in legs:
            result = await bot_callbacks(url, args.requests, args.concurrency, args.workers, args.profile)
            show(f"wecom callback ({name})", result)
            print(f"{'':<28} ratio to hello world: {result['rps'] / base['rps']:.3f}")


if __name__ == "__main__":
    asyncio.run(main())
