"""Who is speaking: a guardian with their children, a staff member with roles, or nobody we know."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from bot.domain.children import Child, OfChild


class Role(StrEnum):
    GUARDIAN = "guardian"
    HEAD_TEACHER = "head_teacher"
    CARE_TEACHER = "care_teacher"
    PRINCIPAL = "principal"
    ADMIN = "admin"
    UNKNOWN = "unknown"


STAFF_ROLES = frozenset({Role.HEAD_TEACHER, Role.CARE_TEACHER, Role.PRINCIPAL, Role.ADMIN})
SCHOOL_WIDE = frozenset({Role.PRINCIPAL, Role.ADMIN})

ROLE_NAMES = {
    "班主任": Role.HEAD_TEACHER,
    "托管教师": Role.CARE_TEACHER,
    "校长": Role.PRINCIPAL,
    "管理员": Role.ADMIN,
}
ROLE_LABELS = {role: label for label, role in ROLE_NAMES.items()}


@dataclass(frozen=True, slots=True)
class ChildRef(OfChild):
    """A guardian's child: the pupil, its class's name, the guardian's relation and pickup right."""

    child: Child
    class_name: str
    relation: str = ""
    may_pickup: bool = True

    @property
    def student_id(self) -> int:
        return self.child.id


@dataclass(frozen=True, slots=True)
class ClassRole:
    role: Role
    class_group_id: int | None
    class_name: str = ""


@dataclass(frozen=True, slots=True)
class Actor:
    """The sender of a message, resolved from their platform identity."""

    platform: str
    user_id: str
    school_id: int | None = None
    name: str = ""
    guardian_id: int | None = None
    staff_id: int | None = None
    children: tuple[ChildRef, ...] = ()
    staff_roles: tuple[ClassRole, ...] = ()
    roles: frozenset[Role] = field(default_factory=lambda: frozenset({Role.UNKNOWN}))

    @property
    def is_known(self) -> bool:
        return Role.UNKNOWN not in self.roles

    @property
    def is_staff(self) -> bool:
        return bool(self.roles & STAFF_ROLES)

    @property
    def is_school_wide(self) -> bool:
        return bool(self.roles & SCHOOL_WIDE)

    def teaches(self, class_group_id: int) -> bool:
        """True if this staff member may act on the class (its teachers, or school-wide roles)."""
        return self.is_school_wide or any(r.class_group_id == class_group_id for r in self.staff_roles)

    def guards(self, student_id: int) -> bool:
        return any(c.student_id == student_id for c in self.children)

    @property
    def actor_ref(self) -> str:
        if self.staff_id is not None:
            return f"staff:{self.staff_id}"
        if self.guardian_id is not None:
            return f"guardian:{self.guardian_id}"
        return f"{self.platform}:{self.user_id}"
