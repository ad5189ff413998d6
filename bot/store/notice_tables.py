"""Notices with read confirmation: the notice, and one row per child it reaches (confirmed or not)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from bot.store.tables import Base


class Notice(Base):
    """A notice sent to class groups (a class, a grade, the whole school); open until `closes_at`."""

    __tablename__ = "notices"
    __table_args__ = (Index("ix_notices_school_closes", "school_id", "closes_at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id", ondelete="CASCADE"))
    # The staff member who sent it; None for a closure added from the command line.
    sender_staff_id: Mapped[int | None] = mapped_column(
        ForeignKey("staff.id", ondelete="SET NULL"), index=True
    )
    kind: Mapped[str] = mapped_column(String(10), default="notice")  # notice | closure
    scope: Mapped[str] = mapped_column(String(50))  # 三年级2班, 三年级, 全校
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime]
    closes_at: Mapped[datetime]
    message_id: Mapped[str | None] = mapped_column(String(128))


class NoticeTarget(Base):
    """A child the notice reaches; confirmed once any of its guardians replied 收到."""

    __tablename__ = "notice_targets"
    notice_id: Mapped[int] = mapped_column(ForeignKey("notices.id", ondelete="CASCADE"), primary_key=True)
    student_id: Mapped[int] = mapped_column(
        ForeignKey("students.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    class_group_id: Mapped[int] = mapped_column(ForeignKey("class_groups.id", ondelete="CASCADE"))
    confirmed_at: Mapped[datetime | None]
    confirmed_by: Mapped[int | None] = mapped_column(ForeignKey("guardians.id", ondelete="SET NULL"))
