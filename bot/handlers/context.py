"""What a handler gets: the open unit of work, the clock, the sender, the chat, and a place for pushes."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Protocol

from bot.clock import Clock
from bot.domain.actors import Actor
from bot.domain.messages import IncomingMessage, Push
from bot.settings import Settings
from bot.store.people import ChatInfo
from bot.store.uow import UnitOfWork


class Commands(Protocol):
    """The command table as a handler uses it (bot.handlers.registry.CommandTable): this module needs no more."""

    def parse(self, text: str) -> Any:
        """A `Parsed` command or a `ParseError`."""

    def help_text(self, actor: Actor) -> str:
        """The commands this actor may use."""


@dataclass
class HandlerContext:
    uow: UnitOfWork
    clock: Clock
    settings: Settings
    actor: Actor
    message: IncomingMessage
    chat: ChatInfo | None
    table: Commands
    pushes: list[Push] = field(default_factory=list)
    audits: list[dict[str, Any]] = field(default_factory=list)
    # A proposal answered: the pupils already chosen among same-name ones, and the message carried out.
    chosen: frozenset[int] = frozenset()
    replayed_text: str | None = None

    def now_local(self) -> datetime:
        return self.clock.now().astimezone(self.settings.school.tz)

    def today(self) -> date:
        return self.now_local().date()

    def push(self, push: Push) -> None:
        """Queue a push; it is written with the same unit of work as the change that caused it."""
        self.pushes.append(push)

    def audit(self, action: str, subject: str = "", **detail: Any) -> None:
        """Record who did what, when and from which message (written with the change, see `finish`)."""
        self.audits.append(
            {
                "school_id": self.actor.school_id,
                "at": self.clock.now(),
                "actor": self.actor.actor_ref,
                "action": action,
                "subject": subject,
                "detail": detail,
                "message_id": self.message.message_id,
            }
        )

    async def finish(self) -> None:
        """Write what the handler left for its unit of work: the audit entries and the pushes."""
        if self.audits:
            await self.uow.messages.audit(self.audits)
            self.audits.clear()
        if self.pushes:
            await self.uow.outbox.add(self.pushes, self.clock.now())
