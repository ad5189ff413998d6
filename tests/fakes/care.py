"""Fake care and pickup repositories (the care day of tests/fakes/uow.py's `World`)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from bot.domain.care_day import ClassDay, LeaveDay, Mark, PickupRecord, Plan
from bot.domain.children import Child
from bot.domain.school_calendar import SchoolCalendar
from bot.store.care import GuardianContact
from bot.store.care_repo import LeaveState
from bot.store.pickups import TimeQuestion
from tests.fakes.rows import Row

if TYPE_CHECKING:
    from tests.fakes.uow import World


class FakeCare:
    def __init__(self, world: World) -> None:
        self.world = world

    async def calendar(self, school_id: int) -> SchoolCalendar:
        return self.world.calendar

    async def kids_of_class(self, class_group_id: int) -> list[Child]:
        return [k for k in self.world.kids.values() if k.class_group_id == class_group_id]

    async def kids_by_ids(self, ids: list[int]) -> list[Child]:
        return [k for k in self.world.kids.values() if k.id in ids]

    async def class_day(self, kids: list[Child], day: date) -> ClassDay:
        ids = {k.id for k in kids}

        def of(rows: dict[tuple[int, date], Any]) -> dict[int, Any]:
            # copies, as a database hands out: a change is kept only when written back through the repository
            return {sid: replace(row) for (sid, d), row in rows.items() if sid in ids and d == day}

        leaves = {
            sid: LeaveDay(sid, day)
            for (sid, d), row in self.world.leaves.items()
            if sid in ids and d == day and row.cancelled_at is None
        }
        return ClassDay(day, kids, leaves, of(self.world.marks), of(self.world.pickups), of(self.world.plans))

    async def guardians_of(self, student_id: int) -> list[GuardianContact]:
        return list(self.world.guardians.get(student_id, []))

    async def head_teacher_of(self, class_group_id: int) -> int | None:
        return self.world.classes[class_group_id][2]

    async def leaves_of(
        self, student_ids: list[int], days: list[date] | None, since: date
    ) -> list[tuple[int, date]]:
        found = [
            (sid, d)
            for (sid, d), row in self.world.leaves.items()
            if sid in student_ids
            and row.cancelled_at is None
            and (d in days if days is not None else d >= since)
        ]
        return sorted(found, key=lambda f: f[1])

    async def unnotified_absences(self, student_id: int, start: date, end: date) -> int:
        return sum(
            1
            for (sid, d), m in self.world.marks.items()
            if sid == student_id
            and m.status == "absent"
            and start <= d <= end
            and not (self.world.leaves.get((sid, d)) and self.world.leaves[(sid, d)].cancelled_at is None)
        )

    async def leave_state(self, class_group_id: int, student_id: int, days: list[date]) -> LeaveState:
        existing = {
            d: row.cancelled_at
            for (sid, d), row in self.world.leaves.items()
            if sid == student_id and d in days
        }
        return LeaveState(self.world.classes[class_group_id][2], existing)

    async def add_leaves(self, rows: list[dict[str, Any]]) -> None:
        for row in rows:
            values = {k: v for k, v in row.items() if k not in {"student_id", "day"}}
            self.world.leaves[(row["student_id"], row["day"])] = Row(
                row["student_id"], row["day"], self.world.next_id(), {**values, "cancelled_at": None}
            )

    async def renew_leave(self, student_id: int, day: date, reason: str, late: bool, message_id: str) -> None:
        row = self.world.leaves[(student_id, day)]
        row.values.update(
            cancelled_at=None, cancelled_by=None, reason=reason, late_notice=late, message_id=message_id
        )

    async def cancel_leaves(self, student_id: int, days: list[date], by: str, at: datetime) -> None:
        for day in days:
            row = self.world.leaves.get((student_id, day))
            if row is not None and row.cancelled_at is None:
                row.values.update(cancelled_at=at, cancelled_by=by)

    async def set_mark(
        self, day: ClassDay, student_id: int, status: str, by: str, at: datetime, message_id: str
    ) -> None:
        mark = self.world.marks.get((student_id, day.day))
        if mark is None:
            mark = Mark(student_id, day.day, status, self.world.next_id())
        mark.status = status
        self.world.marks[(student_id, day.day)] = mark
        day.marks[student_id] = replace(mark)


class FakePickups:
    def __init__(self, world: World) -> None:
        self.world = world

    async def add_pickup(self, **values: Any) -> PickupRecord:
        pickup = PickupRecord(**values, id=self.world.next_id())
        self.world.pickups[(pickup.student_id, pickup.day)] = replace(pickup)
        return pickup

    async def save(self, pickup: PickupRecord) -> None:
        assert pickup.id is not None
        self.world.pickups[(pickup.student_id, pickup.day)] = replace(pickup)

    async def late_count(self, student_ids: list[int], start: date, end: date) -> int:
        return sum(
            1
            for (sid, d), p in self.world.pickups.items()
            if sid in student_ids and p.minutes_late > 0 and start <= d <= end
        )

    async def plan(
        self, student_id: int, day: date, by: str, at: datetime, message_id: str, **values: Any
    ) -> None:
        plan = self.world.plans.get((student_id, day)) or Plan(student_id, day)
        self.world.plans[(student_id, day)] = replace(plan, **values)

    async def ask_time(
        self,
        class_group_id: int,
        day: date,
        asked_of: str,
        student_ids: list[int],
        at: datetime,
        message_id: str,
    ) -> None:
        self.world.questions.append(
            (TimeQuestion(self.world.next_id(), day, tuple(student_ids)), asked_of, at, None)
        )

    async def open_question(self, asked_of: str, now: datetime, within: timedelta) -> TimeQuestion | None:
        open_ = [
            (q, at)
            for q, who, at, answered in self.world.questions
            if who == asked_of and answered is None and at >= now - within
        ]
        return max(open_, key=lambda qa: qa[1])[0] if open_ else None

    async def answered(self, question_id: int, at: datetime) -> None:
        self.world.questions = [
            (q, who, asked, at if q.id == question_id else answered)
            for q, who, asked, answered in self.world.questions
        ]

    async def charge_late_fee(
        self, pickup: PickupRecord, term_start: date, fen: int, note: str, at: datetime
    ) -> bool:
        key = f"late-fee:{pickup.id}"
        if key in self.world.ledger:
            return False
        self.world.ledger[key] = fen
        return True
