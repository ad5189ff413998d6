"""Pending proposals: remember one, take it back (within its time), or drop it when the sender moves on."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import cast

from sqlalchemy import Table, and_, bindparam, delete, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.store.enroll_tables import as_utc
from bot.store.proposal_tables import Proposal

_P = cast(Table, Proposal.__table__)
_WHO = and_(
    _P.c.platform == bindparam("platform"),
    _P.c.chat_id == bindparam("chat_id"),
    _P.c.sender_id == bindparam("sender_id"),
)
# Built once: every message from a sender with nothing pending runs only _DROP.
_DROP = delete(_P).where(_WHO)
_FIND = select(_P.c.choices, _P.c.created_at).where(_WHO)
_ADD = insert(_P)


@dataclass(frozen=True)
class Who:
    platform: str
    chat_id: str
    sender_id: str

    def params(self) -> dict[str, str]:
        return {"platform": self.platform, "chat_id": self.chat_id[:128], "sender_id": self.sender_id[:128]}


async def remember(
    session: AsyncSession, who: Who, texts: list[str], question: str, message_id: str, now: datetime
) -> None:
    """The sender's one pending proposal is now this one."""
    await session.execute(_DROP, who.params())
    await session.execute(
        _ADD,
        {
            **who.params(),
            "question": question,
            "choices": {"texts": texts},
            "message_id": message_id[:128],
            "created_at": now.astimezone(UTC),
        },
    )


async def pending(session: AsyncSession, who: Who, now: datetime, within: timedelta) -> list[str] | None:
    """The pending proposal's choices if it is younger than `within` (an older one is dropped)."""
    row = (await session.execute(_FIND, who.params())).first()
    if row is None:
        return None
    choices, created = row
    if now - (as_utc(created) or now) > within:
        await session.execute(_DROP, who.params())
        return None
    return [str(t) for t in choices.get("texts", [])]


async def drop(session: AsyncSession, who: Who) -> None:
    """Anything but an answer drops what was pending."""
    await session.execute(_DROP, who.params())


class ProposalsRepo:
    """The one pending proposal per sender and chat."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def remember(
        self, who: Who, texts: list[str], question: str, message_id: str, now: datetime
    ) -> None:
        await remember(self.session, who, texts, question, message_id, now)

    async def pending(self, who: Who, now: datetime, within: timedelta) -> list[str] | None:
        return await pending(self.session, who, now, within)

    async def drop(self, who: Who) -> None:
        await drop(self.session, who)
