"""Bus riders: the school's lines (roster sheet 校车), who rides which line, and each day's boarding record."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from bot.store.tables import Base


class BusLine(Base):
    """A bus line: 线路, 方向, 司机, 司机手机 (shown to riders' guardians one-to-one only), 车牌."""

    __tablename__ = "bus_lines"
    __table_args__ = (UniqueConstraint("school_id", "name"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(30))
    direction: Mapped[str] = mapped_column(String(50), default="")
    driver: Mapped[str] = mapped_column(String(50), default="")
    driver_phone: Mapped[str] = mapped_column(String(20), default="")
    plate: Mapped[str] = mapped_column(String(20), default="")


class BusRider(Base):
    """A child riding a line home (the 学生 sheet's 校车线路)."""

    __tablename__ = "bus_riders"
    student_id: Mapped[int] = mapped_column(ForeignKey("students.id", ondelete="CASCADE"), primary_key=True)
    bus_line_id: Mapped[int] = mapped_column(ForeignKey("bus_lines.id", ondelete="CASCADE"), index=True)


class BusBoarding(Base):
    """A rider at a line's departure: on the bus (left care, like a pickup) or missing (in care, not on it)."""

    __tablename__ = "bus_boardings"
    __table_args__ = (UniqueConstraint("student_id", "day"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    student_id: Mapped[int] = mapped_column(ForeignKey("students.id", ondelete="CASCADE"), index=True)
    day: Mapped[date] = mapped_column(Date, index=True)
    bus_line_id: Mapped[int] = mapped_column(ForeignKey("bus_lines.id", ondelete="CASCADE"), index=True)
    boarded: Mapped[bool] = mapped_column(Boolean)
    departed_at: Mapped[datetime]  # UTC
    recorded_by: Mapped[str] = mapped_column(String(100))
    message_id: Mapped[str] = mapped_column(String(128))
