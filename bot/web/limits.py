"""Server limits for `tuoguan serve`: a header / keep-alive read timeout, a cap on open connections, and
accept() errors logged at a bounded rate.

aiohttp closes a connection that has not sent a whole request within `keepalive_timeout` of connecting (or
of its last answer): that is `server.header_timeout_seconds`. Open connections are capped at
`server.max_connections` by `LimitedSite`: at the cap a new connection takes the place of the oldest idle
one (connected, no request being handled: a slow or silent client), so a flood of slow clients cannot
keep `/healthz` or a platform's callback out; only when every connection is busy is the new one refused.
"""

from __future__ import annotations

import asyncio
import errno
import logging
import resource
import time
from typing import Any

from aiohttp import web

log = logging.getLogger(__name__)
RESERVED_FDS = 128  # kept free below the process's file limit: database pool, logs, outgoing HTTP
ACCEPT_ERRNOS = (errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM)


class RateLimitedLog:
    """At most one warning per `interval` seconds per kind; the lines skipped are counted into the next."""

    def __init__(self, interval: float = 10.0) -> None:
        self.interval = interval
        self._last: dict[str, float] = {}
        self._skipped: dict[str, int] = {}

    def warning(self, kind: str, msg: str, *args: Any) -> bool:
        now = time.monotonic()
        last = self._last.get(kind)
        if last is not None and now - last < self.interval:
            self._skipped[kind] = self._skipped.get(kind, 0) + 1
            return False
        skipped = self._skipped.pop(kind, 0)
        self._last[kind] = now
        log.warning(msg + " (%d more like it since the last such line)", *args, skipped)
        return True


class _Tracked(asyncio.Protocol):
    """Stands between the transport and aiohttp's RequestHandler to count and evict connections."""

    __slots__ = ("admitted", "inner", "limiter", "transport")

    def __init__(self, inner: Any, limiter: ConnectionLimiter) -> None:
        self.inner = inner
        self.limiter = limiter
        self.transport: asyncio.Transport | None = None
        self.admitted = False

    def idle(self) -> bool:
        """No request being handled: waiting for (the rest of) a request's headers, or keep-alive idle."""
        return not getattr(self.inner, "_request_in_progress", False)

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]
        if not self.limiter.admit(self):
            transport.abort()  # type: ignore[attr-defined]
            return
        self.admitted = True
        self.inner.connection_made(transport)

    def data_received(self, data: bytes) -> None:
        if self.admitted:
            self.inner.data_received(data)

    def eof_received(self) -> bool | None:
        return self.inner.eof_received() if self.admitted else None

    def pause_writing(self) -> None:
        if self.admitted:
            self.inner.pause_writing()

    def resume_writing(self) -> None:
        if self.admitted:
            self.inner.resume_writing()

    def connection_lost(self, exc: Exception | None) -> None:
        self.limiter.forget(self)
        if self.admitted:
            self.inner.connection_lost(exc)


class ConnectionLimiter:
    """A protocol factory around aiohttp's server that keeps at most `limit` connections open."""

    def __init__(self, server: Any, limit: int, notes: RateLimitedLog) -> None:
        self._server = server
        self.limit = max(1, limit)
        self._open: dict[_Tracked, None] = {}  # insertion order: oldest first
        self._notes = notes
        self.evicted = 0
        self.refused = 0

    @property
    def open_count(self) -> int:
        return len(self._open)

    def __call__(self) -> _Tracked:
        return _Tracked(self._server(), self)

    def admit(self, conn: _Tracked) -> bool:
        if len(self._open) >= self.limit:
            victim = next((c for c in self._open if c.idle()), None)
            if victim is None:
                self.refused += 1
                self._notes.warning(
                    "refused",
                    "connection refused: %d open, all busy (server.max_connections)",
                    len(self._open),
                )
                return False
            self.forget(victim)
            if victim.transport is not None:
                victim.transport.abort()
            self.evicted += 1
            self._notes.warning(
                "evicted", "at server.max_connections (%d): closed the oldest idle connection", self.limit
            )
        self._open[conn] = None
        return True

    def forget(self, conn: _Tracked) -> None:
        self._open.pop(conn, None)


class LimitedSite(web.BaseSite):
    """A TCP site whose connections go through a ConnectionLimiter."""

    def __init__(
        self,
        runner: web.BaseRunner,
        host: str,
        port: int,
        max_connections: int,
        notes: RateLimitedLog | None = None,
        backlog: int = 1024,
        reuse_port: bool = False,
    ) -> None:
        super().__init__(runner, backlog=backlog)
        self._host, self._port, self._reuse_port = host, port, reuse_port
        self.limiter = ConnectionLimiter(
            runner.server, usable_connections(max_connections), notes or RateLimitedLog()
        )

    @property
    def name(self) -> str:
        return f"http://{self._host}:{self.port}"

    @property
    def port(self) -> int:
        sockets = getattr(self._server, "sockets", None)  # an asyncio.Server once started
        return int(sockets[0].getsockname()[1]) if sockets else self._port

    async def start(self) -> None:
        await super().start()
        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(
            self.limiter,
            self._host,
            self._port,
            backlog=self._backlog,
            reuse_address=True,
            reuse_port=self._reuse_port or None,
        )


def usable_connections(wanted: int) -> int:
    """`wanted`, lowered (and logged) when the process's open-file limit could not hold that many sockets."""
    soft, _hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == resource.RLIM_INFINITY or wanted <= soft - RESERVED_FDS:
        return wanted
    usable = max(1, soft - RESERVED_FDS)
    log.warning(
        "server.max_connections %d exceeds the open-file limit (ulimit -n %d): using %d", wanted, soft, usable
    )
    return usable


def accept_error_handler(notes: RateLimitedLog) -> Any:
    """A loop exception handler: accept() failing for want of resources is one short line per interval
    (asyncio's default logs a traceback each time); everything else goes to the default handler."""

    def handle(loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        exc = context.get("exception")
        message = str(context.get("message", ""))
        if "accept" in message or (isinstance(exc, OSError) and exc.errno in ACCEPT_ERRNOS):
            code = (
                errno.errorcode.get(exc.errno or 0, "?") if isinstance(exc, OSError) else type(exc).__name__
            )
            notes.warning("accept", "accept() failed: %s (%s)", code, message[:80])
            return
        loop.default_exception_handler(context)

    return handle


async def start_server(
    app: web.Application,
    host: str,
    port: int,
    server_settings: Any,
    *,
    handle_signals: bool = False,
    access_log: bool = True,
    reuse_port: bool = False,
) -> tuple[web.AppRunner, LimitedSite]:
    """Set up `app` behind the limits of `server_settings` (header_timeout_seconds, max_connections)."""
    notes = RateLimitedLog()
    asyncio.get_running_loop().set_exception_handler(accept_error_handler(notes))
    kwargs: dict[str, Any] = {
        "keepalive_timeout": server_settings.header_timeout_seconds,
        "handle_signals": handle_signals,
    }
    if not access_log:
        kwargs["access_log"] = None
    runner = web.AppRunner(app, **kwargs)
    await runner.setup()
    site = LimitedSite(runner, host, port, server_settings.max_connections, notes, reuse_port=reuse_port)
    await site.start()
    return runner, site
