"""`tuoguan serve --workers N`: N processes answer callbacks on one port (SO_REUSEPORT; the kernel spreads the
connections among them), for a school or district whose message rate outgrows one process's CPU.

The process started by hand is the first worker: it alone runs the scheduler, the outbox worker, the long
connections and the inbox's recovery, so each job, push and connection exists once. A message taken in by
another worker is handled there; if that worker dies, the first one recovers it once its claim lapsed. The
others are started once the first is set up (migrations run, demo loaded), started again when one exits, and
stopped with it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sys
from collections.abc import AsyncIterator, Callable

from aiohttp import web

log = logging.getLogger(__name__)
RESTART_DELAY = 1.0


def secondary_argv(host: str, port: int, config: str | None) -> list[str]:
    """The command line of one more worker: the same host, port and configuration, nothing in the background."""
    argv = [sys.executable, "-m", "bot", "serve", "--host", host, "--port", str(port), "--secondary"]
    return argv + (["--config", config] if config else [])


async def _keep(argv: list[str], index: int, stopping: asyncio.Event) -> None:
    """Run one worker process, again whenever it exits, until `stopping`; then stop it."""
    while not stopping.is_set():
        proc = await asyncio.create_subprocess_exec(*argv)
        log.info("worker %d started (pid %d)", index, proc.pid)
        try:
            code = await proc.wait()
        except asyncio.CancelledError:
            if proc.returncode is None:
                proc.terminate()
                try:
                    await asyncio.wait_for(proc.wait(), 20)
                except TimeoutError:
                    proc.kill()
                    await proc.wait()
            raise
        if not stopping.is_set():
            log.error("worker %d exited with %s; starting it again", index, code)
            await asyncio.sleep(RESTART_DELAY)


def workers_ctx(argv: list[str], count: int) -> Callable[[web.Application], AsyncIterator[None]]:
    """The other `count - 1` workers alongside this one's server."""

    async def ctx(app: web.Application) -> AsyncIterator[None]:
        stopping = asyncio.Event()
        tasks = [asyncio.create_task(_keep(argv, i, stopping)) for i in range(1, count)]
        try:
            yield
        finally:
            stopping.set()
            for task in tasks:
                task.cancel()
            for task in tasks:
                with contextlib.suppress(asyncio.CancelledError):
                    await task

    return ctx
