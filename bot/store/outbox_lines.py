"""The outbox worker's SQL: claim the heads of the lines, keep and hand back claims, record each outcome; the
chat a push goes to, who hears of a broken robot, the accounts of one-to-one recipients, the gauges' numbers.

Claims are rows (`state='sending'` with a lease); see `bot.outbox.worker` for how they are used.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime, timedelta

from sqlalchemy import ColumnElement, func, or_, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.outbox import UNFINISHED, ClaimedPush, PushChat, heads_of_lines
from bot.store.outbox_tables import OutboxMessage
from bot.store.people import staff_ids_with_role
from bot.store.tables import Chat, ClassGroup, Identity, School

CLAIM_LOCK = 0x74756F67  # pg_advisory_xact_lock key: one instance claims at a time
WAITING = ("queued", "sending", "private")  # states that still owe a delivery (the gauges)
ADMIN_ROLES = ("admin", "principal")


def _aware(value: datetime | None) -> datetime | None:
    # SQLite hands back naive datetimes; they were written in UTC.
    return value.replace(tzinfo=UTC) if value is not None and value.tzinfo is None else value


def _due(now: datetime) -> ColumnElement[bool]:
    return or_(
        OutboxMessage.state.in_(("queued", "private")) & (OutboxMessage.next_attempt_at <= now),
        (OutboxMessage.state == "sending") & (OutboxMessage.claimed_until < now),
    )


def _claimed(row: OutboxMessage) -> ClaimedPush:
    mentions = row.mentions or {}
    return ClaimedPush(
        id=row.id,
        key=row.key,
        text=row.text,
        chat_ref=row.chat_ref,
        staff_id=row.staff_id,
        guardian_id=row.guardian_id,
        mention_user_ids=tuple(mentions.get("user_ids", [])),
        mention_phones=tuple(mentions.get("phones", [])),
        markdown=row.markdown,
        image=row.image,
        attempts=row.attempts,
        parts_sent=row.parts_sent,
        send_started_at=_aware(row.send_started_at),
        reply_url=row.reply_url,
        reply_kind=row.reply_kind,
        reply_expires_at=row.reply_expires_at,
    )


class OutboxDelivery:
    """The delivery side of `uow.outbox` (the worker's reads and writes), in the unit's transaction."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def claim(self, now: datetime, instance: str, lease: timedelta, limit: int) -> list[ClaimedPush]:
        """Claim up to `limit` pushes due now, only from the head of each line, one instance at a time."""
        if self.session.get_bind().dialect.name == "postgresql":
            await self.session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": CLAIM_LOCK})
        lines = await self.session.execute(
            select(
                OutboxMessage.id,
                OutboxMessage.chat_ref,
                OutboxMessage.staff_id,
                OutboxMessage.guardian_id,
                _due(now),
            )
            .where(OutboxMessage.state.in_(UNFINISHED))
            .order_by(OutboxMessage.id)
        )
        ids = heads_of_lines(lines, limit)
        if not ids:
            return []
        await self.session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id.in_(ids))
            .values(state="sending", claimed_by=instance, claimed_until=now + lease)
        )
        rows = await self.session.scalars(select(OutboxMessage).where(OutboxMessage.id.in_(ids)))
        return [_claimed(row) for row in rows.all()]

    async def keep(self, ids: list[int], instance: str, until: datetime) -> bool:
        """Extend this instance's claim on `ids` to `until`; False if any of them is no longer ours."""
        done = await self.session.execute(
            update(OutboxMessage)
            .where(
                OutboxMessage.id.in_(ids),
                OutboxMessage.state == "sending",
                OutboxMessage.claimed_by == instance,
            )
            .values(claimed_until=until)
        )
        return getattr(done, "rowcount", 0) == len(ids)

    async def release(self, pushes: list[ClaimedPush], at: datetime) -> None:
        """Hand claimed pushes back, unsent, to be claimed again from `at`."""
        for state in {p.waiting_state for p in pushes}:
            await self.session.execute(
                update(OutboxMessage)
                .where(OutboxMessage.id.in_([p.id for p in pushes if p.waiting_state == state]))
                .values(state=state, next_attempt_at=at, claimed_by=None, claimed_until=None)
            )

    async def retry(self, push: ClaimedPush, at: datetime, error: str, *, count: bool) -> None:
        """Try the push again from `at` (`count`: the try counts towards giving up)."""
        await self.session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == push.id)
            .values(
                state=push.waiting_state,
                next_attempt_at=at,
                claimed_by=None,
                claimed_until=None,
                send_started_at=None,
                attempts=OutboxMessage.attempts + (1 if count else 0),
                last_error=error[:300],
            )
        )

    async def finish(self, push_id: int, state: str, note: str, now: datetime) -> None:
        """A claimed push is done: sent, failed, unsure or without a channel."""
        await self.session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == push_id, OutboxMessage.state == "sending")
            .values(
                state=state,
                sent_at=now if state == "sent" else None,
                claimed_until=None,
                last_error=note[:300] or None,
                send_started_at=None,
            )
        )

    async def progress(self, push_id: int, parts_sent: int) -> None:
        """Parts `1..parts_sent` of a multi-part push went through."""
        await self.session.execute(
            update(OutboxMessage).where(OutboxMessage.id == push_id).values(parts_sent=parts_sent)
        )

    async def started(self, push_id: int, at: datetime) -> None:
        """A one-to-one send begins (so a crash mid-send is not resent blind)."""
        await self.session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == push_id)
            .values(send_started_at=at.astimezone(UTC))
        )

    async def drop_reply_route(self, push_id: int) -> None:
        """A late reply's route is gone: the push goes to its target's line instead."""
        await self.session.execute(
            update(OutboxMessage).where(OutboxMessage.id == push_id).values(reply_url=None)
        )

    async def chat(self, chat_ref: int) -> PushChat | None:
        chat = await self.session.get(Chat, chat_ref)
        if chat is None:
            return None
        return PushChat(
            chat.id,
            chat.chat_id,
            chat.platform,
            chat.webhook,
            chat.webhook_secret,
            chat.class_group_id,
            chat.broken_reason,
        )

    async def mark_broken(self, chat_ref: int, reason: str) -> None:
        """The chat's robot is gone: its pushes fail until the roster gives it a new one."""
        await self.session.execute(update(Chat).where(Chat.id == chat_ref).values(broken_reason=reason[:200]))

    async def admins(self, class_group_id: int | None) -> tuple[str, list[int]]:
        """The class's name and its school's admins and principals (every school's when no class is named)."""
        if class_group_id is not None:
            school_id, class_name = (
                await self.session.execute(
                    select(ClassGroup.school_id, ClassGroup.name).where(ClassGroup.id == class_group_id)
                )
            ).one()
            schools = [school_id]
        else:
            class_name, schools = "", list((await self.session.scalars(select(School.id))).all())
        return class_name, [
            a for school in schools for a in await staff_ids_with_role(self.session, school, ADMIN_ROLES)
        ]

    async def accounts(
        self, staff: set[int], guardians: set[int]
    ) -> dict[tuple[str, int], list[tuple[str, str]]]:
        """Platform accounts (platform, user id) of these people, keyed ("staff"|"guardian", id), oldest first."""
        accounts: dict[tuple[str, int], list[tuple[str, str]]] = defaultdict(list)
        if not (staff or guardians):
            return accounts
        found = await self.session.execute(
            select(Identity.staff_id, Identity.guardian_id, Identity.platform, Identity.user_id)
            .where(or_(Identity.staff_id.in_(staff), Identity.guardian_id.in_(guardians)))
            .order_by(Identity.id)
        )
        for staff_id, guardian_id, platform, user_id in found:
            who = ("staff", staff_id) if staff_id is not None else ("guardian", guardian_id or 0)
            accounts[who].append((platform, user_id))
        return accounts

    async def waiting(self) -> list[tuple[str, str | None, int, datetime]]:
        """Pushes still owed, by state and platform (None: not a group push): how many, the oldest's creation."""
        rows = (
            await self.session.execute(
                select(OutboxMessage.state, Chat.platform, func.count(), func.min(OutboxMessage.created_at))
                .outerjoin(Chat, Chat.id == OutboxMessage.chat_ref)
                .where(OutboxMessage.state.in_(WAITING))
                .group_by(OutboxMessage.state, Chat.platform)
            )
        ).all()
        out: list[tuple[str, str | None, int, datetime]] = []
        for state, platform, depth, oldest in rows:
            out.append((state, platform, int(depth), _aware(oldest) or oldest))
        return out

    async def chat_feed(self, chat_id: str, after: int, limit: int = 100) -> list[tuple[int, str, datetime]]:
        """Group pushes queued for the chat with this 群ID after outbox id `after`: (id, text, created)."""
        rows = await self.session.execute(
            select(OutboxMessage.id, OutboxMessage.text, OutboxMessage.created_at)
            .join(Chat, Chat.id == OutboxMessage.chat_ref)
            .where(Chat.chat_id == chat_id, OutboxMessage.id > after)
            .order_by(OutboxMessage.id)
            .limit(limit)
        )
        return [(i, t, a) for i, t, a in rows.all()]
