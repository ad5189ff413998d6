"""Enrollment and fee tables: course windows, enrollments with state, session cancellations, ledger in fen."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import BigInteger, Date, DateTime, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, validates

from bot.store.tables import Base


def as_utc(at: datetime | None) -> datetime | None:
    """Times are stored in UTC (SQLite keeps no offset); a naive value read back is UTC."""
    if at is None:
        return None
    return at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)


class CourseWindow(Base):
    """A course's enrollment window and round (kept apart from Course, which the roster importer writes)."""

    __tablename__ = "course_windows"

    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"), primary_key=True)
    opens_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    closes_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    round: Mapped[int] = mapped_column(Integer, default=1)
    reserved_places: Mapped[int] = mapped_column(Integer, default=0)  # for priority groups
    priority_opens_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    @validates("opens_at", "closes_at", "priority_opens_at")
    def _utc(self, _key: str, at: datetime | None) -> datetime | None:
        return as_utc(at)


class Enrollment(Base):
    """One child in one course: its state in the four steps and its place in the queue (applied_at)."""

    __tablename__ = "enrollments"

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"), index=True)
    student_id: Mapped[int] = mapped_column(ForeignKey("students.id", ondelete="CASCADE"), index=True)
    guardian_id: Mapped[int | None] = mapped_column(ForeignKey("guardians.id", ondelete="SET NULL"))
    state: Mapped[str] = mapped_column(String(16))
    applied_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    round: Mapped[int] = mapped_column(Integer, default=1)

    @validates("applied_at", "updated_at")
    def _utc(self, _key: str, at: datetime) -> datetime | None:
        return as_utc(at)


class PriorityMark(Base):
    """A child's membership of a priority group the roster does not carry (e.g. hardship); private."""

    __tablename__ = "priority_marks"

    student_id: Mapped[int] = mapped_column(ForeignKey("students.id", ondelete="CASCADE"), primary_key=True)
    group: Mapped[str] = mapped_column(String(20), primary_key=True)
    set_by: Mapped[str] = mapped_column(String(100))
    set_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class SessionCancellation(Base):
    """A session the school cancelled (refunded) for a course on a day."""

    __tablename__ = "session_cancellations"
    __table_args__ = (UniqueConstraint("course_id", "day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"), index=True)
    day: Mapped[date] = mapped_column(Date)
    reason: Mapped[str] = mapped_column(String(100), default="")


class LedgerEntry(Base):
    """One line of a family's ledger: charge, payment, refund or settlement; positive integer fen."""

    __tablename__ = "ledger_entries"

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id", ondelete="CASCADE"), index=True)
    student_id: Mapped[int] = mapped_column(ForeignKey("students.id", ondelete="CASCADE"), index=True)
    course_id: Mapped[int | None] = mapped_column(ForeignKey("courses.id", ondelete="SET NULL"))
    term_start: Mapped[date] = mapped_column(Date, index=True)
    kind: Mapped[str] = mapped_column(String(12))  # charge | payment | refund | settlement
    fen: Mapped[int] = mapped_column(BigInteger)
    note: Mapped[str] = mapped_column(String(200), default="")
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    # Generated lines carry a key so billing twice never charges twice; manual lines a unique one too.
    key: Mapped[str] = mapped_column(String(120), unique=True)
