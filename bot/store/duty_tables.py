"""Duty and safety records: the duty roster, patrols, the day's clearance (清校) and incidents."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from bot.store.tables import Base


class DutySlot(Base):
    """Who leads the duty (带班领导) on a date (slot 2026-11-23) or every week on a weekday (slot w1..w7)."""

    __tablename__ = "duty_slots"
    __table_args__ = (UniqueConstraint("school_id", "slot"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id", ondelete="CASCADE"))
    slot: Mapped[str] = mapped_column(String(10))
    day: Mapped[date | None]
    weekday: Mapped[int | None] = mapped_column(Integer)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id", ondelete="CASCADE"), index=True)


class Patrol(Base):
    """One patrol of a class (巡课): normal or a problem with its note."""

    __tablename__ = "patrols"
    __table_args__ = (Index("ix_patrols_school_day", "school_id", "day"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id", ondelete="CASCADE"))
    day: Mapped[date]
    class_group_id: Mapped[int] = mapped_column(ForeignKey("class_groups.id", ondelete="CASCADE"))
    ok: Mapped[bool] = mapped_column(Boolean)
    note: Mapped[str] = mapped_column(Text, default="")
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id", ondelete="SET NULL"))
    at: Mapped[datetime]
    message_id: Mapped[str] = mapped_column(String(128))


class Clearance(Base):
    """The day's 清校完毕: the last child left and the school was checked (one per school and day)."""

    __tablename__ = "clearances"
    __table_args__ = (UniqueConstraint("school_id", "day"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id", ondelete="CASCADE"))
    day: Mapped[date]
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id", ondelete="SET NULL"))
    at: Mapped[datetime]
    message_id: Mapped[str] = mapped_column(String(128))


class Incident(Base):
    """A safety incident (事故 / 安全事件): who, when, what, the action taken, and the teacher's own words."""

    __tablename__ = "incidents"
    __table_args__ = (Index("ix_incidents_school_day", "school_id", "day"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id", ondelete="CASCADE"))
    student_id: Mapped[int] = mapped_column(ForeignKey("students.id", ondelete="CASCADE"), index=True)
    class_group_id: Mapped[int] = mapped_column(ForeignKey("class_groups.id", ondelete="CASCADE"))
    day: Mapped[date]
    at: Mapped[datetime]
    reported_by: Mapped[int | None] = mapped_column(ForeignKey("staff.id", ondelete="SET NULL"))
    what: Mapped[str] = mapped_column(Text)
    actions: Mapped[str] = mapped_column(String(100), default="")  # canonical labels, 、-separated
    words: Mapped[str] = mapped_column(Text)  # the teacher's text after the name, as sent to the guardians
    # Sent in a class group (it was answered privately all the same).
    in_group: Mapped[bool] = mapped_column(Boolean, default=False)
    message_id: Mapped[str] = mapped_column(String(128))
