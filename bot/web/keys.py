"""The typed keys the web application holds its wiring under (its own module: app and routes both import it)."""

from __future__ import annotations

from aiohttp import web

from bot.bootstrap import Services

SERVICES = web.AppKey("services", Services)
