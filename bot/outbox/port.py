"""What the outbox's lines and late replies need of the worker (a Protocol), and what a push's try means
(`Step`): kept below both so that the worker imports its lines and not the other way round."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

import aiohttp

from bot.clock import Clock
from bot.domain.outbox import ClaimedPush, PushChat
from bot.metrics import Metrics
from bot.platforms.base import LateRoute, PlatformMessengers, SendResult
from bot.store.budgets import Bucket
from bot.store.db import Database


@dataclass(frozen=True)
class Step:
    """What one push's try means for the rest of its line."""

    delivered: bool = False
    wait_from: datetime | None = None  # the push waits: the rest of the line is handed back, from then
    again_from: datetime | None = None  # not sent (no budget yet): it and the rest are handed back, from then
    fail_rest: str = ""  # the line is dead (a broken robot): the rest fail with this note


class Line(Protocol):
    """A chat or a person, as `settle` sees it (see bot.outbox.lines)."""

    platform: str
    what: str  # for the log
    backoff: int  # seconds to pause after the platform said too fast
    bucket: Bucket  # what a throttle or a spent quota pauses
    class_group_id: int | None  # whose school's admins hear of a problem (None: every school's)
    chat: PushChat | None
    config_default: str

    def config_key(self, code: str, now: datetime) -> str: ...
    async def deliver(self, push: ClaimedPush) -> Step: ...


class Worker(Protocol):
    """The outbox worker as its lines and the late replies see it (bot.outbox.worker.OutboxWorker)."""

    db: Database
    clock: Clock
    http: aiohttp.ClientSession
    metrics: Metrics
    messengers: dict[str, PlatformMessengers]
    late_routes: dict[str, LateRoute]

    async def finish(self, push: ClaimedPush, state: str, note: str) -> None: ...
    async def progress(self, push: ClaimedPush, done: int, parts: int) -> None: ...
    async def started(self, push: ClaimedPush) -> None: ...
    async def settle(self, line: Line, push: ClaimedPush, result: SendResult) -> Step: ...
    async def wait(self, push: ClaimedPush, at: datetime, result: SendResult, *, count: bool) -> Step: ...
