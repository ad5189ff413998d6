"""Fake duty repository and the class list (`uow.duty`, `uow.notices.classes_with_pupils`) over the fake World."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING

from bot.store.duty import NewPatrol, PatrolRow
from tests.fakes.care import FakeCare

if TYPE_CHECKING:
    from tests.fakes.uow import World


@dataclass
class DutyBook:
    """The duty records of the fake school: the leader per day, the patrols, the clearances."""

    leaders: dict[date, tuple[int, str]] = field(default_factory=dict)
    patrols: list[NewPatrol] = field(default_factory=list)
    clearances: dict[date, tuple[datetime, int | None]] = field(default_factory=dict)


class FakeDuty:
    def __init__(self, world: World) -> None:
        self.world = world
        self.book = world.duty

    async def leader(self, school_id: int, day: date) -> tuple[int, str] | None:
        return self.book.leaders.get(day)

    async def in_use(self, school_id: int) -> bool:
        return bool(self.book.leaders)

    async def record_patrol(self, patrol: NewPatrol) -> None:
        self.book.patrols.append(patrol)

    async def patrols_of_day(self, school_id: int, day: date) -> list[PatrolRow]:
        return [
            PatrolRow(p.at, p.class_group_id, self.world.classes[p.class_group_id][0], p.ok, p.note, "")
            for p in self.book.patrols
            if p.day == day
        ]

    async def clearance_of_day(self, school_id: int, day: date) -> tuple[datetime, str] | None:
        found = self.book.clearances.get(day)
        return (found[0], "") if found else None

    async def record_clearance(
        self, school_id: int, day: date, staff_id: int | None, at: datetime, message_id: str
    ) -> None:
        self.book.clearances[day] = (at, staff_id)

    async def waiting(self, school_id: int, day: date) -> dict[int, list[str]]:
        care = FakeCare(self.world)
        found = {}
        for class_id in self.world.classes:
            names = [
                k.name for k in (await care.class_day(await care.kids_of_class(class_id), day)).waiting()
            ]
            if names:
                found[class_id] = names
        return found


class FakeClasses:
    """`uow.notices` as the duty and incident handlers use it: the school's classes with pupils."""

    def __init__(self, world: World) -> None:
        self.world = world

    async def classes_with_pupils(self, school_id: int, grade: int | None = None) -> list[tuple[int, str]]:
        with_kids = {k.class_group_id for k in self.world.kids.values()}
        return sorted(
            (cid, name)
            for cid, (name, g, _) in self.world.classes.items()
            if cid in with_kids and grade in (None, g)
        )
