"""Teachers' attendance (到岗/离岗) and substitutes (代班): the basis of workload and pay."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from bot.store.tables import Base


class StaffAttendance(Base):
    """One teacher's working day: when they checked in (到岗) and out (离岗); each at most once a day."""

    __tablename__ = "staff_attendance"
    __table_args__ = (UniqueConstraint("staff_id", "day"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id", ondelete="CASCADE"), index=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id", ondelete="CASCADE"))
    day: Mapped[date] = mapped_column(Date, index=True)
    checked_in_at: Mapped[datetime | None]
    checked_out_at: Mapped[datetime | None]
    message_id: Mapped[str] = mapped_column(String(128))


class Substitute(Base):
    """A substitute teacher for a class's basic care (or an X course's session) on one day: 代班."""

    __tablename__ = "substitutes"
    __table_args__ = (UniqueConstraint("target", "day"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id", ondelete="CASCADE"), index=True)
    target: Mapped[str] = mapped_column(String(20))  # "class:12" | "course:3"
    day: Mapped[date] = mapped_column(Date, index=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id", ondelete="CASCADE"))
    recorded_by: Mapped[str] = mapped_column(String(100))
    recorded_at: Mapped[datetime]
    message_id: Mapped[str] = mapped_column(String(128))
