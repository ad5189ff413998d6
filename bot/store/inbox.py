"""The inbox's SQL (`uow.inbox`): take a message in, claim it, mark it handled (with the change) or deferred,
recover it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import Table, and_, bindparam, delete, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from bot.store.inbound_tables import InboxMessage, ProcessedMessage

INBOX = cast(Table, InboxMessage.__table__)
_PROCESSED = cast(Table, ProcessedMessage.__table__)
RECEIVED, HANDLED, FAILED = "received", "handled", "failed"


@dataclass(frozen=True)
class InboxRow:
    id: int
    state: str
    deferred: bool
    claimed_by: str | None
    claimed_until: datetime | None
    message: dict[str, Any]


def _take_in(dialect: Any) -> Any:
    return (
        dialect.insert(INBOX)
        .on_conflict_do_nothing(index_elements=["platform", "message_id"])
        .returning(INBOX.c.id)
    )


_TAKE_IN = (_take_in(sqlite), _take_in(postgresql))
_ROW = select(
    INBOX.c.id, INBOX.c.state, INBOX.c.deferred, INBOX.c.claimed_by, INBOX.c.claimed_until, INBOX.c.message
)
_FIND = _ROW.where(INBOX.c.platform == bindparam("platform"), INBOX.c.message_id == bindparam("message_id"))
_HANDLED = (
    update(INBOX)
    .where(INBOX.c.id == bindparam("inbox_id"), INBOX.c.state == RECEIVED)
    .values(state=HANDLED, handled_at=bindparam("now"), claimed_until=None)
    .returning(INBOX.c.deferred)
)


class InboxRepo:
    """`uow.inbox`: the durable inbox, in the unit's transaction: take a message in, claim it, mark it handled
    (with the change) or deferred, recover it, forget it."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def take_in(
        self,
        platform: str,
        message_id: str,
        message: dict[str, Any],
        now: datetime,
        instance: str,
        lease: timedelta,
        *,
        handled: bool = False,
    ) -> int | None:
        """Write a message claimed by `instance`; None if it was taken in before (a retry, a replay).

        `handled`: written as handled, by the unit of work that handles it (it commits with the change)."""
        statement = _TAKE_IN[self.session.get_bind().dialect.name == "postgresql"]
        return cast(
            int | None,
            await self.session.scalar(
                statement,
                {
                    "platform": platform,
                    "message_id": message_id,
                    "message": message,
                    "state": HANDLED if handled else RECEIVED,
                    "deferred": False,
                    "attempts": 1,
                    "claimed_by": instance,
                    "claimed_until": None if handled else now + lease,
                    "received_at": now,
                    "handled_at": now if handled else None,
                },
            ),
        )

    async def find(self, platform: str, message_id: str) -> InboxRow | None:
        row = (await self.session.execute(_FIND, {"platform": platform, "message_id": message_id})).first()
        return None if row is None else InboxRow(*row)

    async def claim(self, inbox_id: int, instance: str, now: datetime, lease: timedelta) -> bool:
        """Take a message still unhandled whose claim lapsed (or is ours) to handle it now."""
        done = await self.session.execute(
            update(INBOX)
            .where(
                INBOX.c.id == inbox_id,
                INBOX.c.state == RECEIVED,
                or_(
                    INBOX.c.claimed_until.is_(None),
                    INBOX.c.claimed_until < now,
                    INBOX.c.claimed_by == instance,
                ),
            )
            .values(claimed_by=instance, claimed_until=now + lease, attempts=INBOX.c.attempts + 1)
        )
        return bool(getattr(done, "rowcount", 0))

    async def defer(self, inbox_id: int) -> bool:
        """The live answer is given up: True if the message is still unhandled (its reply will go late)."""
        done = await self.session.execute(
            update(INBOX).where(INBOX.c.id == inbox_id, INBOX.c.state == RECEIVED).values(deferred=True)
        )
        return bool(getattr(done, "rowcount", 0))

    async def mark_handled(self, inbox_id: int, now: datetime) -> bool:
        """In the message's own unit of work: handled. Returns whether its reply must go by the late route."""
        return bool(await self.session.scalar(_HANDLED, {"inbox_id": inbox_id, "now": now}))

    async def mark_failed(self, inbox_id: int, now: datetime) -> None:
        """Handling failed and the sender was told so live. A deferred message (answered 200, or recovered) was
        told nothing: it stays taken in, and is handled again once its claim lapsed (until `max_attempts`)."""
        await self.session.execute(
            update(INBOX)
            .where(INBOX.c.id == inbox_id, INBOX.c.state == RECEIVED, INBOX.c.deferred.is_(False))
            .values(state=FAILED, handled_at=now, claimed_until=None)
        )

    async def recorded_reply(self, platform: str, message_id: str) -> tuple[str, bool, str] | None:
        """The reply given when the message was handled (text, private, command), if it was."""
        row = (
            await self.session.execute(
                select(_PROCESSED.c.reply, _PROCESSED.c.private, _PROCESSED.c.command).where(
                    _PROCESSED.c.platform == platform, _PROCESSED.c.message_id == message_id
                )
            )
        ).first()
        return None if row is None else (row[0], bool(row[1]), row[2])

    async def claim_lapsed(
        self,
        now: datetime,
        instance: str,
        lease: timedelta,
        *,
        skip: set[int],
        max_attempts: int,
        limit: int = 50,
    ) -> tuple[list[InboxRow], list[int]]:
        """Messages taken in and never handled whose claim lapsed: claimed for recovery (their reply goes late).

        Returns the claimed rows and the ids given up (cut off `max_attempts` times already), marked failed.
        """
        lapsed = and_(
            INBOX.c.state == RECEIVED, or_(INBOX.c.claimed_until.is_(None), INBOX.c.claimed_until < now)
        )
        query = (
            select(INBOX.c.id, INBOX.c.attempts).where(lapsed).order_by(INBOX.c.id).limit(limit + len(skip))
        )
        if self.session.get_bind().dialect.name == "postgresql":
            query = query.with_for_update(skip_locked=True)
        rows = [(i, a) for i, a in (await self.session.execute(query)).all() if i not in skip][:limit]
        given_up = [i for i, attempts in rows if attempts >= max_attempts]
        ids = [i for i, attempts in rows if attempts < max_attempts]
        if given_up:
            await self.session.execute(
                update(INBOX)
                .where(INBOX.c.id.in_(given_up))
                .values(state=FAILED, handled_at=now, claimed_until=None)
            )
        if not ids:
            return [], given_up
        await self.session.execute(
            update(INBOX)
            .where(INBOX.c.id.in_(ids))
            .values(
                claimed_by=instance, claimed_until=now + lease, deferred=True, attempts=INBOX.c.attempts + 1
            )
        )
        claimed = (await self.session.execute(_ROW.where(INBOX.c.id.in_(ids)).order_by(INBOX.c.id))).all()
        return [InboxRow(*r) for r in claimed], given_up

    async def prune(self, before: datetime) -> tuple[int, int]:
        """Forget handled-message records (the dedupe of replies) and finished inbox rows older than `before`
        (the dedupe window keeps answering retries): (records, rows)."""
        records = await self.session.execute(delete(_PROCESSED).where(_PROCESSED.c.handled_at < before))
        rows = await self.session.execute(
            delete(INBOX).where(INBOX.c.state != RECEIVED, INBOX.c.received_at < before)
        )
        return int(getattr(records, "rowcount", 0)), int(getattr(rows, "rowcount", 0))
