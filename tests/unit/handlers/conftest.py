"""Run the real handlers against the in-memory unit of work: parse, check the role, handle, keep what it wrote."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from itertools import count
from typing import Any, cast

import pytest

from bot.clock import FixedClock
from bot.domain.actors import Actor
from bot.domain.messages import IncomingMessage, Platform, Push, Reply
from bot.domain.text import normalise
from bot.handlers.context import HandlerContext
from bot.handlers.proposals import settle_pending
from bot.handlers.registry import CommandTable, Parsed
from bot.handlers.table import build_table
from bot.settings import Settings, load_settings
from bot.store.people import ChatInfo
from bot.store.uow import UnitOfWork
from tests.conftest import shanghai
from tests.fakes.uow import FakeUnitOfWork, World, tiny_world

MON = date(2026, 11, 23)
TABLE = build_table()
SETTINGS = load_settings()
CHAT = ChatInfo(1, "wecom", "chat-3-2", 1, "三年级2班", 1)


@dataclass
class Said:
    reply: Reply
    command: str
    pushes: list[Push]


@dataclass
class Bot:
    world: World = field(default_factory=tiny_world)
    settings: Settings = field(default_factory=lambda: SETTINGS)
    table: CommandTable = field(default_factory=lambda: TABLE)
    clock: FixedClock = field(default_factory=lambda: FixedClock(shanghai(2026, 11, 23, 8)))
    ids: Any = field(default_factory=lambda: count(1))

    async def say(
        self,
        actor: Actor,
        text: str,
        at: tuple[int, int] = (8, 0),
        *,
        day: date = MON,
        chat: ChatInfo | None = CHAT,
    ) -> Said:
        """One message through the command table and its handler (as the pipeline runs them)."""
        self.clock.instant = shanghai(day.year, day.month, day.day, *at)
        msg = IncomingMessage(
            Platform.WECOM,
            chat.chat_id if chat else "dm",
            actor.user_id,
            text,
            f"m{next(self.ids)}",
            self.clock.instant,
            is_group=chat is not None,
        )
        uow = FakeUnitOfWork(self.world)
        parsed = self.table.parse(normalise(text))
        await settle_pending(cast(UnitOfWork, uow), msg, parsed)
        assert isinstance(parsed, Parsed), f"not understood: {text}"
        assert parsed.spec.roles & actor.roles, f"{parsed.spec.name} not allowed"
        ctx = HandlerContext(cast(UnitOfWork, uow), self.clock, self.settings, actor, msg, chat, self.table)
        reply = await parsed.spec.handle(ctx, parsed.args)
        await ctx.finish()
        return Said(reply, parsed.spec.name, list(ctx.pushes))

    def now(self) -> datetime:
        return self.clock.instant


@pytest.fixture
def bot() -> Bot:
    return Bot()
