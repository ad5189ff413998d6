"""The school's own calendar entries and the claims that make each scheduled fire run once."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from bot.store.tables import Base


class CalendarEntry(Base):
    """A term (学期), a school closure (停课), or an extra school day, as a date range."""

    __tablename__ = "calendar_entries"
    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(10))  # term | closure | workday
    start_date: Mapped[date] = mapped_column(Date)
    end_date: Mapped[date] = mapped_column(Date)
    name: Mapped[str] = mapped_column(String(100), default="")


class JobRun(Base):
    """One fire of one job for one school: the unique row is the claim two instances compete for."""

    __tablename__ = "job_runs"
    __table_args__ = (UniqueConstraint("job", "fire_time", "school_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    job: Mapped[str] = mapped_column(String(50))
    fire_time: Mapped[datetime]
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id", ondelete="CASCADE"))
    instance: Mapped[str] = mapped_column(String(100))
    started_at: Mapped[datetime]
    finished_at: Mapped[datetime | None]
    status: Mapped[str] = mapped_column(String(10), default="running")  # running|done|skipped|failed
    detail: Mapped[str] = mapped_column(Text, default="")
