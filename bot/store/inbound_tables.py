"""Messages taken in (the durable inbox) and messages already handled, by platform message id.

A retried or replayed callback is answered from the record, never re-run; a message acknowledged to its
platform is in the inbox first, so a crash before it was handled does not lose it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from bot.store.tables import Base


class ProcessedMessage(Base):
    __tablename__ = "processed_messages"
    __table_args__ = (UniqueConstraint("platform", "message_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    platform: Mapped[str] = mapped_column(String(16))
    message_id: Mapped[str] = mapped_column(String(128))
    command: Mapped[str] = mapped_column(String(30))
    reply: Mapped[str] = mapped_column(Text)
    private: Mapped[bool] = mapped_column(Boolean, default=False)
    handled_at: Mapped[datetime] = mapped_column(index=True)


class InboxMessage(Base):
    """A message taken in from a platform, written before the platform is acknowledged.

    received -> handled (in the message's own unit of work) | failed. `deferred`: the live answer was given
    up (a slow handler, or a process that died), so the reply goes by the outbox's late-reply route.
    `claimed_by`/`claimed_until`: the instance handling it; a claim that lapsed is taken over on recovery.
    """

    __tablename__ = "inbox"
    __table_args__ = (
        UniqueConstraint("platform", "message_id"),
        Index("ix_inbox_state_claim", "state", "claimed_until"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    platform: Mapped[str] = mapped_column(String(16))
    message_id: Mapped[str] = mapped_column(String(128))
    message: Mapped[dict[str, Any]] = mapped_column(
        JSON
    )  # the IncomingMessage's fields, reply route included
    state: Mapped[str] = mapped_column(String(10))
    deferred: Mapped[bool] = mapped_column(Boolean, default=False)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    claimed_by: Mapped[str | None] = mapped_column(String(100))
    claimed_until: Mapped[datetime | None]
    received_at: Mapped[datetime] = mapped_column(index=True)
    handled_at: Mapped[datetime | None]
