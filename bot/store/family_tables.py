"""Left-behind children's monthly records: family calls (亲情通话) and pastoral talks (谈心), both private."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, ForeignKey, Index, String, Text, true
from sqlalchemy.orm import Mapped, mapped_column

from bot.store.tables import Base


class FamilyCall(Base):
    """A call, video or letter between a left-behind child and a parent away, as told by either side."""

    __tablename__ = "family_calls"
    __table_args__ = (Index("ix_family_calls_student_month", "student_id", "month"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    student_id: Mapped[int] = mapped_column(ForeignKey("students.id", ondelete="CASCADE"))
    month: Mapped[str] = mapped_column(String(7))  # YYYY-MM, the month it counts for
    day: Mapped[date] = mapped_column(Date)
    kind: Mapped[str] = mapped_column(String(10))  # phone | video | letter
    # False: told by a guardian at home (an entrusted grandparent), shown apart, not the month's call
    by_parent_away: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    recorded_by: Mapped[str] = mapped_column(String(100))
    recorded_at: Mapped[datetime]
    message_id: Mapped[str] = mapped_column(String(128))


class PastoralTalk(Base):
    """A head or paired teacher's monthly talk with a left-behind child; the note is staff-only."""

    __tablename__ = "pastoral_talks"
    __table_args__ = (Index("ix_pastoral_talks_student_month", "student_id", "month"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    student_id: Mapped[int] = mapped_column(ForeignKey("students.id", ondelete="CASCADE"))
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id", ondelete="SET NULL"))
    month: Mapped[str] = mapped_column(String(7))
    day: Mapped[date] = mapped_column(Date)
    note: Mapped[str] = mapped_column(Text, default="")
    recorded_by: Mapped[str] = mapped_column(String(100))
    recorded_at: Mapped[datetime]
    message_id: Mapped[str] = mapped_column(String(128))
