"""DingTalk HTTP callback signs already used: a (timestamp, sign) header pair serves the message ids first seen
with it in the moment of its first use (messages sent in the same millisecond), and no other."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from bot.store.tables import Base


class CallbackSign(Base):
    __tablename__ = "callback_signs"
    __table_args__ = (UniqueConstraint("platform", "timestamp", "sign", "message_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    platform: Mapped[str] = mapped_column(String(16))
    timestamp: Mapped[str] = mapped_column(String(20))
    sign: Mapped[str] = mapped_column(String(64))
    message_id: Mapped[str] = mapped_column(String(128))
    signed_at: Mapped[datetime] = mapped_column(index=True)  # the header's timestamp: stale an hour later
    claimed_at: Mapped[datetime]  # when this message id was first seen with the pair (our clock)
