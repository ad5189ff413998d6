"""Typed commands: what a parser read from one message, read once.

The names in a message are matched against the roster and its days against the school calendar when the
command is handled (both need the database and the day); the words stay in `text` for that. Everything a
parser can read from the words alone (a time, "all of them", who comes instead) is read here, once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import time


@dataclass(frozen=True, slots=True)
class Leave:
    """请假: the sender's child(ren) or the named ones, on the days named (today when none)."""

    text: str


@dataclass(frozen=True, slots=True)
class CancelLeave:
    """销假: leave taken back on the days named (all standing ones, asked first, when none)."""

    text: str


@dataclass(frozen=True, slots=True)
class Picked:
    """已接走: named children (or everyone waiting) left care; `at` when the teacher says when."""

    text: str
    everyone: bool = False
    at: time | None = None


@dataclass(frozen=True, slots=True)
class PickupTime:
    """A teacher's bare `17:35`: when the children of their last late batch left."""

    at: time


@dataclass(frozen=True, slots=True)
class LatePickup:
    """晚点接: the child is picked up later, at `at` (None: the sender did not say when)."""

    text: str
    at: time | None


@dataclass(frozen=True, slots=True)
class EarlyPickup:
    """早点接: the child leaves care early, at `at` (None: not said)."""

    text: str
    at: time | None


@dataclass(frozen=True, slots=True)
class ProxyPickup:
    """代接: someone else comes: `who` as written (a relation, a name, 我, or "" when not said), `name` if given."""

    text: str
    who: str
    name: str = ""
