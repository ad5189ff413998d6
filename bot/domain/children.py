"""The child as the care day knows it: one type for a pupil in the roster, whatever asked for it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True, slots=True)
class Child:
    """A pupil: id, name, class, grade (care start times depend on it) and whether in basic care (1类)."""

    id: int
    name: str
    class_group_id: int
    grade: int
    basic_care: bool


class OfChild:
    """Mixed into a record about one pupil (a guardian's child, a child waiting, a left-behind child): its
    `child`'s id, name and class read through, so the record is used where a pupil is."""

    __slots__ = ()
    child: Child

    @property
    def id(self) -> int:
        return self.child.id

    @property
    def name(self) -> str:
        return self.child.name

    @property
    def class_group_id(self) -> int:
        return self.child.class_group_id


class Named(Protocol):
    """Anything naming a pupil (a Child, a guardian's ChildRef, a left-behind child): what name matching needs."""

    @property
    def id(self) -> int: ...

    @property
    def name(self) -> str: ...
