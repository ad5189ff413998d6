"""`/sim`: a local chat simulator. Pick a class group and who you are, type, and see the bot's replies and
the pushes it queues for that group, as they would appear on a phone. For trying the bot without a
platform: it lets anyone speak as anyone, so it is on only without a platform or with `--sim`.

Because it speaks as anyone, only its own page may drive it (`SimGuard`): loopback clients unless `sim.host`
admits others, a Host header naming this server (no DNS rebinding), an Origin, if sent, the same as the
Host (no cross-site posts), and on every API call the token this start embedded in the page."""

from __future__ import annotations

import hmac
import ipaddress
import logging
import secrets
import uuid
from collections.abc import Awaitable, Callable
from importlib import resources
from typing import Any
from urllib.parse import urlsplit

from aiohttp import web

from bot.domain.messages import IncomingMessage, Platform
from bot.handlers.texts import PRIVATE_IN_GROUP
from bot.platforms import Rejected, clean_id, clean_text
from bot.web.keys import SERVICES

log = logging.getLogger(__name__)
ROLE_WORDS = {"head_teacher": "班主任", "care_teacher": "托管教师", "principal": "校长", "admin": "管理员"}
SIM_TOKEN = web.AppKey("sim_token", str)
TOKEN_HEADER = "X-Sim-Token"
LOOPBACK_NAMES = frozenset({"localhost", "127.0.0.1", "::1"})
ANY_ADDRESS = frozenset({"0.0.0.0", "::", "*"})
MAX_AFTER_DIGITS = 18  # an outbox id: fits a BIGINT with room to spare


def _ip(name: str | None) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        address = ipaddress.ip_address((name or "").strip("[]"))
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def _loopback(name: str | None) -> bool:
    address = _ip(name)
    return address is not None and address.is_loopback


def _hostname(host_header: str) -> str | None:
    try:
        name = urlsplit("//" + host_header).hostname
    except ValueError:
        return None
    return name.rstrip(".") if name else None


class SimGuard:
    """Who may reach the simulator, by `sim.host` (see SimSettings)."""

    def __init__(self, sim_host: str) -> None:
        name = sim_host.strip().lower().strip("[]")
        self.any_client = name in ANY_ADDRESS
        self.loopback_only = not self.any_client and (name in LOOPBACK_NAMES or _loopback(name))
        self.name = "" if self.any_client or self.loopback_only else name

    def refusal(self, request: web.Request) -> str | None:
        """Why `request` may not use the simulator, or None."""
        if self.loopback_only and not _loopback(request.remote):
            return "client not on loopback (sim.host)"
        host = _hostname(request.host)
        if host is None:
            return "bad Host header"
        if not (
            host in LOOPBACK_NAMES
            or _loopback(host)
            or host == self.name
            or (self.any_client and _ip(host) is not None)
        ):
            return "foreign Host header"
        origin = request.headers.get("Origin")
        if origin is not None:
            parts = urlsplit(origin)
            if parts.scheme not in ("http", "https") or parts.netloc.lower() != request.host.lower():
                return "cross-site Origin"
        if request.headers.get("Sec-Fetch-Site", "same-origin") not in ("same-origin", "none"):
            return "cross-site request"
        if request.path.startswith("/sim/api/"):
            sent = request.headers.get(TOKEN_HEADER, "")
            if not hmac.compare_digest(sent.encode(), request.app[SIM_TOKEN].encode()):
                return "missing or wrong token"
        return None


def guard_middleware(guard: SimGuard) -> Any:
    @web.middleware
    async def sim_guard(
        request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
    ) -> web.StreamResponse:
        if request.path == "/sim" or request.path.startswith("/sim/"):
            reason = guard.refusal(request)
            if reason is not None:
                log.warning("simulator request refused: %s", reason, extra={"remote": request.remote})
                return web.Response(
                    status=403, text="模拟器只接受本机打开的 /sim 页面发来的请求,请刷新 /sim 页面重试"
                )
        return await handler(request)

    return sim_guard


async def page(request: web.Request) -> web.Response:
    html = resources.files("bot.web").joinpath("static/sim.html").read_text(encoding="utf-8")
    html = html.replace("__SIM_TOKEN__", request.app[SIM_TOKEN])
    return web.Response(
        text=html,
        content_type="text/html",
        headers={
            "Cache-Control": "no-store",
            "X-Frame-Options": "DENY",
            "Referrer-Policy": "no-referrer",
            "Content-Security-Policy": "frame-ancestors 'none'",
        },
    )


async def chats(request: web.Request) -> web.Response:
    async with request.app[SERVICES].db.unit_of_work() as uow:
        found = await uow.sim.chats()
    return web.json_response(
        [{"chat": c.chat_id, "platform": c.platform, "name": c.class_name} for c in found]
    )


async def people(request: web.Request) -> web.Response:
    async with request.app[SERVICES].db.unit_of_work() as uow:
        speakers = await uow.sim.speakers(request.query.get("chat", ""))
    if speakers is None:
        raise web.HTTPNotFound(text="no such chat")
    out: list[dict[str, Any]] = [
        {"user": p.user_id, "label": f"{p.guardian_of}{p.relation} {p.name}", "kind": "家长"}
        if not p.role
        else {"user": p.user_id, "label": f"{ROLE_WORDS.get(p.role, p.role)} {p.name}", "kind": "教师"}
        for p in speakers
    ]
    unique = list({p["user"]: p for p in reversed(out)}.values())[::-1]  # first label per account wins
    unique.append({"user": "sim-stranger", "label": "陌生人(未绑定)", "kind": "其他"})
    return web.json_response(unique)


async def say(request: web.Request) -> web.Response:
    services = request.app[SERVICES]
    if request.content_type != "application/json":
        raise web.HTTPUnsupportedMediaType(text="需要 application/json")
    try:
        data = await request.json()
        chat_id, user = clean_id(str(data["chat"]), "chat"), clean_id(str(data["user"]), "user")
        text = clean_text(str(data["text"])[:2000])
    except (ValueError, KeyError, TypeError, Rejected):
        raise web.HTTPBadRequest(text="需要 chat, user, text") from None
    async with services.db.unit_of_work() as uow:
        platform = await uow.sim.platform_of(chat_id)
    msg = IncomingMessage(
        Platform(platform or "sim"), chat_id, user, text, f"sim-{uuid.uuid4().hex}", services.clock.now()
    )
    outcome = await services.pipeline.handle_message(msg)
    private = outcome.reply.private
    return web.json_response(
        {
            "reply": PRIVATE_IN_GROUP if private else outcome.reply.text,
            "private": outcome.reply.text if private else None,
            "pushes": [{"text": p.text, "to": "group" if p.chat_ref else "private"} for p in outcome.pushes],
        }
    )


async def feed(request: web.Request) -> web.Response:
    """Group pushes queued for the chat (reminders, alerts): what its members would see from the bot."""
    chat_id = request.query.get("chat", "")
    raw = request.query.get("after", "0") or "0"
    if not (raw.isascii() and raw.isdigit() and len(raw) <= MAX_AFTER_DIGITS):
        raise web.HTTPBadRequest(text="after 需要是数字,例如 after=0")
    async with request.app[SERVICES].db.unit_of_work() as uow:
        rows = await uow.outbox.chat_feed(chat_id, int(raw))
    return web.json_response([{"id": i, "text": t, "at": a.isoformat()} for i, t, a in rows])


def sim_enabled(settings: Any) -> bool:
    if settings.server.sim is not None:
        return bool(settings.server.sim)
    return not (settings.wecom.configured or settings.dingtalk.configured or settings.wecom.long_connection)


def setup_sim(app: web.Application) -> None:
    app[SIM_TOKEN] = secrets.token_urlsafe(24)  # per start: a page from before a restart must be reloaded
    app.middlewares.append(guard_middleware(SimGuard(app[SERVICES].settings.sim.host)))
    app.router.add_get("/sim", page)
    app.router.add_get("/sim/api/chats", chats)
    app.router.add_get("/sim/api/people", people)
    app.router.add_post("/sim/api/say", say)
    app.router.add_get("/sim/api/feed", feed)
