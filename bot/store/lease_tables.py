"""Leases: which instance holds a resource only one may hold (a platform's single long connection)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from bot.store.tables import Base


class ConnectionLease(Base):
    __tablename__ = "connection_leases"
    name: Mapped[str] = mapped_column(String(64), primary_key=True)  # e.g. "wecom-bot:<bot_id>"
    holder: Mapped[str] = mapped_column(String(128))
    expires_at: Mapped[datetime]
