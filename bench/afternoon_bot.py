"""The afternoon bench's bot process: `tuoguan serve` (create_app + scheduler + outbox worker) on a compressed clock.

`python bench/afternoon_bot.py --port P --sim-start ISO --wall-start EPOCH --speed S` is started by
bench/afternoon.py with the bot's settings in TUOGUAN_* environment variables, exactly as `tuoguan serve`
reads them. The only difference from `bot.serve.run_server` is time: the services get a `ScaledClock`
(afternoon time = sim_start + (wall time - wall_start) * speed, the same formula in the load generator's
process), and the real APScheduler built by `bot.jobs.scheduler.build_scheduler` reads that clock and
waits 1/speed of each interval, so each job fires at its real afternoon time on the compressed clock.
`--hello` serves the bare aiohttp baseline on the same paths instead.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from aiohttp import web


@dataclass
class ScaledClock:
    """Afternoon time running `speed` times faster than the wall clock, from `sim_start` at `wall_start`.

    The load generator anchors `wall_start` just before it starts the bot and passes it on the command line.
    """

    sim_start: datetime
    wall_start: float
    speed: float

    def now(self) -> datetime:
        return self.at_wall(time.time())

    def at_wall(self, wall: float) -> datetime:
        return self.sim_start + timedelta(seconds=(wall - self.wall_start) * self.speed)

    def wall_at(self, moment: datetime) -> float:
        return self.wall_start + (moment - self.sim_start).total_seconds() / self.speed


def compress_scheduler_time(clock: ScaledClock) -> None:
    """Make APScheduler 3 read `clock` and sleep 1/speed of every wait (this process only).

    APScheduler asks `datetime.now(tz)` in the scheduler and the executor (misfire check) and sleeps
    with `loop.call_later` in AsyncIOScheduler._start_timer; those are the three places swapped here.
    The misfire grace (60 s in build_scheduler) stays in wall seconds: at speed 150 an event loop busy for
    half a second is over a minute late on the afternoon clock, which a real bot never is.
    """
    import apscheduler.executors.base as executor_base
    import apscheduler.schedulers.base as scheduler_base
    from apscheduler.schedulers.asyncio import AsyncIOScheduler

    class CompressedDatetime(datetime):
        @classmethod
        def now(cls, tz: tzinfo | None = None) -> Any:
            return clock.now().astimezone(tz)

    scheduler_base.datetime = CompressedDatetime
    executor_base.datetime = CompressedDatetime
    start_timer = AsyncIOScheduler._start_timer

    def scaled_timer(self: AsyncIOScheduler, wait_seconds: float | None) -> None:
        start_timer(self, None if wait_seconds is None else wait_seconds / clock.speed)

    AsyncIOScheduler._start_timer = scaled_timer
    add_job = AsyncIOScheduler.add_job

    def add_job_wall_grace(self: AsyncIOScheduler, *args: Any, **kwargs: Any) -> Any:
        if kwargs.get("misfire_grace_time") is not None:
            kwargs["misfire_grace_time"] = int(kwargs["misfire_grace_time"] * clock.speed)
        return add_job(self, *args, **kwargs)

    AsyncIOScheduler.add_job = add_job_wall_grace


def serve_bot(port: int, clock: ScaledClock) -> None:
    """What `tuoguan serve` runs (bot.serve.run_server), with the compressed clock injected."""
    from bot.app import create_app
    from bot.bootstrap import configure_logging
    from bot.serve import wire_background
    from bot.settings import load_settings

    settings = load_settings()
    configure_logging(settings)
    compress_scheduler_time(clock)
    app = create_app(settings, clock=clock)
    wire_background(
        app
    )  # the scheduler, the outbox worker, the inbox's recovery (and no long connection here)
    web.run_app(app, host="127.0.0.1", port=port, print=None, access_log=None, loop=asyncio.new_event_loop())


def serve_hello(port: int) -> None:
    """The baseline: a bare aiohttp handler on the same paths, reading the body and answering at once."""

    async def hello(request: web.Request) -> web.Response:
        await request.read()
        return web.Response(text="hello")

    async def healthz(request: web.Request) -> web.Response:
        return web.json_response({"status": "ok"})

    app = web.Application()
    app.router.add_post("/wecom/callback", hello)
    app.router.add_post("/dingtalk/callback", hello)
    app.router.add_get("/healthz", healthz)
    web.run_app(app, host="127.0.0.1", port=port, print=None, access_log=None, loop=asyncio.new_event_loop())


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--hello", action="store_true")
    parser.add_argument("--sim-start", default="")
    parser.add_argument("--wall-start", type=float, default=0.0)
    parser.add_argument("--speed", type=float, default=1.0)
    args = parser.parse_args()
    if args.hello:
        serve_hello(args.port)
    else:
        serve_bot(args.port, ScaledClock(datetime.fromisoformat(args.sim_start), args.wall_start, args.speed))


if __name__ == "__main__":
    main()
