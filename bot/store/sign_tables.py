"""DingTalk HTTP callback signs already used: one (timestamp, sign) header pair serves one message id only."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from bot.store.tables import Base


class CallbackSign(Base):
    __tablename__ = "callback_signs"
    __table_args__ = (UniqueConstraint("platform", "timestamp", "sign"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    platform: Mapped[str] = mapped_column(String(16))
    timestamp: Mapped[str] = mapped_column(String(20))
    sign: Mapped[str] = mapped_column(String(64))
    message_id: Mapped[str] = mapped_column(String(128))
    signed_at: Mapped[datetime] = mapped_column(index=True)  # the header's timestamp: stale an hour later
