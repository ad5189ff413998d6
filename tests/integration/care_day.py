"""A demo school and a `say` helper that sends messages through the pipeline at given times."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from itertools import count

from bot.bootstrap import Services, bootstrap
from bot.clock import FixedClock
from bot.demo import CHAT_32, load_demo
from bot.domain.messages import IncomingMessage, Platform
from bot.pipeline import Outcome
from bot.settings import Settings, load_settings
from bot.store.db import Database
from tests.conftest import shanghai

Say = Callable[..., Awaitable[Outcome]]


async def demo_services(db: Database, settings: Settings | None = None) -> Services:
    settings = settings or load_settings()
    clock = FixedClock(shanghai(2026, 11, 23, 8))
    await load_demo(db, settings, clock)
    return bootstrap(settings, clock=clock, db=db)


def sayer(services: Services) -> Say:
    ids = count(1)

    async def say(
        user: str, text: str, at: tuple[int, int], *, day: int = 23, chat: str = CHAT_32
    ) -> Outcome:
        assert isinstance(services.clock, FixedClock)
        services.clock.instant = shanghai(2026, 11, day, *at)
        msg = IncomingMessage(Platform.WECOM, chat, user, text, f"msg-{next(ids)}", services.clock.instant)
        return await services.pipeline.handle_message(msg)

    return say
