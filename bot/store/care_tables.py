"""The care day's records: leaves, roll-call marks, pickups, pickup plans, binding requests and attempts."""

from __future__ import annotations

from datetime import date, datetime, time

from sqlalchemy import Boolean, Date, ForeignKey, Index, Integer, String, Text, Time, UniqueConstraint, true
from sqlalchemy.orm import Mapped, mapped_column

from bot.store.tables import Base


class Leave(Base):
    """A day of leave for a child; the reason is private (staff only)."""

    __tablename__ = "leaves"
    __table_args__ = (UniqueConstraint("student_id", "day"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    student_id: Mapped[int] = mapped_column(ForeignKey("students.id", ondelete="CASCADE"), index=True)
    day: Mapped[date] = mapped_column(Date, index=True)
    reason: Mapped[str] = mapped_column(Text, default="")
    late_notice: Mapped[bool] = mapped_column(Boolean, default=False)
    created_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime]
    message_id: Mapped[str] = mapped_column(String(128))
    cancelled_at: Mapped[datetime | None]
    cancelled_by: Mapped[str | None] = mapped_column(String(100))


class Attendance(Base):
    """A teacher's roll-call mark: present or absent (absent without leave = unnotified absence)."""

    __tablename__ = "attendance"
    __table_args__ = (UniqueConstraint("student_id", "day"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    student_id: Mapped[int] = mapped_column(ForeignKey("students.id", ondelete="CASCADE"), index=True)
    day: Mapped[date] = mapped_column(Date, index=True)
    status: Mapped[str] = mapped_column(String(10))  # present | absent
    marked_by: Mapped[str] = mapped_column(String(100))
    marked_at: Mapped[datetime]
    message_id: Mapped[str] = mapped_column(String(128))


class Pickup(Base):
    """A child leaving care: claimed by a guardian and/or confirmed by a teacher, with minutes late."""

    __tablename__ = "pickups"
    __table_args__ = (UniqueConstraint("student_id", "day"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    student_id: Mapped[int] = mapped_column(ForeignKey("students.id", ondelete="CASCADE"), index=True)
    day: Mapped[date] = mapped_column(Date, index=True)
    state: Mapped[str] = mapped_column(String(10))  # claimed | confirmed
    picked_up_at: Mapped[datetime]
    picked_up_by: Mapped[str] = mapped_column(String(50), default="")
    claimed_by: Mapped[str | None] = mapped_column(String(100))
    confirmed_by: Mapped[str | None] = mapped_column(String(100))
    confirmed_at: Mapped[datetime | None]
    minutes_late: Mapped[int] = mapped_column(Integer, default=0)
    # False: a teacher confirmed a late batch and never said when the child left (not counted late)
    time_known: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    message_id: Mapped[str] = mapped_column(String(128))


class PickupTimeQuestion(Base):
    """A teacher asked when the children of a late batch really left; a bare time from them answers it."""

    __tablename__ = "pickup_time_questions"
    __table_args__ = (Index("ix_pickup_time_questions_asker", "asked_of", "asked_at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    class_group_id: Mapped[int] = mapped_column(ForeignKey("class_groups.id", ondelete="CASCADE"))
    day: Mapped[date] = mapped_column(Date)
    asked_of: Mapped[str] = mapped_column(String(100))  # the teacher's actor ref
    student_ids: Mapped[str] = mapped_column(Text)  # comma-separated
    asked_at: Mapped[datetime]
    answered_at: Mapped[datetime | None]
    message_id: Mapped[str] = mapped_column(String(128))


class PickupPlan(Base):
    """Today's deviation from the usual pickup: a later time (late notice) and/or another person."""

    __tablename__ = "pickup_plans"
    __table_args__ = (UniqueConstraint("student_id", "day"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    student_id: Mapped[int] = mapped_column(ForeignKey("students.id", ondelete="CASCADE"), index=True)
    day: Mapped[date] = mapped_column(Date, index=True)
    expected_time: Mapped[time | None] = mapped_column(Time)
    early_time: Mapped[time | None] = mapped_column(Time)  # 早点接: the child leaves care early
    person: Mapped[str] = mapped_column(String(50), default="")
    person_authorised: Mapped[bool] = mapped_column(Boolean, default=True)
    created_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime]
    message_id: Mapped[str] = mapped_column(String(128))


class BindingRequest(Base):
    """A platform user asking to be linked to a roster guardian, until the head teacher decides."""

    __tablename__ = "binding_requests"
    __table_args__ = (UniqueConstraint("platform", "user_id", "guardian_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    platform: Mapped[str] = mapped_column(String(16))
    user_id: Mapped[str] = mapped_column(String(128))
    guardian_id: Mapped[int] = mapped_column(ForeignKey("guardians.id", ondelete="CASCADE"), index=True)
    student_id: Mapped[int] = mapped_column(ForeignKey("students.id", ondelete="CASCADE"), index=True)
    state: Mapped[str] = mapped_column(String(10), default="pending")  # pending | approved | rejected
    requested_at: Mapped[datetime]
    decided_by: Mapped[str | None] = mapped_column(String(100))
    message_id: Mapped[str] = mapped_column(String(128))
    sender_name: Mapped[str] = mapped_column(String(100), default="", server_default="")


class BindingAttempt(Base):
    """One 绑定 attempt as it was handled (matched or not): the durable count behind the binding limits."""

    __tablename__ = "binding_attempts"
    __table_args__ = (
        Index("ix_binding_attempts_account", "platform", "user_id", "at"),
        Index("ix_binding_attempts_child", "child_name", "at"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    platform: Mapped[str] = mapped_column(String(16))
    user_id: Mapped[str] = mapped_column(String(128))
    sender_name: Mapped[str] = mapped_column(String(100), default="")
    child_name: Mapped[str] = mapped_column(String(50))
    phone_matched: Mapped[bool] = mapped_column(Boolean)
    at: Mapped[datetime]  # UTC
    message_id: Mapped[str] = mapped_column(String(128))


class CourseAttendance(Base):
    """One session of an X course: each of its children present, absent or on leave that day (`点名 篮球`)."""

    __tablename__ = "course_attendance"
    __table_args__ = (UniqueConstraint("course_id", "student_id", "day"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"), index=True)
    student_id: Mapped[int] = mapped_column(ForeignKey("students.id", ondelete="CASCADE"), index=True)
    day: Mapped[date] = mapped_column(Date, index=True)
    status: Mapped[str] = mapped_column(String(10))  # present | absent | leave
    marked_by: Mapped[str] = mapped_column(String(100))
    marked_at: Mapped[datetime]
    message_id: Mapped[str] = mapped_column(String(128))
