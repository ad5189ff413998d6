"""Enrollment rules (pure): the four-step state machine and first-come capacity/waitlist decisions."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.settings import EnrollmentSettings


class State(StrEnum):
    APPLIED = "applied"  # guardian applied, waiting for the head teacher
    CLASS_OK = "class_ok"  # head teacher agreed, waiting for the principal
    ACTIVE = "active"  # principal confirmed: enrolled
    WAITLIST = "waitlist"  # over capacity, waiting for a place
    REJECTED = "rejected"
    WITHDRAW_REQ = "withdraw_req"  # asked to leave; needs approval (written request)
    WITHDRAWN = "withdrawn"
    CANCELLED = "cancelled"  # course cancelled (撤班)


LABELS = {
    State.APPLIED: "待审核",
    State.CLASS_OK: "待复核",
    State.ACTIVE: "已报名",
    State.WAITLIST: "候补",
    State.REJECTED: "已驳回",
    State.WITHDRAW_REQ: "退出待审核",
    State.WITHDRAWN: "已退出",
    State.CANCELLED: "已撤班",
}

# States that hold (or claim) a place in the course.
HOLDS_PLACE = frozenset({State.APPLIED, State.CLASS_OK, State.ACTIVE, State.WITHDRAW_REQ})
OPEN = HOLDS_PLACE | {State.WAITLIST}

_MOVES: dict[str, frozenset[State]] = {
    "class_approve": frozenset({State.APPLIED}),
    "class_reject": frozenset({State.APPLIED, State.WAITLIST}),
    "school_approve": frozenset({State.CLASS_OK}),
    "request_withdraw": frozenset({State.APPLIED, State.CLASS_OK, State.ACTIVE, State.WAITLIST}),
    "approve_withdraw": frozenset({State.WITHDRAW_REQ}),
    "cancel_course": OPEN,
    "promote": frozenset({State.WAITLIST}),
}
_TARGET = {
    "class_approve": State.CLASS_OK,
    "class_reject": State.REJECTED,
    "school_approve": State.ACTIVE,
    "request_withdraw": State.WITHDRAW_REQ,
    "approve_withdraw": State.WITHDRAWN,
    "cancel_course": State.CANCELLED,
    "promote": State.APPLIED,
}


class InvalidMove(ValueError):
    pass


def move(state: State | str, action: str) -> State:
    """The state after `action`, or InvalidMove. A waitlisted withdrawal leaves at once (no place held)."""
    current = State(state)
    if action not in _MOVES:
        raise InvalidMove(action)
    if current not in _MOVES[action]:
        raise InvalidMove(f"{action} from {current}")
    if action == "request_withdraw" and current in (State.APPLIED, State.WAITLIST):
        return State.WITHDRAWN  # nothing approved yet: no written request needed
    return _TARGET[action]


def label(state: State | str, waitlist_position: int | None = None) -> str:
    s = State(state)
    if s is State.WAITLIST and waitlist_position:
        return f"候补第{waitlist_position}位"
    return LABELS[s]


@dataclass(frozen=True)
class Seat:
    """An enrollment as the capacity rules see it."""

    id: int
    state: State
    applied_at: datetime
    reserved: bool = False  # applied in a priority group with reserved places


def queue(seats: Sequence[Seat]) -> list[Seat]:
    """The waitlist in order: application time, then id (first come, first served)."""
    return sorted((s for s in seats if s.state is State.WAITLIST), key=lambda s: (s.applied_at, s.id))


def fits(priority_held: int, others_held: int, capacity: int, reserved: int, priority: bool) -> bool:
    """Whether one more child fits: priority groups may take any free place, others only the places
    not reserved for priority groups (reserved places not yet used by them stay free for them)."""
    if priority:
        return priority_held + others_held < capacity
    return others_held + max(priority_held, reserved) < capacity


def has_place(seats: Sequence[Seat], capacity: int, reserved: int = 0, priority: bool = False) -> bool:
    """A new application: is there a place for it (else the waitlist)?"""
    held = [s for s in seats if s.state in HOLDS_PLACE]
    p = sum(1 for s in held if s.reserved)
    return fits(p, len(held) - p, capacity, reserved, priority)


def to_promote(seats: Sequence[Seat], capacity: int, reserved: int = 0) -> list[Seat]:
    """Waitlisted seats that now fit, in queue order; a child outside the priority groups is passed
    over only while the free places are reserved ones."""
    held = [s for s in seats if s.state in HOLDS_PLACE]
    p = sum(1 for s in held if s.reserved)
    o = len(held) - p
    out = []
    for seat in queue(seats):
        if fits(p, o, capacity, reserved, seat.reserved):
            out.append(seat)
            p, o = (p + 1, o) if seat.reserved else (p, o + 1)
    return out


PRIORITY_GROUPS = {"left_behind": "留守儿童", "hardship": "困难家庭"}


@dataclass(frozen=True)
class PriorityPolicy:
    """Priority groups (off when `groups` is empty): reserved places per course and an earlier window."""

    groups: tuple[str, ...] = ()
    reserved_places: int = 0  # default per course; a course's own window may set its number
    early_hours: int = 0  # priority groups may apply this many hours before the window opens

    @property
    def on(self) -> bool:
        return bool(self.groups)


def priority_policy(enrollment: EnrollmentSettings) -> PriorityPolicy:
    """The school's priority policy from its `[enrollment]` settings."""
    return PriorityPolicy(
        tuple(enrollment.priority_groups), enrollment.reserved_places, enrollment.priority_early_hours
    )


def in_priority_group(groups: Sequence[str], left_behind: str, marks: Sequence[str]) -> bool:
    """Whether a child belongs to one of the configured priority groups (none configured: nobody)."""
    if "left_behind" in groups and left_behind not in ("", "none"):
        return True
    return any(m in groups for m in marks)


def grade_allowed(grades: str, grade: int) -> bool:
    """A course's grades ("3,4"; empty = all grades) admit a child of this class grade?"""
    allowed = {int(g) for g in grades.split(",") if g.strip()}
    return not allowed or grade in allowed


def grades_text(grades: str) -> str:
    """ "3,4,5" -> "3-5年级", "1,3" -> "1、3年级"."""
    nums = sorted(int(g) for g in grades.split(",") if g.strip())
    if len(nums) > 1 and nums == list(range(nums[0], nums[-1] + 1)):
        return f"{nums[0]}-{nums[-1]}年级"
    return "、".join(str(n) for n in nums) + "年级"


def school_approvals(seats: Sequence[Seat], capacity: int) -> list[Seat]:
    """复核: class-approved seats the principal confirms, earliest first, never beyond capacity."""
    active = sum(1 for s in seats if s.state is State.ACTIVE or s.state is State.WITHDRAW_REQ)
    pending = sorted((s for s in seats if s.state is State.CLASS_OK), key=lambda s: (s.applied_at, s.id))
    return pending[: max(capacity - active, 0)]


def under_filled(holding: int, min_size: int) -> bool:
    """At window close: fewer than the minimum size means the course is cancelled (撤班)."""
    return holding < min_size
