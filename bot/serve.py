"""`tuoguan serve`: the aiohttp server (platform callbacks, simulator, health) in one process."""

from __future__ import annotations

import argparse
import asyncio
import logging
from collections.abc import AsyncIterator

from aiohttp import web

from bot.app import SERVICES, create_app
from bot.settings import Settings

log = logging.getLogger(__name__)


def wire_background(app: web.Application, *, scheduler: bool = True) -> list[str]:
    """The scheduler, the long connections and the outbox worker, each a cleanup_ctx; the connections opened."""
    from bot.connections import setup_connections
    from bot.jobs.lifecycle import scheduler_ctx
    from bot.outbox.lifecycle import outbox_ctx

    if scheduler:
        app.cleanup_ctx.append(scheduler_ctx(app[SERVICES]))
    opened = setup_connections(app, app[SERVICES])  # before the outbox: it pushes over them
    app.cleanup_ctx.append(outbox_ctx(app[SERVICES]))
    return opened


def run_server(settings: Settings, args: argparse.Namespace) -> int:
    if args.sim is not None:
        settings.server.sim = args.sim
    host = args.host or settings.server.host
    port = args.port or settings.server.port
    app = create_app(settings)

    if args.demo:

        async def demo_ctx(app: web.Application) -> AsyncIterator[None]:
            from bot.demo import load_demo

            services = app[SERVICES]
            info = await load_demo(services.db, settings, services.clock, only_if_empty=True)
            log.info("%s", info.render())
            yield

        app.cleanup_ctx.append(demo_ctx)
    opened = wire_background(app)
    log.info("托管助手 listening on http://%s:%s", host, port)
    for line in opened:
        log.info("长连接: %s", line)
    if not opened:
        log.info("长连接: 未配置 (只接收 HTTP 回调)")
    from bot.web.sim import sim_enabled

    if sim_enabled(settings):
        log.info("本地群聊模拟器: http://%s:%s/sim", host, port)
    web.run_app(app, host=host, port=port, print=None, loop=asyncio.new_event_loop())
    return 0
