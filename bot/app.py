"""The aiohttp application: create_app(settings) builds it; platform routes hang off it."""

from __future__ import annotations

from collections.abc import AsyncIterator

from aiohttp import web

from bot.bootstrap import bootstrap
from bot.clock import Clock
from bot.settings import Settings
from bot.store.db import Database
from bot.web.callbacks import setup_callbacks
from bot.web.keys import SERVICES
from bot.web.sim import setup_sim, sim_enabled

__all__ = ["SERVICES", "create_app"]


async def healthz(request: web.Request) -> web.Response:
    await request.app[SERVICES].db.ping()
    return web.json_response({"status": "ok"})


async def metrics(request: web.Request) -> web.Response:
    services = request.app[SERVICES]
    async with services.db.unit_of_work() as uow:  # the outbox as it is now, worker running or not
        services.metrics.show_outbox(await uow.outbox.waiting(), services.clock.now())
    return web.Response(
        body=services.metrics.render(), headers={"Content-Type": services.metrics.content_type}
    )


def create_app(
    settings: Settings, *, clock: Clock | None = None, db: Database | None = None
) -> web.Application:
    services = bootstrap(settings, clock=clock, db=db)
    app = web.Application(client_max_size=settings.server.max_body_bytes)
    app[SERVICES] = services

    async def services_ctx(app: web.Application) -> AsyncIterator[None]:
        await services.db.upgrade()
        yield
        await services.close()

    app.cleanup_ctx.append(services_ctx)
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/metrics", metrics)
    setup_callbacks(app)
    if sim_enabled(settings):
        setup_sim(app)
    return app
