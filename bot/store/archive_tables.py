"""Left-behind children's archives (staff only): the family's details and dated care records."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from bot.store.tables import Base


class StudentArchive(Base):
    """The roster's staff-only archive columns of a child (学生 sheet), and the child's 爱心妈妈."""

    __tablename__ = "student_archives"
    student_id: Mapped[int] = mapped_column(ForeignKey("students.id", ondelete="CASCADE"), primary_key=True)
    guardian_job: Mapped[str] = mapped_column(String(50), default="")
    guardian_age: Mapped[int | None] = mapped_column(Integer)
    guardian_health: Mapped[str] = mapped_column(String(100), default="")
    employer: Mapped[str] = mapped_column(String(200), default="")
    employer_phone: Mapped[str] = mapped_column(String(30), default="")
    caring_mother_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id", ondelete="SET NULL"))


class CareRecord(Base):
    """A dated record by staff: 关爱记录 (care), 家访 (home visit) or 座谈会 (meeting; child optional)."""

    __tablename__ = "care_records"
    __table_args__ = (Index("ix_care_records_school_day", "school_id", "day"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id", ondelete="CASCADE"))
    student_id: Mapped[int | None] = mapped_column(ForeignKey("students.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(10))  # care | visit | meeting
    day: Mapped[date] = mapped_column(Date)
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id", ondelete="SET NULL"))
    note: Mapped[str] = mapped_column(Text, default="")
    recorded_by: Mapped[str] = mapped_column(String(100))
    recorded_at: Mapped[datetime]
    message_id: Mapped[str] = mapped_column(String(128))
