"""The pickup repository: children leaving care, pickup plans, the late-batch time question, late fees."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.care_day import PickupRecord
from bot.store.care import as_pickup
from bot.store.care_tables import Pickup, PickupPlan, PickupTimeQuestion
from bot.store.enroll_tables import LedgerEntry
from bot.store.tables import Student


@dataclass(frozen=True)
class TimeQuestion:
    """A teacher was asked when the children of a late batch left."""

    id: int
    day: date
    student_ids: tuple[int, ...]


class PickupRepo:
    """Pickups are loaded with the class day (`uow.care.class_day`); this writes them and what follows."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add_pickup(self, **values: Any) -> PickupRecord:
        """A new pickup (student_id, day, state, picked_up_at, picked_up_by, minutes_late, time_known,
        message_id), stored; later changes to it are written by `save`."""
        row = Pickup(**values)
        self.session.add(row)
        await self.session.flush()
        return as_pickup(row)

    async def save(self, pickup: PickupRecord) -> None:
        """Write a stored pickup's changes (state, who claimed or confirmed it, when it left, minutes late)."""
        assert pickup.id is not None
        await self.session.execute(
            update(Pickup)
            .where(Pickup.id == pickup.id)
            .values(
                state=pickup.state,
                picked_up_at=pickup.picked_up_at,
                claimed_by=pickup.claimed_by,
                confirmed_by=pickup.confirmed_by,
                confirmed_at=pickup.confirmed_at,
                minutes_late=pickup.minutes_late,
                time_known=pickup.time_known,
            )
        )

    async def late_count(self, student_ids: list[int], start: date, end: date) -> int:
        """Late pickups of a family (its children) within a term (what the unit holds included)."""
        await self.session.flush()
        return int(
            await self.session.scalar(
                select(func.count())
                .select_from(Pickup)
                .where(
                    Pickup.student_id.in_(student_ids),
                    Pickup.minutes_late > 0,
                    Pickup.day.between(start, end),
                )
            )
            or 0
        )

    async def plan(
        self, student_id: int, day: date, by: str, at: datetime, message_id: str, **values: Any
    ) -> None:
        """Set fields of the child's pickup plan for `day` (expected_time, early_time, person, ...)."""
        plan = await self.session.scalar(
            select(PickupPlan).where(PickupPlan.student_id == student_id, PickupPlan.day == day)
        )
        if plan is None:
            plan = PickupPlan(
                student_id=student_id, day=day, created_by=by, created_at=at, message_id=message_id
            )
            self.session.add(plan)
        for key, value in values.items():
            setattr(plan, key, value)
        plan.message_id = message_id

    async def ask_time(
        self,
        class_group_id: int,
        day: date,
        asked_of: str,
        student_ids: list[int],
        at: datetime,
        message_id: str,
    ) -> None:
        self.session.add(
            PickupTimeQuestion(
                class_group_id=class_group_id,
                day=day,
                asked_of=asked_of,
                student_ids=",".join(map(str, student_ids)),
                asked_at=at,
                message_id=message_id,
            )
        )

    async def open_question(self, asked_of: str, now: datetime, within: timedelta) -> TimeQuestion | None:
        """The teacher's latest unanswered question asked within `within`."""
        q = await self.session.scalar(
            select(PickupTimeQuestion)
            .where(
                PickupTimeQuestion.asked_of == asked_of,
                PickupTimeQuestion.answered_at.is_(None),
                PickupTimeQuestion.asked_at >= now - within,
            )
            .order_by(PickupTimeQuestion.asked_at.desc())
            .limit(1)
        )
        if q is None:
            return None
        return TimeQuestion(q.id, q.day, tuple(int(i) for i in q.student_ids.split(",") if i))

    async def answered(self, question_id: int, at: datetime) -> None:
        await self.session.execute(
            update(PickupTimeQuestion).where(PickupTimeQuestion.id == question_id).values(answered_at=at)
        )

    async def charge_late_fee(
        self, pickup: PickupRecord, term_start: date, fen: int, note: str, at: datetime
    ) -> bool:
        """Charge a late pickup to the family ledger once (keyed by the pickup); False when charged before."""
        await self.session.flush()  # the pickup's id
        key = f"late-fee:{pickup.id}"
        if await self.session.scalar(select(LedgerEntry.id).where(LedgerEntry.key == key)) is not None:
            return False
        school_id = await self.session.scalar(
            select(Student.school_id).where(Student.id == pickup.student_id)
        )
        self.session.add(
            LedgerEntry(
                school_id=school_id,
                student_id=pickup.student_id,
                term_start=term_start,
                kind="charge",
                fen=fen,
                note=note,
                at=at,
                key=key,
            )
        )
        return True
