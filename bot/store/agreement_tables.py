"""Per child and term: the agreement (同意协议) and the insurance (已买学平险); per child and month: the rating."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import ForeignKey, Index, SmallInteger, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from bot.store.tables import Base


class TermAgreement(Base):
    """One child's term: when (and by which guardian) the agreement was accepted and the insurance told."""

    __tablename__ = "term_agreements"
    student_id: Mapped[int] = mapped_column(ForeignKey("students.id", ondelete="CASCADE"), primary_key=True)
    term_start: Mapped[date] = mapped_column(primary_key=True)
    term_end: Mapped[date]
    agreed_at: Mapped[datetime | None]
    agreed_by: Mapped[int | None] = mapped_column(ForeignKey("guardians.id", ondelete="SET NULL"))
    insured_at: Mapped[datetime | None]
    insured_by: Mapped[int | None] = mapped_column(ForeignKey("guardians.id", ondelete="SET NULL"))


class SurveyRating(Base):
    """A family's rating of the month's care, kept per child (the class and courses it counts for); the
    family's latest `评价` replaces the earlier one."""

    __tablename__ = "survey_ratings"
    __table_args__ = (Index("ix_survey_ratings_school_month", "school_id", "month"),)
    student_id: Mapped[int] = mapped_column(ForeignKey("students.id", ondelete="CASCADE"), primary_key=True)
    month: Mapped[str] = mapped_column(String(7), primary_key=True)  # 2026-11
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id", ondelete="CASCADE"))
    guardian_id: Mapped[int | None] = mapped_column(ForeignKey("guardians.id", ondelete="SET NULL"))
    rating: Mapped[int] = mapped_column(SmallInteger)
    comment: Mapped[str] = mapped_column(Text, default="")
    rated_at: Mapped[datetime]
