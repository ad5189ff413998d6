"""`tuoguan serve`: the aiohttp server (platform callbacks, simulator, health) in one process."""

from __future__ import annotations

import argparse
import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import suppress

from aiohttp import web

from bot.app import SERVICES, create_app
from bot.settings import Settings

log = logging.getLogger(__name__)


def wire_background(app: web.Application, *, scheduler: bool = True) -> list[str]:
    """The scheduler, the long connections, the outbox worker and the inbox's recovery, each a cleanup_ctx;
    the connections opened."""
    from bot.connections import setup_connections
    from bot.inbox import inbox_ctx
    from bot.jobs.lifecycle import scheduler_ctx
    from bot.outbox.lifecycle import outbox_ctx

    if scheduler:
        app.cleanup_ctx.append(scheduler_ctx(app[SERVICES].jobs))
    opened = setup_connections(app, app[SERVICES])  # before the outbox: it pushes over them
    services = app[SERVICES]
    app.cleanup_ctx.append(outbox_ctx(services.db, services.settings, services.clock, services.metrics))
    app.cleanup_ctx.append(inbox_ctx(app[SERVICES].inbox))  # messages taken in and never handled (a crash)
    return opened


def run_server(settings: Settings, args: argparse.Namespace) -> int:
    if args.sim is not None:
        settings.server.sim = args.sim
    host = args.host or settings.server.host
    port = args.port or settings.server.port
    workers = args.workers or settings.server.workers
    if workers > 1 and not port:
        log.error("server.workers %d needs a fixed port (port 0 picks one per process): one worker", workers)
        workers = 1
    app = create_app(settings)
    if getattr(args, "secondary", False):  # one more worker (bot/workers.py): callbacks only
        serve_until_signal(app, host, port, settings, reuse_port=True)
        return 0
    if args.demo:

        async def demo_ctx(app: web.Application) -> AsyncIterator[None]:
            from bot.demo import load_demo

            services = app[SERVICES]
            info = await load_demo(services.db, settings, services.clock, only_if_empty=True)
            log.info("%s", info.render())
            yield

        app.cleanup_ctx.append(demo_ctx)
    opened = wire_background(app)
    if workers > 1:
        from bot.workers import secondary_argv, workers_ctx

        config = getattr(args, "config", None)
        app.cleanup_ctx.append(workers_ctx(secondary_argv(host, port, config), workers))
    log.info("托管助手 listening on http://%s:%s (%d worker process(es))", host, port, workers)
    for line in opened:
        log.info("长连接: %s", line)
    if not opened:
        log.info("长连接: 未配置 (只接收 HTTP 回调)")
    from bot.web.sim import sim_enabled

    if sim_enabled(settings):
        log.info("本地群聊模拟器: http://%s:%s/sim", host, port)
    serve_until_signal(app, host, port, settings, reuse_port=workers > 1)
    return 0


async def _serve_forever(
    app: web.Application, host: str, port: int, settings: Settings, reuse_port: bool
) -> None:
    from bot.web.limits import start_server

    runner, _site = await start_server(
        app,
        host,
        port,
        settings.server,
        handle_signals=True,
        access_log=settings.server.access_log,
        reuse_port=reuse_port,
    )
    try:
        await asyncio.Event().wait()  # until SIGINT/SIGTERM (GracefulExit) or cancellation
    finally:
        await runner.cleanup()  # drains background replies, stops the scheduler and the outbox worker


def serve_until_signal(
    app: web.Application, host: str, port: int, settings: Settings, *, reuse_port: bool = False
) -> None:
    """What web.run_app does (SIGINT/SIGTERM end it gracefully), with the server limits of bot.web.limits."""
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    main = loop.create_task(_serve_forever(app, host, port, settings, reuse_port))
    try:
        loop.run_until_complete(main)
    except (web.GracefulExit, KeyboardInterrupt):
        pass
    finally:
        try:
            if not main.done():
                main.cancel()
                with suppress(asyncio.CancelledError):
                    loop.run_until_complete(main)
        finally:
            rest = asyncio.all_tasks(loop)
            for task in rest:
                task.cancel()
            loop.run_until_complete(asyncio.gather(*rest, return_exceptions=True))
            loop.run_until_complete(loop.shutdown_asyncgens())
            loop.close()
