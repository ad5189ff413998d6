"""Benchmark: signed and encrypted WeCom callbacks carrying `请假 明天` at 32 concurrent connections (SQLite),
next to a bare aiohttp hello-world handler measured in the same run.

Run: python bench/callbacks.py [--requests 2000] [--concurrency 32] [--pg-url postgresql+asyncpg://...]
Target on the 2-core reference machine: ratio >= 0.25 and p99 < 100 ms. The "edge only" leg replaces the
pipeline by a constant answer (labelled as such) to show what the callback layer itself costs.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import aiohttp
from aiohttp import web
from sqlalchemy import event

from bot.app import SERVICES, create_app
from bot.clock import SystemClock
from bot.demo import load_demo
from bot.domain.messages import IncomingMessage, Reply
from bot.pipeline import Outcome
from bot.platforms.wecom import WecomCrypto
from bot.settings import load_settings
from bot.store.db import Database
from bot.store.schema import truncate_all

TOKEN, KEY = "bench-token", "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C"
PARENTS = ["parent-li", "parent-liu", "parent-chen", "parent-zhang-grandma"]


async def serve(app: web.Application) -> tuple[web.AppRunner, int]:
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    return runner, site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]


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


async def hello_world(n: int, concurrency: int) -> dict[str, float]:
    async def hello(request: web.Request) -> web.Response:
        await request.read()
        return web.Response(text="hello")

    app = web.Application()
    app.router.add_post("/", hello)
    runner, port = await serve(app)
    try:
        return await load(f"http://127.0.0.1:{port}/", [({}, b"{}")] * n, concurrency)
    finally:
        await runner.cleanup()


class EdgeOnly:
    """Stands in for the pipeline in the edge-only leg: isolates verify+decrypt+parse+encrypt+HTTP."""

    async def handle_message(self, msg: IncomingMessage) -> Outcome:
        return Outcome(Reply("好的"), "edge")


async def bot_callbacks(db_url: str, n: int, concurrency: int, edge_only: bool = False) -> dict[str, float]:
    settings = load_settings(database={"url": db_url}, wecom={"token": TOKEN, "encoding_aes_key": KEY})
    db = Database(db_url)
    await db.upgrade()
    if not db.is_sqlite:
        await truncate_all(db.engine)
    await load_demo(db, settings, SystemClock())
    crypto = WecomCrypto(TOKEN, KEY, "")
    requests = []
    for i in range(n):
        payload = {"msgid": f"bench-{i}", "aibotid": "b", "chatid": "demo-3-2", "chattype": "group",
                   "from": {"userid": PARENTS[i % len(PARENTS)]}, "response_url": "http://127.0.0.1:9/x",
                   "msgtype": "text", "text": {"content": "@托管助手 请假 明天"}}
        sealed = crypto.encrypt(json.dumps(payload, ensure_ascii=False), str(int(time.time())))
        params = {"msg_signature": sealed["msgsignature"], "timestamp": sealed["timestamp"], "nonce": sealed["nonce"]}
        requests.append((params, json.dumps({"encrypt": sealed["encrypt"]}).encode()))
    app = create_app(settings, db=db)
    if edge_only:
        app[SERVICES].pipeline = EdgeOnly()  # type: ignore[assignment]
    statements = 0

    def count(*_: object) -> None:
        nonlocal statements
        statements += 1

    runner, port = await serve(app)
    event.listen(db.engine.sync_engine, "before_cursor_execute", count)
    try:
        result = await load(f"http://127.0.0.1:{port}/wecom/callback", requests, concurrency)
    finally:
        event.remove(db.engine.sync_engine, "before_cursor_execute", count)
        await runner.cleanup()
    result["statements"] = statements / n  # per request, BEGIN included; COMMIT is not a cursor execute
    return result


def show(label: str, r: dict[str, float]) -> None:
    statements = f"  statements/request {r['statements']:.1f}" if "statements" in r else ""
    print(f"{label:<28} {r['rps']:8.0f} req/s  p50 {r['p50']:6.1f} ms  p99 {r['p99']:6.1f} ms  "
          f"max {r['max']:6.1f} ms  errors {int(r['errors'])}{statements}")


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--pg-url", default="")
    args = parser.parse_args()
    base = await hello_world(args.requests, args.concurrency)
    show("aiohttp hello world", base)
    with tempfile.TemporaryDirectory() as tmp:
        edge = await bot_callbacks(f"sqlite+aiosqlite:///{Path(tmp) / 'edge.db'}", args.requests, args.concurrency,
                                   edge_only=True)
        show("wecom edge only (no pipeline)", edge)
        print(f"{'':<28} ratio to hello world: {edge['rps'] / base['rps']:.2f}")
        legs = [("sqlite", f"sqlite+aiosqlite:///{Path(tmp) / 'bench.db'}")]
        if args.pg_url:
            legs.append(("postgresql", args.pg_url))
        for name, url in legs:
            result = await bot_callbacks(url, args.requests, args.concurrency)
            show(f"wecom callback ({name})", result)
            print(f"{'':<28} ratio to hello world: {result['rps'] / base['rps']:.2f}")


if __name__ == "__main__":
    asyncio.run(main())
