"""The message pipeline: normalise -> identify sender -> parse -> check role -> handle -> reply.

Every platform adapter, the simulator and `tuoguan say` feed the same `handle_message`.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from typing import cast

from sqlalchemy import Table, bindparam, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock
from bot.domain.actors import Actor, Role
from bot.domain.messages import IncomingMessage, Push, Reply
from bot.domain.text import normalise
from bot.handlers import texts
from bot.handlers.context import HandlerContext, write_audits
from bot.handlers.registry import EVERYONE, CommandSpec, CommandTable, Parsed, ParseError
from bot.metrics import Metrics
from bot.settings import Settings
from bot.store.db import Backoff, Database, is_transient
from bot.store.inbound_tables import ProcessedMessage
from bot.store.outbox import enqueue
from bot.store.people import FirstLook, actor_of, first_look

log = logging.getLogger(__name__)

ATTEMPTS = 3  # a unit of work that lost a write race is run again this many times in all

_PROCESSED = cast(Table, ProcessedMessage.__table__)
# Built once: every message runs these two.
_SEEN = select(_PROCESSED.c.reply, _PROCESSED.c.private, _PROCESSED.c.command).where(
    _PROCESSED.c.platform == bindparam("platform"), _PROCESSED.c.message_id == bindparam("message_id")
)
_RECORD = insert(_PROCESSED)

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


@dataclass
class Pipeline:
    db: Database
    settings: Settings
    clock: Clock
    table: CommandTable
    metrics: Metrics = field(default_factory=Metrics)

    async def handle_message(self, msg: IncomingMessage) -> Outcome:
        started = time.perf_counter()
        text = normalise(msg.text)
        outcome = await self._handle(msg, text)
        elapsed = time.perf_counter() - started
        self.metrics.messages.labels(outcome.command, outcome.result).inc()
        self.metrics.reply_seconds.observe(elapsed)
        log.info(
            "message handled",
            extra={
                "message_id": msg.message_id,
                "platform": str(msg.platform),
                "command": outcome.command,
                "outcome": outcome.result,
                "duration_ms": round(elapsed * 1000, 1),
            },
        )
        return outcome

    async def _handle(self, msg: IncomingMessage, text: str) -> Outcome:
        if not text:
            return Outcome(Reply(texts.EMPTY), "empty", result="not_understood")
        parsed = self.table.parse(text)
        conflicts, away = 0, Backoff(self.settings.database.retry_seconds)
        while conflicts < ATTEMPTS:
            try:
                try:
                    return await self._once(msg, parsed)
                except IntegrityError:
                    # Another transaction wrote the same row first (PostgreSQL): the same message raced in
                    # twice, or two messages recorded the same fact. Answer as the winner did, or run again.
                    conflicts += 1
                    async with self.db.transaction() as session:
                        seen = await self._seen(session, msg)
                    if seen is not None:
                        return seen
                    log.info("write conflict, retrying", extra={"message_id": msg.message_id, "attempt": conflicts})
            except Exception as exc:
                # The unit of work rolled back: nothing half-written. A database away for a moment (restart,
                # failover) is waited for; the dedupe row in the same unit of work makes the new try safe
                # even when the lost connection had committed. Otherwise the sender gets a short answer.
                if is_transient(exc) and await away.wait():
                    log.warning("database unavailable (%s), retrying", type(exc).__name__,
                                extra={"message_id": msg.message_id})
                    continue
                log.exception("handler failed", extra={"message_id": msg.message_id})
                return Outcome(Reply(texts.INTERNAL_ERROR), "error", result="error")
        log.error("write conflicts persisted", extra={"message_id": msg.message_id})
        return Outcome(Reply(texts.INTERNAL_ERROR), "error", result="error")

    async def _once(self, msg: IncomingMessage, parsed: Parsed | ParseError) -> Outcome:
        async with self.db.transaction() as session:
            look = await first_look(session, str(msg.platform), msg.message_id[:128], msg.sender_id, msg.chat_id)
            if look.seen is not None:
                reply, private, command = look.seen
                return Outcome(Reply(reply, private=private), command, result="duplicate")
            outcome = await self._decide(session, msg, parsed, look)
            # Recorded in the same unit of work as the change: a retry finds it, or finds nothing done.
            await session.execute(_RECORD, {
                "platform": str(msg.platform), "message_id": msg.message_id[:128], "command": outcome.command[:30],
                "reply": outcome.reply.text, "private": outcome.reply.private, "handled_at": self.clock.now(),
            })
            await session.flush()  # whatever the handler left in the session, before the COMMIT
            return outcome

    async def _seen(self, session: AsyncSession, msg: IncomingMessage) -> Outcome | None:
        row = (await session.execute(
            _SEEN, {"platform": str(msg.platform), "message_id": msg.message_id[:128]}
        )).first()
        if row is None:
            return None
        reply, private, command = row
        return Outcome(Reply(reply, private=private), command, result="duplicate")

    async def _decide(
        self, session: AsyncSession, msg: IncomingMessage, parsed: Parsed | ParseError, look: FirstLook
    ) -> Outcome:
        actor = await actor_of(session, str(msg.platform), msg.sender_id, look.account)
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
        ctx = HandlerContext(session, self.clock, self.settings, actor, msg, look.chat, self.table)
        reply = await spec.handle(ctx, parsed.args)
        await write_audits(ctx)
        await self.store_pushes(ctx)
        return Outcome(reply, spec.name, list(ctx.pushes), actor, result=reply.refused or "ok")

    async def store_pushes(self, ctx: HandlerContext) -> None:
        """Pushes a message caused are written in the handler's own unit of work."""
        await self.queue_pushes(ctx.session, ctx.pushes)

    async def queue_pushes(self, session: AsyncSession, pushes: list[Push]) -> None:
        """Write `pushes` into the durable outbox in `session` (idempotent by key)."""
        await enqueue(session, pushes, self.clock.now())

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
