"""The roster's records (pure): what a validated roster row holds, what the database already knows, and the
labels of the sheet's coded columns (shared by the validator, the importer's store side and the exporter)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, time
from typing import Any

from bot.domain.bus import LineFacts

RELATIONS = ("父亲", "母亲", "爷爷", "奶奶", "外公", "外婆", "其他")
LEFT_BEHIND = {"无": "none", "": "none", "父亲外出": "father", "母亲外出": "mother", "双亲外出": "both"}
LEFT_BEHIND_LABELS = {v: k for k, v in LEFT_BEHIND.items() if k}
PLATFORMS = {
    "wecom": "wecom",
    "企业微信": "wecom",
    "企微": "wecom",
    "dingtalk": "dingtalk",
    "钉钉": "dingtalk",
}
ROLES = {"班主任": "head_teacher", "托管教师": "care_teacher", "校长": "principal", "管理员": "admin"}
ROLE_LABELS = {v: k for k, v in ROLES.items()}
CLASS_ROLES = {"head_teacher"}


@dataclass(frozen=True)
class ClassRec:
    name: str
    grade: int
    head_teacher: str
    head_phone: str
    platform: str
    chat_id: str
    webhook: str
    secret: str


@dataclass(frozen=True)
class StudentRec:
    student_no: str
    name: str
    class_name: str
    gender: str
    birth_date: date | None
    basic_care: bool
    left_behind: str
    away_work_place: str
    paired_teacher: str
    note: str
    # The archive columns present in the sheet (staff only), by field: a sheet without them changes nothing.
    archive: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class GuardianRec:
    student_no: str
    name: str
    relation: str
    phone: str
    account: str
    may_pickup: bool


@dataclass(frozen=True)
class TeacherRec:
    name: str
    phone: str
    role: str
    class_name: str
    account: str


@dataclass(frozen=True)
class CourseRec:
    name: str
    category: str
    weekdays: str
    start: time
    end: time
    capacity: int
    min_size: int
    price_fen: int
    grades: str
    teacher: str


@dataclass(frozen=True)
class DutyRec:
    """A 值班 row: the slot (a date or a weekday) and its 带班领导 by name."""

    slot: str
    day: date | None
    weekday: int | None
    leader: str
    row: int


@dataclass
class BusData:
    """The 校车 sheet's lines and the 学生 sheet's 校车线路 column."""

    lines: list[LineFacts] = field(default_factory=list)
    # 学籍号 -> the line's name ("" = rides no bus); only when the 学生 sheet has the 校车线路 column, so a file
    # without it leaves the riders as they are.
    riders: dict[str, str] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)


@dataclass
class Known:
    """What the database already holds, so a partial file may refer to it."""

    classes: set[str] = field(default_factory=set)
    staff_names: dict[str, set[str]] = field(default_factory=dict)  # name -> phones
    student_nos: set[str] = field(default_factory=set)
    accounts: dict[str, str] = field(default_factory=dict)  # platform user id -> its owner's phone
    bus_lines: list[str] = field(default_factory=list)


@dataclass
class Validated:
    classes: list[ClassRec] = field(default_factory=list)
    students: list[StudentRec] = field(default_factory=list)
    guardians: list[GuardianRec] = field(default_factory=list)
    teachers: list[TeacherRec] = field(default_factory=list)
    courses: list[CourseRec] = field(default_factory=list)
    duties: list[DutyRec] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)  # imported all the same, but told
    bus: BusData = field(default_factory=lambda: BusData())
