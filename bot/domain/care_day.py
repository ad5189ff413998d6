"""The care day of a class: who is expected, on leave, marked, picked up, and the day's pickup plans.

Plain records (no database): the store reads them (bot.store.care) and writes their changes back
(bot.store.care_repo, bot.store.pickups).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time

from bot.domain.children import Child


@dataclass(frozen=True, slots=True)
class LeaveDay:
    """A standing leave of a child on a day."""

    student_id: int
    day: date


@dataclass(slots=True)
class Mark:
    """A teacher's roll-call mark: present or absent (absent without leave = unnotified absence)."""

    student_id: int
    day: date
    status: str
    id: int | None = None


@dataclass(slots=True)
class PickupRecord:
    """A child leaving care: claimed by a guardian and/or confirmed by a teacher, with minutes late.

    Changed in place by the pickup commands, then saved (`uow.pickups.save`); `id` is None until stored."""

    student_id: int
    day: date
    state: str  # claimed | confirmed
    picked_up_at: datetime
    picked_up_by: str = ""
    claimed_by: str | None = None
    confirmed_by: str | None = None
    confirmed_at: datetime | None = None
    minutes_late: int = 0
    time_known: bool = True  # False: a late batch confirmed without saying when (not counted late)
    message_id: str = ""
    id: int | None = None


@dataclass(frozen=True, slots=True)
class Plan:
    """The day's deviation from the usual pickup: a later time, an earlier one, another person."""

    student_id: int
    day: date
    expected_time: time | None = None
    early_time: time | None = None
    person: str = ""
    person_authorised: bool = True


@dataclass
class ClassDay:
    """Everything the care day knows about one class on one day, loaded in a fixed number of queries."""

    day: date
    kids: list[Child]
    leaves: dict[int, LeaveDay] = field(default_factory=dict)
    marks: dict[int, Mark] = field(default_factory=dict)
    pickups: dict[int, PickupRecord] = field(default_factory=dict)
    plans: dict[int, Plan] = field(default_factory=dict)
    course_day: set[int] = field(default_factory=set)  # without basic care, with an X course today

    @property
    def expected(self) -> list[Child]:
        """Children in care today: basic care, X-course children on their course days, and drop-ins a teacher
        marked present (`到了 赵子轩`)."""
        return [k for k in self.kids if k.basic_care or k.id in self.course_day or self.dropped_in(k)]

    def dropped_in(self, kid: Child) -> bool:
        mark = self.marks.get(kid.id)
        return not kid.basic_care and mark is not None and mark.status == "present"

    @property
    def roll_called(self) -> bool:
        """Did a teacher take the roll (name someone present or absent) today? Else presence is unconfirmed."""
        return bool(self.marks)

    def on_leave(self, kid: Child) -> bool:
        return kid.id in self.leaves

    def absent(self, kid: Child) -> bool:
        mark = self.marks.get(kid.id)
        return mark is not None and mark.status == "absent" and kid.id not in self.pickups

    def present(self, kid: Child) -> bool:
        return not self.on_leave(kid) and not self.absent(kid)

    def waiting(self) -> list[Child]:
        """Present and not yet picked up (a guardian's unconfirmed claim still counts as waiting)."""
        return [
            k
            for k in self.expected
            if self.present(k) and (k.id not in self.pickups or self.pickups[k.id].state != "confirmed")
        ]
