"""The outbox worker: claims due pushes, honours 20/min per robot, retries, backs off, flags broken chats.

Claims are rows: `state='sending'` with a lease. A worker that dies mid-delivery leaves its lease to
expire and another worker resends (DingTalk drops the duplicate by msgUuid; for WeCom, which has no
idempotency key, the window is one push). Claims are taken one instance at a time (a PostgreSQL
advisory lock; SQLite has one writer) and only from the head of each line: a chat's (or a person's)
push is claimed only when every earlier unfinished push of that chat (person) is claimable too, so
one line is in one worker's hands and goes out in id order whatever the number of instances.
The send budget (20 per 60 s per robot, per app user) and the platform's pause live in the database
(`bot.store.budgets`), reserved under a row lock before each send: shared by all instances, kept across
restarts. Chats and persons are lines of one kind (`bot.outbox.lines`): one loop delivers both, and one
rule (`settle`) says what a send's outcome means.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import aiohttp

from bot.clock import Clock
from bot.domain.messages import Push
from bot.domain.outbox import MAX_ATTEMPTS, ClaimedPush, PushChat, heads_of_lines, retry_delay
from bot.metrics import Metrics
from bot.outbox.lines import ChatLine, PersonLine, hour_bucket
from bot.outbox.port import Line, Step
from bot.outbox.private import NoChannel, Recipient, resolve
from bot.outbox.replies import late_replies
from bot.outbox.texts import BROKEN_TEXT, CONFIG_TEXT, QUOTA_TEXT, UNSURE_NOTE
from bot.platforms.base import PlatformMessengers, SendResult
from bot.platforms.registry import build_messengers
from bot.settings import Settings
from bot.store.budgets import pause
from bot.store.db import Database
from bot.store.uow import UnitOfWork

__all__ = ["LEASE", "MAX_ATTEMPTS", "OutboxWorker", "heads_of_lines", "hour_bucket"]

log = logging.getLogger(__name__)

LEASE = timedelta(minutes=2)
QUOTA_PAUSE = timedelta(hours=1)  # the organisation's API quota is spent: try again this much later
# A long connection down or held elsewhere: nothing was sent, look again soon.
AWAY_WAIT = timedelta(seconds=5)


@dataclass
class OutboxWorker:
    db: Database
    settings: Settings
    clock: Clock
    http: aiohttp.ClientSession
    metrics: Metrics
    instance: str = "worker"
    batch: int = 100
    # Each platform's messengers, keyed by platform (the serve wiring builds them and attaches the long
    # connections' links); built here from the settings when not handed in.
    messengers: dict[str, PlatformMessengers] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.messengers:
            self.messengers = build_messengers(self.http, self.clock, self.settings)
        self.late_routes = {
            kind: route for m in self.messengers.values() for kind, route in m.late_routes.items()
        }

    async def run(self, stop: asyncio.Event, poll_seconds: float = 1.0) -> None:
        while not stop.is_set():
            try:
                await self.run_once()
            except Exception:
                log.exception("outbox pass failed; retrying")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), poll_seconds)

    async def run_once(self) -> int:
        """One pass: claim what is due, deliver each line (lines in parallel), record each result."""
        claimed = await self.db.run(
            lambda uow: uow.outbox.claim(self.clock.now(), self.instance, LEASE, self.batch)
        )
        claimed = await late_replies(self, claimed)
        lines = await self._lines(claimed)
        delivered = await asyncio.gather(*(self._deliver(line, pushes) for line, pushes in lines))
        self.metrics.show_outbox(await self.db.run(lambda uow: uow.outbox.waiting()), self.clock.now())
        return sum(delivered)

    async def _lines(self, claimed: list[ClaimedPush]) -> list[tuple[Line, list[ClaimedPush]]]:
        """The claimed pushes by line, each in id order: per chat, and per person's platform account (a push
        for someone without a usable account is finished as `no_channel` here)."""
        by_chat: dict[int, list[ClaimedPush]] = defaultdict(list)
        by_person: dict[Recipient, list[ClaimedPush]] = defaultdict(list)
        private = [p for p in claimed if p.chat_ref is None]
        for push in claimed:
            if push.chat_ref is not None:
                by_chat[push.chat_ref].append(push)

        async def look_up(uow: UnitOfWork) -> tuple[dict[int, Any], Any]:
            chats = {ref: await uow.outbox.chat(ref) for ref in by_chat}
            accounts = await uow.outbox.accounts(
                {p.staff_id for p in private if p.staff_id is not None},
                {p.guardian_id for p in private if p.guardian_id is not None},
            )
            return chats, accounts

        chats, accounts = await self.db.run(look_up)
        targets = resolve(private, accounts, [p for p, m in self.messengers.items() if m.private_ready])
        for push in private:
            target = targets[push.id]
            if isinstance(target, NoChannel):
                log.warning("private push %s has no channel: %s", push.key, target.reason)
                self.metrics.pushes.labels("none", "no_channel").inc()
                await self.finish(push, "no_channel", target.reason)
            else:
                by_person[target].append(push)
        lines: list[tuple[Line, list[ClaimedPush]]] = [
            (ChatLine(self, chats[ref]), p) for ref, p in by_chat.items()
        ]
        lines += [(PersonLine(self, to), p) for to, p in by_person.items()]
        return [(line, sorted(pushes, key=lambda p: p.id)) for line, pushes in lines]

    async def _deliver(self, line: Line, pushes: list[ClaimedPush]) -> int:
        """The one delivery loop: a line's pushes in order, its claim kept, stopping where the line must wait."""
        delivered, held = 0, self.clock.now() + LEASE
        for index, push in enumerate(pushes):
            kept = await self._keep(pushes[index:], held)
            if kept is None:
                break
            held = kept
            step = await line.deliver(push)
            delivered += step.delivered
            if step.again_from is not None:  # not sent: it and the rest go back, in order
                await self._release(pushes[index:], step.again_from)
                break
            if step.wait_from is not None:  # it waits for another try: the rest wait behind it
                await self._release(pushes[index + 1 :], step.wait_from)
                break
            if step.fail_rest:
                for other in pushes[index + 1 :]:
                    await self.finish(other, "failed", step.fail_rest)
                break
        return delivered

    async def settle(self, line: Line, push: ClaimedPush, result: SendResult) -> Step:
        """Record a send's outcome, the same for chats and persons; what it means for the rest of the line."""
        now, outcome = self.clock.now(), result.outcome
        self.metrics.pushes.labels(line.platform, outcome).inc()
        if outcome == "ok":
            await self.finish(push, "sent", "")
            return Step(delivered=True)
        if outcome in ("throttled", "quota"):
            return await self._halt(line, push, result, now)
        if outcome == "away":  # the long connection is down or held by another instance: nothing sent
            return await self.wait(push, now + AWAY_WAIT, result, count=False)
        if outcome == "unsure":  # cut off before the platform's ack: it may be shown; never sent twice
            log.error("push %s: the connection dropped before the ack; not resent", push.key)
            await self.finish(push, "unsure", UNSURE_NOTE)
            return Step()
        if outcome == "config":
            await self._config(line, result, now)
        elif outcome == "broken" and line.chat is not None:
            log.error("robot refused (%s): chat %s marked broken", result.code, line.chat.chat_id)
            await self._mark_broken(line.chat, result)
            await self.finish(push, "failed", f"{result.code} {result.detail}")
            return Step(fail_rest=f"群不可用: {result.code}")
        elif outcome == "retry" and push.attempts + 1 < MAX_ATTEMPTS:
            return await self.wait(push, now + retry_delay(push.attempts), result, count=True)
        log.error("push %s failed for good: %s %s", push.key, result.code, result.detail)
        await self.finish(push, "failed", f"{result.code} {result.detail}")
        return Step()

    async def _halt(self, line: Line, push: ClaimedPush, result: SendResult, now: datetime) -> Step:
        """The platform said too fast, or the organisation's quota is spent: the sender pauses, the push waits."""
        quota = result.outcome == "quota"
        until = now + (QUOTA_PAUSE if quota else timedelta(seconds=line.backoff))
        await pause(self.db, line.bucket, until, now)
        chat = line.chat.chat_id if line.chat else ""
        log.warning(
            "%s %s (%s): pausing until %s",
            line.what,
            result.outcome,
            result.code,
            until.isoformat(),
            extra={"chat": chat},
        )
        if quota:
            text = QUOTA_TEXT.format(platform=self.messengers[line.platform].word, code=result.code)
            await self._tell_admins(line.class_group_id, f"quota:{line.platform}:{now.date()}", text)
        return await self.wait(push, until, result, count=False)

    async def _config(self, line: Line, result: SendResult, now: datetime) -> None:
        """A setting to fix (a robot's security setting, the app's trusted IPs): the admins are told."""
        log.error(
            "%s refused by a configuration check (%s %s); admins told", line.what, result.code, result.detail
        )
        text = CONFIG_TEXT.get(result.code, line.config_default)
        await self._tell_admins(
            line.class_group_id,
            line.config_key(result.code, now),
            text,
            code=result.code,
            detail=result.detail,
        )

    async def wait(self, push: ClaimedPush, at: datetime, result: SendResult, *, count: bool) -> Step:
        await self.db.run(lambda uow: uow.outbox.retry(push, at, result.code, count=count))
        return Step(wait_from=at)

    async def _keep(self, pushes: list[ClaimedPush], held: datetime) -> datetime | None:
        """Past half its lease, extend this pass's claim on the rest of a line; None if another worker took it.

        A slow platform (10 s a send) can make a line outlast the lease; without this another instance
        would claim the rest while it is still being sent.
        """
        now = self.clock.now()
        if held - now > LEASE / 2:
            return held
        kept = await self.db.run(
            lambda uow: uow.outbox.keep([p.id for p in pushes], self.instance, now + LEASE)
        )
        if not kept:
            log.warning(
                "outbox claim lapsed mid-line (%s pushes); leaving them to whoever holds them", len(pushes)
            )
            return None
        return now + LEASE

    async def _release(self, pushes: list[ClaimedPush], at: datetime) -> None:
        """Hand claimed pushes back, unsent, to be claimed again from `at`."""
        if pushes:
            await self.db.run(lambda uow: uow.outbox.release(pushes, at))

    async def finish(self, push: ClaimedPush, state: str, note: str) -> None:
        await self.db.run(lambda uow: uow.outbox.finish(push.id, state, note, self.clock.now()))

    async def progress(self, push: ClaimedPush, done: int, parts: int) -> None:
        """Parts `1..done` of a multi-part push went through (the last one is recorded as `sent`)."""
        if done < parts:
            await self.db.run(lambda uow: uow.outbox.progress(push.id, done))

    async def started(self, push: ClaimedPush) -> None:
        await self.db.run(lambda uow: uow.outbox.started(push.id, self.clock.now()))

    async def _mark_broken(self, chat: PushChat, result: SendResult) -> None:
        """The chat's robot is gone: marked broken, and its school's admins told, in one unit of work."""

        async def broken(uow: UnitOfWork) -> None:
            await uow.outbox.mark_broken(chat.id, f"{result.code} {result.detail}")
            key = f"chat-broken:{chat.id}:{result.code}"
            await self._notify(uow, chat.class_group_id, key, BROKEN_TEXT, code=result.code)

        await self.db.run(broken)

    async def _tell_admins(self, class_group_id: int | None, key: str, text: str, **values: str) -> None:
        await self.db.run(lambda uow: self._notify(uow, class_group_id, key, text, **values))

    async def _notify(
        self, uow: UnitOfWork, class_group_id: int | None, key: str, text: str, **values: str
    ) -> None:
        """Queue a notice to the admins and principals (of the class's school; all schools when none)."""
        class_name, admins = await uow.outbox.admins(class_group_id)
        message = text.format(cls=class_name, **values)
        await uow.outbox.add(
            [Push(key=f"{key}:s{a}"[:200], text=message, staff_id=a) for a in admins], self.clock.now()
        )
