"""The message pipeline: normalise -> identify sender -> parse -> check role -> handle -> reply.

Every platform adapter, the simulator and `tuoguan say` feed the same `handle_message`.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field, replace
from datetime import datetime

from bot.clock import Clock
from bot.domain.actors import Actor, Role
from bot.domain.messages import IncomingMessage, Push, Reply
from bot.domain.privacy import mask_phones
from bot.domain.text import normalise
from bot.handlers import texts
from bot.handlers.context import HandlerContext
from bot.handlers.proposals import settle_pending
from bot.handlers.registry import EVERYONE, CommandSpec, CommandTable, Parsed, ParseError
from bot.metrics import Metrics
from bot.settings import Settings
from bot.store.db import Backoff, Database, is_transient
from bot.store.messages import WriteConflict
from bot.store.people import FirstLook
from bot.store.uow import UnitOfWork

log = logging.getLogger(__name__)

ATTEMPTS = 3  # a unit of work that lost a write race is run again this many times in all

ROLE_WORDS = {
    Role.GUARDIAN: "家长",
    Role.HEAD_TEACHER: "班主任",
    Role.CARE_TEACHER: "托管教师",
    Role.PRINCIPAL: "校长",
    Role.ADMIN: "管理员",
}


@dataclass
class Outcome:
    """The reply to the sender and the pushes the message caused (already stored with the change)."""

    reply: Reply
    command: str
    pushes: list[Push] = field(default_factory=list)
    actor: Actor | None = None
    # ok | refused | not_understood | not_allowed | unknown_sender | duplicate | error
    result: str = "ok"
    # The reply was ready after its live answer was given up: queued for the late route with the change.
    late: bool = False


@dataclass
class Pipeline:
    db: Database
    settings: Settings
    clock: Clock
    table: CommandTable
    metrics: Metrics = field(default_factory=Metrics)

    async def handle_message(self, msg: IncomingMessage, inbox_id: int | None = None) -> Outcome:
        """Handle one message; with `inbox_id`, its inbox row is marked handled in the same unit of work
        (and, when its live answer was given up, the reply is queued for the late route there too)."""
        started = time.perf_counter()
        outcome = await self._handle(msg, self.parse(msg), inbox_id)
        self.account(msg, outcome.command, outcome.result, time.perf_counter() - started)
        return outcome

    def parse(self, msg: IncomingMessage) -> Parsed | ParseError | None:
        """The message's command, or why there is none; None for a message with no text at all."""
        text = normalise(msg.text)
        return self.table.parse(text) if text else None

    async def handle_in(
        self, uow: UnitOfWork, msg: IncomingMessage, parsed: Parsed | ParseError, give_up_at: float
    ) -> Outcome:
        """Handle the message in the caller's unit of work (the inbox's one-step intake). Its live answer is
        given up when the unit ends after `give_up_at` (time.monotonic()): the reply is then queued for the
        late route with the change (`Outcome.late`). Errors propagate: the caller's unit rolls back."""
        return await self._unit(uow, msg, parsed, None, give_up_at)

    def account(self, msg: IncomingMessage, command: str, result: str, elapsed: float) -> None:
        """The metrics and the one log line of a message that went through (or was answered from the record)."""
        self.metrics.messages.labels(command, result).inc()
        self.metrics.reply_seconds.observe(elapsed)
        log.info(
            "message handled",
            extra={
                "message_id": msg.message_id,
                "platform": str(msg.platform),
                "command": command,
                "outcome": result,
                "duration_ms": round(elapsed * 1000, 1),
            },
        )

    async def _handle(
        self, msg: IncomingMessage, parsed: Parsed | ParseError | None, inbox_id: int | None
    ) -> Outcome:
        if parsed is None:
            empty = Outcome(Reply(texts.EMPTY), "empty", result="not_understood")
            if inbox_id is not None:
                await self._close_empty(msg, empty, inbox_id)
            return empty
        conflicts, away = 0, Backoff(self.settings.database.retry_seconds)
        while conflicts < ATTEMPTS:
            try:
                try:
                    return await self._once(msg, parsed, inbox_id)
                except WriteConflict:
                    # Another transaction wrote the same row first (PostgreSQL): the same message raced in
                    # twice, or two messages recorded the same fact. Answer as the winner did, or run again.
                    conflicts += 1
                    seen = await self.db.run(lambda uow: uow.messages.seen(str(msg.platform), msg.message_id))
                    if seen is not None:
                        return Outcome(Reply(seen[0], private=seen[1]), seen[2], result="duplicate")
                    log.info(
                        "write conflict, retrying", extra={"message_id": msg.message_id, "attempt": conflicts}
                    )
            except Exception as exc:
                # The unit of work rolled back: nothing half-written. A database away for a moment (restart,
                # failover) is waited for; the dedupe row in the same unit of work makes the new try safe
                # even when the lost connection had committed. Otherwise the sender gets a short answer.
                if is_transient(exc) and await away.wait():
                    log.warning(
                        "database unavailable (%s), retrying",
                        type(exc).__name__,
                        extra={"message_id": msg.message_id},
                    )
                    continue
                log.exception("handler failed", extra={"message_id": msg.message_id})
                return Outcome(Reply(texts.INTERNAL_ERROR), "error", result="error")
        log.error("write conflicts persisted", extra={"message_id": msg.message_id})
        return Outcome(Reply(texts.INTERNAL_ERROR), "error", result="error")

    async def _close_empty(self, msg: IncomingMessage, outcome: Outcome, inbox_id: int) -> None:
        """Nothing to record for an empty message, but its inbox row is closed (and a deferred answer queued)."""

        async def close(uow: UnitOfWork) -> None:
            now = self.clock.now()
            if await uow.inbox.mark_handled(inbox_id, now):
                await uow.outbox.add([p for p in (late_reply(msg, outcome, None, now),) if p], now)

        try:
            await self.db.run(close)
        except Exception:  # left taken in: recovery closes it later (running it again changes nothing)
            log.exception("empty message not closed in the inbox", extra={"message_id": msg.message_id})

    async def _once(self, msg: IncomingMessage, parsed: Parsed | ParseError, inbox_id: int | None) -> Outcome:
        """The message's unit of work, run as one call (Database.run)."""
        return await self.db.run(lambda uow: self._unit(uow, msg, parsed, inbox_id))

    async def _unit(
        self,
        uow: UnitOfWork,
        msg: IncomingMessage,
        parsed: Parsed | ParseError,
        inbox_id: int | None,
        give_up_at: float | None = None,
    ) -> Outcome:
        platform, message_id = str(msg.platform), msg.message_id[:128]
        look = await uow.people.first_look(platform, message_id, msg.sender_id, msg.chat_id)
        if look.seen is not None:
            if inbox_id is not None:
                # Handled before under another inbox claim (its mark found no row): close this row too,
                # or recovery runs into it until it gives it up. Its reply was given then.
                await uow.inbox.mark_handled(inbox_id, self.clock.now())
            reply, private, command = look.seen
            return Outcome(Reply(reply, private=private), command, result="duplicate")
        outcome = await self._decide(uow, msg, parsed, look)
        now = self.clock.now()
        # Recorded in the same unit of work as the change: a retry finds it, or finds nothing done.
        await uow.messages.record(
            platform, message_id, outcome.command, outcome.reply.text, outcome.reply.private, now
        )
        replies = [p for p in (private_reply(msg, outcome),) if p is not None]
        if inbox_id is not None:
            outcome.late = await uow.inbox.mark_handled(inbox_id, now)  # deferred while it was handled
        elif give_up_at is not None:
            outcome.late = time.monotonic() > give_up_at
        if outcome.late:
            replies += [
                p
                for p in (late_reply(msg, outcome, look.chat.id if look.chat else None, now),)
                if p is not None
            ]
        await uow.outbox.add(replies, now)
        await uow.flush()  # whatever the handler left in the unit, before the COMMIT
        return outcome

    async def _decide(
        self, uow: UnitOfWork, msg: IncomingMessage, parsed: Parsed | ParseError, look: FirstLook
    ) -> Outcome:
        actor = await uow.people.actor_of(str(msg.platform), msg.sender_id, look.account)
        if actor.is_known:  # anything but an answer drops a pending proposal
            await settle_pending(uow, msg, parsed, look.proposal)
        if isinstance(parsed, ParseError):
            result = "not_understood" if actor.is_known else "unknown_sender"
            return Outcome(self._not_understood(parsed, actor), "unknown", actor=actor, result=result)
        spec = parsed.spec
        if not (spec.roles & actor.roles):
            result = "not_allowed" if actor.is_known else "unknown_sender"
            return Outcome(self._not_allowed(spec, actor), spec.name, actor=actor, result=result)
        if msg.is_group and look.chat is None and actor.is_staff and spec.roles != EVERYONE:
            # A group not in the roster: staff powers are not used there, and nothing is posted into it.
            text = texts.UNKNOWN_GROUP.format(name=spec.name, platform=msg.platform, chat_id=msg.chat_id[:80])
            return Outcome(Reply.refusal(text, private=True), spec.name, actor=actor, result="refused")
        ctx = HandlerContext(uow, self.clock, self.settings, actor, msg, look.chat, self.table)
        reply = await spec.handle(ctx, parsed.args)
        await ctx.finish()  # its audit entries and pushes, in its own unit of work
        return Outcome(reply, spec.name, list(ctx.pushes), actor, result=reply.refused or "ok")

    def _not_understood(self, error: ParseError, actor: Actor) -> Reply:
        if not actor.is_known:
            return Reply(texts.UNKNOWN_SENDER)
        lines = [texts.NOT_UNDERSTOOD.format(text=error.text[:30])]
        closest = error.closest
        if closest is not None and closest.roles & actor.roles:
            lines.append(texts.CLOSEST.format(usage=closest.usage, example=closest.example))
        lines.append(texts.SEE_HELP)
        return Reply("\n".join(lines))

    def _not_allowed(self, spec: CommandSpec, actor: Actor) -> Reply:
        if not actor.is_known:
            return Reply(texts.UNKNOWN_SENDER)
        who = "、".join(ROLE_WORDS[r] for r in sorted(spec.roles, key=list(Role).index) if r in ROLE_WORDS)
        return Reply(texts.NOT_ALLOWED.format(name=spec.name, who=who) + "\n" + texts.SEE_HELP)


def group_safe(reply: Reply, msg: IncomingMessage) -> Reply:
    """What may be said where the message came from: a private answer is not posted in a group, nor a phone."""
    if not msg.is_group:
        return reply
    if reply.private:
        return Reply(texts.PRIVATE_IN_GROUP, mention_user_ids=reply.mention_user_ids)
    text, masked = mask_phones(reply.text)
    if not masked:
        return reply
    log.error("reply to %s: %s phone number(s) in group text masked", msg.message_id, masked)
    return replace(reply, text=text)


def private_reply(msg: IncomingMessage, outcome: Outcome) -> Push | None:
    """A private answer to a group message, for the sender one-to-one (queued with the change it answers)."""
    actor = outcome.actor
    if not (outcome.reply.private and msg.is_group) or actor is None:
        return None
    if actor.staff_id is None and actor.guardian_id is None:
        return None
    return Push(
        key=f"private-reply:{msg.platform}:{msg.message_id}"[:200],
        text=outcome.reply.text,
        staff_id=actor.staff_id,
        guardian_id=None if actor.staff_id is not None else actor.guardian_id,
    )


def late_reply(msg: IncomingMessage, outcome: Outcome, chat_ref: int | None, now: datetime) -> Push | None:
    """The answer to a message whose live answer was given up: by its reply route while that is valid,
    else in its class group, else to the sender one-to-one (a private answer is already on its way)."""
    reply = group_safe(outcome.reply, msg)
    if not reply.text:
        return None
    url = (
        msg.reply_url
        if msg.reply_url and (msg.reply_expires_at is None or msg.reply_expires_at > now)
        else None
    )
    chat = staff = guardian = None
    actor = outcome.actor
    if not (outcome.reply.private and msg.is_group):
        if msg.is_group and chat_ref is not None:
            chat = chat_ref
        elif actor is not None:
            staff, guardian = actor.staff_id, None if actor.staff_id is not None else actor.guardian_id
    if url is None and chat is None and staff is None and guardian is None:
        log.warning("late reply has no route left", extra={"message_id": msg.message_id})
        return None
    return Push(
        key=f"late-reply:{msg.platform}:{msg.message_id}"[:200],
        text=reply.text,
        chat_ref=chat,
        staff_id=staff,
        guardian_id=guardian,
        mention_user_ids=reply.mention_user_ids,
        reply_url=url,
        reply_kind=msg.reply_kind,
        reply_expires_at=msg.reply_expires_at if url else None,
    )
