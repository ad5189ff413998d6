"""SQLAlchemy 2 tables of the care register (foundation part: school, classes, people, courses, audit)."""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    Time,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        datetime: DateTime(timezone=True),
        dict[str, Any]: JSON,
    }


class School(Base):
    __tablename__ = "schools"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    timezone: Mapped[str] = mapped_column(String(64), default="Asia/Shanghai")


class ClassGroup(Base):
    """A class (三年级2班): grade, head teacher, and the platform chats bound to it."""

    __tablename__ = "class_groups"
    __table_args__ = (UniqueConstraint("school_id", "name"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(50))
    grade: Mapped[int] = mapped_column(Integer)
    head_teacher_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id", ondelete="SET NULL"))

    chats: Mapped[list[Chat]] = relationship(back_populates="class_group")


class Chat(Base):
    """One platform group chat of a class, with the robot that pushes into it."""

    __tablename__ = "chats"
    __table_args__ = (UniqueConstraint("platform", "chat_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    class_group_id: Mapped[int] = mapped_column(ForeignKey("class_groups.id", ondelete="CASCADE"), index=True)
    platform: Mapped[str] = mapped_column(String(16))
    chat_id: Mapped[str] = mapped_column(String(128))
    webhook: Mapped[str] = mapped_column(String(512), default="")
    webhook_secret: Mapped[str] = mapped_column(String(256), default="")
    broken_reason: Mapped[str | None] = mapped_column(String(200))

    class_group: Mapped[ClassGroup] = relationship(back_populates="chats")


class Staff(Base):
    __tablename__ = "staff"
    __table_args__ = (UniqueConstraint("school_id", "phone"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(50))
    phone: Mapped[str] = mapped_column(String(20))


class StaffRole(Base):
    """A role of a staff member; class-bound roles name the class, school-wide ones do not."""

    __tablename__ = "staff_roles"
    __table_args__ = (UniqueConstraint("staff_id", "role", "class_group_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(20))
    class_group_id: Mapped[int | None] = mapped_column(
        ForeignKey("class_groups.id", ondelete="CASCADE"), index=True
    )


class Student(Base):
    __tablename__ = "students"
    # Which pupils a message names: its substrings looked up by name (bot/store/people_repo.py).
    __table_args__ = (Index("ix_students_school_id_name", "school_id", "name"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id", ondelete="CASCADE"), index=True)
    student_no: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(50))
    class_group_id: Mapped[int] = mapped_column(ForeignKey("class_groups.id"), index=True)
    gender: Mapped[str] = mapped_column(String(4), default="")
    birth_date: Mapped[date | None] = mapped_column(Date)
    basic_care: Mapped[bool] = mapped_column(Boolean, default=True)
    left_behind: Mapped[str] = mapped_column(String(10), default="none")
    away_work_place: Mapped[str] = mapped_column(String(100), default="")
    paired_teacher_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id", ondelete="SET NULL"))
    note: Mapped[str] = mapped_column(Text, default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class Guardian(Base):
    __tablename__ = "guardians"
    __table_args__ = (UniqueConstraint("school_id", "phone"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(50))
    phone: Mapped[str] = mapped_column(String(20))


class Guardianship(Base):
    """Links a guardian to a child: relation and whether they may pick the child up."""

    __tablename__ = "guardianships"
    student_id: Mapped[int] = mapped_column(ForeignKey("students.id", ondelete="CASCADE"), primary_key=True)
    guardian_id: Mapped[int] = mapped_column(
        ForeignKey("guardians.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    relation: Mapped[str] = mapped_column(String(10))
    may_pickup: Mapped[bool] = mapped_column(Boolean, default=True)


class Identity(Base):
    """A platform account (platform + user id) bound to a guardian or a staff member."""

    __tablename__ = "identities"
    __table_args__ = (UniqueConstraint("platform", "user_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    platform: Mapped[str] = mapped_column(String(16))
    user_id: Mapped[str] = mapped_column(String(128))
    guardian_id: Mapped[int | None] = mapped_column(
        ForeignKey("guardians.id", ondelete="CASCADE"), index=True
    )
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id", ondelete="CASCADE"), index=True)
    source: Mapped[str] = mapped_column(String(20), default="roster")
    bound_at: Mapped[datetime]


class Course(Base):
    """Basic care ("1") or a paid interest course ("X")."""

    __tablename__ = "courses"
    __table_args__ = (UniqueConstraint("school_id", "name"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(50))
    category: Mapped[str] = mapped_column(String(1))
    weekdays: Mapped[str] = mapped_column(String(20))  # ISO weekdays, "3,5"
    start_time: Mapped[time] = mapped_column(Time)
    end_time: Mapped[time] = mapped_column(Time)
    capacity: Mapped[int] = mapped_column(Integer)
    min_size: Mapped[int] = mapped_column(Integer, default=15)
    price_fen: Mapped[int] = mapped_column(BigInteger, default=0)  # per session, integer fen
    grades: Mapped[str] = mapped_column(String(20), default="")  # "1,2,3"; empty = all
    teacher_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id", ondelete="SET NULL"))
    state: Mapped[str] = mapped_column(String(12), default="open")


class AuditEntry(Base):
    """Who changed what, when, from which message: the trail for disputes."""

    __tablename__ = "audit_log"
    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int | None] = mapped_column(ForeignKey("schools.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(index=True)
    actor: Mapped[str] = mapped_column(String(100))  # "guardian:12", "staff:3", "cli", "roster"
    action: Mapped[str] = mapped_column(String(50))
    subject: Mapped[str] = mapped_column(String(100), default="")
    detail: Mapped[dict[str, Any]] = mapped_column(default=dict)
    message_id: Mapped[str | None] = mapped_column(String(128))
