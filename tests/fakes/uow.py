"""An in-memory unit of work for handler unit tests (the cosmicpython pattern): no database, same methods.

`World` holds a tiny school's data; each `FakeUnitOfWork` reads and writes it through fake repositories
with the methods of the real ones (bot/store: messages, people, care, pickups, proposals, outbox).
`tests/integration/test_repository_contract.py` runs the same scenarios on these and on the real ones.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from bot.domain.actors import Actor, ChildRef, ClassRole, Role
from bot.domain.care_day import Mark, PickupRecord, Plan
from bot.domain.children import Child
from bot.domain.messages import Push
from bot.domain.school_calendar import SchoolCalendar
from bot.store.care import GuardianContact
from bot.store.pickups import TimeQuestion
from bot.store.proposals import Who
from tests.fakes.care import FakeCare, FakePickups
from tests.fakes.duty import DutyBook, FakeClasses, FakeDuty
from tests.fakes.rows import Row


@dataclass
class World:
    """The data every fake unit of work shares: a school, its classes, pupils, families and records."""

    school_id: int = 1
    classes: dict[int, tuple[str, int, int | None]] = field(default_factory=dict)  # id -> name, grade, head
    teachers: dict[int, set[int]] = field(default_factory=dict)  # class id -> staff ids (head or care role)
    kids: dict[int, Child] = field(default_factory=dict)
    numbers: dict[int, str] = field(default_factory=dict)
    guardians: dict[int, list[GuardianContact]] = field(default_factory=dict)  # student id -> guardians
    roles: dict[str, list[int]] = field(default_factory=dict)  # school-wide role -> staff ids
    calendar: SchoolCalendar = field(default_factory=SchoolCalendar)
    leaves: dict[tuple[int, date], Row] = field(default_factory=dict)
    marks: dict[tuple[int, date], Mark] = field(default_factory=dict)
    pickups: dict[tuple[int, date], PickupRecord] = field(default_factory=dict)
    plans: dict[tuple[int, date], Plan] = field(default_factory=dict)
    questions: list[tuple[TimeQuestion, str, datetime, datetime | None]] = field(default_factory=list)
    ledger: dict[str, int] = field(default_factory=dict)  # key -> fen
    proposals: dict[Who, tuple[list[str], datetime]] = field(default_factory=dict)
    processed: dict[tuple[str, str], tuple[str, bool, str]] = field(default_factory=dict)
    audits: list[dict[str, Any]] = field(default_factory=list)
    outbox: dict[str, Push] = field(default_factory=dict)
    duty: DutyBook = field(default_factory=DutyBook)
    ids: int = 0

    def next_id(self) -> int:
        self.ids += 1
        return self.ids


def tiny_world() -> World:
    """The tiny school of tests/integration/seed.py: 李老师 (head of 三年级2班), 赵校长, 刘芳 and her two."""
    world = World()
    world.classes = {1: ("三年级2班", 3, 1), 2: ("五年级1班", 5, None)}
    world.teachers = {1: {1}, 2: set()}
    world.kids = {1: Child(1, "王小明", 1, 3, True), 2: Child(2, "王小红", 2, 5, True)}
    world.numbers = {1: "S001", 2: "S002"}
    mother = GuardianContact(1, "刘芳", "母亲", "13800001111", True, ("parent-liu",))
    world.guardians = {1: [mother], 2: [mother]}
    world.roles = {"principal": [2]}
    return world


def guardian(world: World, guardian_id: int = 1, user_id: str = "parent-liu") -> Actor:
    """The guardian's Actor as the people repository resolves it."""
    children = tuple(
        ChildRef(k, world.classes[k.class_group_id][0], g.relation, g.may_pickup)
        for k in world.kids.values()
        for g in world.guardians.get(k.id, [])
        if g.guardian_id == guardian_id
    )
    name = next(g.name for gs in world.guardians.values() for g in gs if g.guardian_id == guardian_id)
    return Actor(
        "wecom",
        user_id,
        world.school_id,
        name,
        guardian_id=guardian_id,
        children=children,
        roles=frozenset({Role.GUARDIAN}),
    )


def teacher(world: World, staff_id: int = 1, user_id: str = "teacher-li", name: str = "李老师") -> Actor:
    roles = tuple(
        ClassRole(Role.HEAD_TEACHER, cid, cname)
        for cid, (cname, _, head) in world.classes.items()
        if head == staff_id
    )
    return Actor(
        "wecom",
        user_id,
        world.school_id,
        name,
        staff_id=staff_id,
        staff_roles=roles,
        roles=frozenset({Role.HEAD_TEACHER}),
    )


class FakeMessages:
    def __init__(self, world: World) -> None:
        self.world = world

    async def seen(self, platform: str, message_id: str) -> tuple[str, bool, str] | None:
        return self.world.processed.get((platform, message_id[:128]))

    async def record(
        self, platform: str, message_id: str, command: str, reply: str, private: bool, now: datetime
    ) -> None:
        self.world.processed[(platform, message_id[:128])] = (reply, private, command[:30])

    async def audit(self, entries: Sequence[dict[str, Any]]) -> None:
        self.world.audits.extend(entries)


class FakeOutbox:
    def __init__(self, world: World) -> None:
        self.world = world

    async def add(self, pushes: Sequence[Push], now: datetime) -> None:
        for push in pushes:
            self.world.outbox.setdefault(push.key, push)


class FakePeople:
    def __init__(self, world: World) -> None:
        self.world = world

    async def staff_with_role(self, school_id: int | None, roles: tuple[str, ...]) -> list[int]:
        return sorted({s for r in roles for s in self.world.roles.get(r, [])}) if school_id == 1 else []

    async def working_chats(self, school_id: int) -> dict[int, int]:
        return {cid: cid for cid in self.world.classes}

    async def pupil_names(self, school_id: int | None) -> list[str]:
        return [k.name for k in self.world.kids.values()]

    async def pupils_named_in(self, school_id: int | None, text: str) -> list[tuple[int, str]]:
        return [(k.id, k.name) for k in self.world.kids.values() if k.name in text]

    async def student_numbers(self, student_ids: list[int]) -> dict[int, str]:
        return {sid: self.world.numbers.get(sid, "") for sid in student_ids}

    async def school_of(self, student_id: int) -> int | None:
        return self.world.school_id if student_id in self.world.kids else None

    async def class_name(self, class_group_id: int) -> str | None:
        return self.world.classes[class_group_id][0] if class_group_id in self.world.classes else None

    async def class_grade(self, class_group_id: int) -> int | None:
        return self.world.classes[class_group_id][1] if class_group_id in self.world.classes else None

    async def class_teachers(self, class_group_id: int) -> list[int]:
        head = self.world.classes[class_group_id][2]
        return sorted(
            self.world.teachers.get(class_group_id, set()) | ({head} if head is not None else set())
        )

    async def children_of(self, guardian_ids: list[int]) -> list[int]:
        return [
            sid for sid, gs in self.world.guardians.items() if any(g.guardian_id in guardian_ids for g in gs)
        ]

    async def relation(self, student_id: int, guardian_id: int | None) -> str | None:
        return next(
            (g.relation for g in self.world.guardians.get(student_id, []) if g.guardian_id == guardian_id),
            None,
        )


class FakeProposals:
    def __init__(self, world: World) -> None:
        self.world = world

    async def remember(
        self, who: Who, texts: list[str], question: str, message_id: str, now: datetime
    ) -> None:
        self.world.proposals[who] = (texts, now)

    async def pending(self, who: Who, now: datetime, within: timedelta) -> list[str] | None:
        found = self.world.proposals.get(who)
        if found is None:
            return None
        if now - found[1] > within:
            del self.world.proposals[who]
            return None
        return list(found[0])

    async def drop(self, who: Who) -> None:
        self.world.proposals.pop(who, None)


class FakeUnitOfWork:
    """The fake of bot.store.uow.UnitOfWork: the same repositories, kept in a `World`."""

    def __init__(self, world: World) -> None:
        self.world = world
        self.messages = FakeMessages(world)
        self.outbox = FakeOutbox(world)
        self.people = FakePeople(world)
        self.care = FakeCare(world)
        self.pickups = FakePickups(world)
        self.proposals = FakeProposals(world)
        self.duty = FakeDuty(world)
        self.notices = FakeClasses(world)

    @property
    def session(self) -> Any:
        raise AssertionError("a handler reached for the session: move that query behind a repository")

    async def flush(self) -> None:
        return None
