"""The durable inbox: every platform message is written before it is acknowledged, then handled from there.

`Inbox.receive` is the `Receive` every inbound adapter (HTTP callbacks, long connections) is handed. It
returns once the message is stored; `Accepted.answer(within)` gives the reply if it is ready in time, or
marks the message deferred, so the pipeline queues its reply for the late route in the message's own unit
of work. One step (`inbox.one_step`, the default): a new message is stored already handled, in the unit of
work that handles it, so both commit together or neither does; any failure there falls back to the two
steps (stored, then handled), which deal with errors, conflicts and slow handling. A message taken in and
never handled (the process died) is found by `recover` (run by `tuoguan serve`, here and in every other
instance) once its claim lapsed, handled once, and answered late.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import timedelta

from aiohttp import web

from bot.background import running
from bot.domain.messages import Accepted, IncomingMessage, Reply, from_record, to_record
from bot.handlers import texts
from bot.handlers.registry import Parsed, ParseError
from bot.pipeline import Outcome, Pipeline, group_safe
from bot.store import inbox as store
from bot.store.db import Backoff, is_transient
from bot.store.uow import UnitOfWork

log = logging.getLogger(__name__)


@dataclass
class Inbox:
    pipeline: Pipeline
    instance: str
    one_step: bool = True  # store and handle a new message in one unit of work (see the module's doc)
    # message handling in flight in this process, by inbox id: tracked, drained on shutdown
    inflight: dict[int, asyncio.Task[Outcome]] = field(default_factory=dict)

    @property
    def _lease(self) -> timedelta:
        return timedelta(seconds=self.pipeline.settings.inbox.lease_seconds)

    async def receive(self, msg: IncomingMessage, store_within: float | None = None) -> Accepted:
        """Store the message, then start handling it. While the database is away the write is tried again for
        `store_within` seconds (default `database.retry_seconds`), then the error is raised: a message is
        never acknowledged to its platform unless it is stored."""
        platform = str(msg.platform)
        parsed = self.pipeline.parse(msg) if self.one_step else None
        if parsed is not None:  # (an empty message goes the two-step way: nothing to handle)
            done = await self._at_once(msg, parsed, store_within)
            if done is not None:
                return done
        away = Backoff(
            self.pipeline.settings.database.retry_seconds if store_within is None else store_within
        )
        while True:
            intake = functools.partial(self._take_in, platform=platform, msg=msg, inflight=set(self.inflight))
            try:
                taken, row = await self.pipeline.db.run(intake)
                break
            except Exception as exc:
                if is_transient(exc) and await away.wait():
                    continue
                raise
        if taken is not None:
            # Stored (committed): handled from here on; a row never stored is not handled at all.
            return _Live(self, msg, taken, self._start(taken, msg), fresh=True)
        if row is not None and row.id in self.inflight:
            return _Live(self, msg, row.id, self.inflight[row.id], fresh=False)
        return _Seen(self, msg, row.id if row is not None else None)

    async def _at_once(
        self, msg: IncomingMessage, parsed: Parsed | ParseError, within: float | None
    ) -> _Done | None:
        """Store a new message and handle it in one unit of work: None if it was taken in before or the unit
        failed (rolled back: nothing of it stored), and the two-step path takes it from there."""
        started, budget = time.perf_counter(), self.pipeline.settings.server.reply_budget_seconds
        give_up_at = time.monotonic() + (budget if within is None else within)

        async def unit(uow: UnitOfWork) -> Outcome | None:
            now = self.pipeline.clock.now()
            stored = await uow.inbox.take_in(
                str(msg.platform),
                msg.message_id[:128],
                to_record(msg),
                now,
                self.instance,
                self._lease,
                handled=True,
            )
            return None if stored is None else await self.pipeline.handle_in(uow, msg, parsed, give_up_at)

        try:
            outcome = await self.pipeline.db.run(unit)
        except Exception as exc:
            log.info(
                "one-step intake failed (%s); taking the message in first",
                type(exc).__name__,
                extra={"message_id": msg.message_id},
            )
            return None
        if outcome is None:
            return None
        self.pipeline.account(msg, outcome.command, outcome.result, time.perf_counter() - started)
        return _Done(msg, outcome)

    async def _take_in(
        self, uow: UnitOfWork, *, platform: str, msg: IncomingMessage, inflight: set[int]
    ) -> tuple[int | None, store.InboxRow | None]:
        """The intake's unit of work: (the id to handle now, or None; the row found when it was there before)."""
        now, message_id = self.pipeline.clock.now(), msg.message_id[:128]
        inbox_id = await uow.inbox.take_in(
            platform, message_id, to_record(msg), now, self.instance, self._lease
        )
        if inbox_id is not None:
            return inbox_id, None
        row = await uow.inbox.find(platform, message_id)
        if (
            row is not None
            and row.state == store.RECEIVED
            and row.id not in inflight
            and await uow.inbox.claim(row.id, self.instance, now, self._lease)
        ):
            return row.id, row  # taken in before by a process that died before handling it: ours now
        return None, row

    def _start(self, inbox_id: int, msg: IncomingMessage) -> asyncio.Task[Outcome]:
        task = asyncio.create_task(self._handle(inbox_id, msg))
        self.inflight[inbox_id] = task
        task.add_done_callback(
            lambda t: self.inflight.pop(inbox_id) if self.inflight.get(inbox_id) is t else None
        )
        return task

    async def _handle(self, inbox_id: int, msg: IncomingMessage) -> Outcome:
        outcome = await self.pipeline.handle_message(msg, inbox_id)
        if outcome.result == "error":
            # Not recorded. Told live to try again: the inbox must not run it again later. Deferred (nobody
            # was told): left for recovery, which runs it again once the claim lapsed (mark_failed).
            with contextlib.suppress(Exception):
                await self.pipeline.db.run(
                    lambda uow: uow.inbox.mark_failed(inbox_id, self.pipeline.clock.now())
                )
        return outcome

    async def recover(self) -> int:
        """Handle every message taken in whose claim lapsed (its process died); their replies go late."""
        settings = self.pipeline.settings.inbox
        async with self.pipeline.db.unit_of_work() as uow:
            rows, given_up = await uow.inbox.claim_lapsed(
                self.pipeline.clock.now(),
                self.instance,
                self._lease,
                skip=set(self.inflight),
                max_attempts=settings.max_attempts,
            )
        for inbox_id in given_up:
            log.error(
                "inbox message given up after %d cut-off attempts",
                settings.max_attempts,
                extra={"inbox_id": inbox_id},
            )
        tasks = []
        for row in rows:
            msg = from_record(row.message)
            log.info("recovering a message taken in and not handled", extra={"message_id": msg.message_id})
            # All in flight at once: a platform retry of any of them joins its handling instead of running
            # it again, and none waits behind the others while its claim runs out.
            tasks.append(self._start(row.id, msg))
        await asyncio.gather(*tasks)
        return len(rows)

    async def run(self, stop: asyncio.Event) -> None:
        every = self.pipeline.settings.inbox.recover_every_seconds
        while not stop.is_set():
            try:
                await self.recover()
            except Exception:
                log.exception("inbox recovery pass failed; retrying")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), every)

    async def drain(self, seconds: float) -> None:
        if self.inflight:
            log.info("draining %d messages being handled", len(self.inflight))
            await asyncio.wait(set(self.inflight.values()), timeout=seconds)


@dataclass
class _Live(Accepted):
    """A message being handled in this process."""

    inbox: Inbox
    msg: IncomingMessage
    inbox_id: int
    task: asyncio.Task[Outcome]
    fresh: bool = True

    async def answer(self, within: float) -> Reply | None:
        started = time.perf_counter()
        try:
            outcome = await asyncio.wait_for(asyncio.shield(self.task), within)
        except TimeoutError:
            if await self.inbox.pipeline.db.run(lambda uow: uow.inbox.defer(self.inbox_id)):
                return None  # queued for the late route when the handler commits
            outcome = await self.task  # committed meanwhile, live: ours to say
        if not self.fresh:  # a retry that joined the handling: counted as the record would answer it
            self.inbox.pipeline.account(self.msg, outcome.command, "duplicate", time.perf_counter() - started)
        return group_safe(outcome.reply, self.msg)


@dataclass
class _Done(Accepted):
    """A message stored and handled in one step: its reply, unless it was ready too late (then queued)."""

    msg: IncomingMessage
    outcome: Outcome
    fresh: bool = True

    async def answer(self, within: float) -> Reply | None:
        return None if self.outcome.late else group_safe(self.outcome.reply, self.msg)


@dataclass
class _Seen(Accepted):
    """A message taken in before (a retry, a replay): answered from the record, never run again."""

    inbox: Inbox
    msg: IncomingMessage
    inbox_id: int | None
    fresh: bool = False

    async def answer(self, within: float) -> Reply | None:
        started = time.perf_counter()
        found = await self.inbox.pipeline.db.run(self._recorded)
        if found is None:  # still being handled by another instance: its reply goes by the late route
            return None
        if not found:  # handling failed (the sender was told to try again)
            return Reply(texts.INTERNAL_ERROR)
        text, private, command = found
        self.inbox.pipeline.account(self.msg, command, "duplicate", time.perf_counter() - started)
        return group_safe(Reply(text, private=private), self.msg)

    async def _recorded(self, uow: UnitOfWork) -> tuple[str, bool, str] | tuple[()] | None:
        """The reply recorded for the message; () if there is none; None if it is still being handled."""
        platform, message_id = str(self.msg.platform), self.msg.message_id[:128]
        if self.inbox_id is not None:
            row = await uow.inbox.find(platform, message_id)
            if row is not None and row.state == store.RECEIVED and await uow.inbox.defer(self.inbox_id):
                return None
        # Read after the state: a handler that committed meanwhile committed its record with it.
        return await uow.inbox.recorded_reply(platform, message_id) or ()


def inbox_ctx(inbox: Inbox) -> Callable[[web.Application], AsyncIterator[None]]:
    """Recovery alongside the server; messages in flight drained on shutdown."""

    async def ctx(app: web.Application) -> AsyncIterator[None]:
        async with running(inbox.run):
            yield
        await inbox.drain(15)

    return ctx
