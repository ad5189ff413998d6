"""The durable outbox: every push is written here first (unique key), then delivered by a worker."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from bot.store.tables import Base


class OutboxMessage(Base):
    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_state_next", "state", "next_attempt_at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(200), unique=True)
    chat_ref: Mapped[int | None] = mapped_column(ForeignKey("chats.id", ondelete="CASCADE"), index=True)
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id", ondelete="CASCADE"), index=True)
    guardian_id: Mapped[int | None] = mapped_column(
        ForeignKey("guardians.id", ondelete="CASCADE"), index=True
    )
    text: Mapped[str] = mapped_column(Text)
    mentions: Mapped[dict[str, Any]] = mapped_column(default=dict)  # {"user_ids": [...], "phones": [...]}
    markdown: Mapped[bool] = mapped_column(Boolean, default=False)
    image: Mapped[bytes | None] = mapped_column(LargeBinary)  # PNG/JPEG, at most 2 MB
    # group: queued -> sending -> sent | failed; one-to-one: private -> sending -> sent | failed |
    # no_channel (no platform account or app) | unsure (a crash mid-send on a channel without dedupe)
    state: Mapped[str] = mapped_column(String(10))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime]
    claimed_by: Mapped[str | None] = mapped_column(String(100))
    claimed_until: Mapped[datetime | None]
    created_at: Mapped[datetime]
    sent_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(String(300))
    send_started_at: Mapped[datetime | None]  # set before a one-to-one send, so a crash is not resent blind
    # parts (text pieces, the image) of a multi-part push already through: a retry sends only the rest
    parts_sent: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # A late reply to a message: posted to the platform's reply route (WeCom response_url, DingTalk
    # sessionWebhook) while it is valid; otherwise, where a target is set, pushed there instead.
    reply_url: Mapped[str | None] = mapped_column(Text)
    reply_kind: Mapped[str | None] = mapped_column(String(24))
    reply_expires_at: Mapped[datetime | None]


class SendBudget(Base):
    """One sender's shared send window (robot key, app user, app), under a row lock for every reservation.

    `bucket` is the sha256 of the bucket name (it holds a robot's webhook key / access_token, never stored
    in clear here); `sent` the POSIX times of the sends of the last 60 s; `paused_until` the platform's pause.
    """

    __tablename__ = "send_budgets"
    bucket: Mapped[str] = mapped_column(String(64), primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))  # e.g. robot:wecom, app-user:dingtalk, app:wecom
    sent: Mapped[list[float]] = mapped_column(JSON, default=list)
    paused_until: Mapped[datetime | None]
    updated_at: Mapped[datetime]
