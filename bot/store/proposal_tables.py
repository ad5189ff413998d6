"""Proposals the bot made and waits to carry out: one per sender per chat, answered by 是 or a number."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from bot.store.tables import Base


class Proposal(Base):
    """A concrete reading proposed to a sender: `choices["texts"]` are the messages a 是 (or 1, 2, …) stands for."""

    __tablename__ = "proposals"
    __table_args__ = (UniqueConstraint("platform", "chat_id", "sender_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    platform: Mapped[str] = mapped_column(String(16))
    chat_id: Mapped[str] = mapped_column(String(128))
    sender_id: Mapped[str] = mapped_column(String(128))
    question: Mapped[str] = mapped_column(Text)
    choices: Mapped[dict[str, Any]] = mapped_column(default=dict)
    message_id: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(index=True)
