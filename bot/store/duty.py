"""The duty roster (the roster's 值班 sheet) and the duty day's repository: patrols and the day's clearance."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.duty import slot_of_day, slot_of_weekday
from bot.domain.roster import DutyRec
from bot.store.care import school_day
from bot.store.duty_tables import Clearance, DutySlot, Patrol
from bot.store.tables import ClassGroup, Staff


def as_utc(at: datetime) -> datetime:
    """Times are stored in UTC (SQLite keeps no offset): what is read back is aware UTC."""
    return at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)


# -- the duty day (`uow.duty`) ---------------------------------------------------------------------
@dataclass(frozen=True)
class PatrolRow:
    at: datetime  # UTC
    class_group_id: int
    class_name: str
    ok: bool
    note: str
    by: str


@dataclass(frozen=True)
class NewPatrol:
    """What a 巡课 message records."""

    school_id: int
    day: date
    class_group_id: int
    ok: bool
    note: str
    staff_id: int | None
    at: datetime
    message_id: str


class DutyRepo:
    """The duty leader's day: who leads it, the patrols, the 清校完毕, the children still in care."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def leader(self, school_id: int, day: date) -> tuple[int, str] | None:
        """(staff id, name) of the day's duty leader: a dated slot wins over the weekly one."""
        rows = (
            await self.session.execute(
                select(DutySlot.slot, Staff.id, Staff.name)
                .join(Staff, Staff.id == DutySlot.staff_id)
                .where(
                    DutySlot.school_id == school_id,
                    DutySlot.slot.in_([slot_of_day(day), slot_of_weekday(day.isoweekday())]),
                )
            )
        ).all()
        by_slot = {slot: (sid, name) for slot, sid, name in rows}
        return by_slot.get(slot_of_day(day)) or by_slot.get(slot_of_weekday(day.isoweekday()))

    async def in_use(self, school_id: int) -> bool:
        """Has the school a duty roster at all (else the evening duty pushes stay silent)?"""
        found = await self.session.scalar(select(DutySlot.id).where(DutySlot.school_id == school_id).limit(1))
        return found is not None

    async def record_patrol(self, patrol: NewPatrol) -> None:
        self.session.add(
            Patrol(
                school_id=patrol.school_id,
                day=patrol.day,
                class_group_id=patrol.class_group_id,
                ok=patrol.ok,
                note=patrol.note,
                staff_id=patrol.staff_id,
                at=as_utc(patrol.at),
                message_id=patrol.message_id[:128],
            )
        )

    async def patrols_of_day(self, school_id: int, day: date) -> list[PatrolRow]:
        rows = (
            await self.session.execute(
                select(Patrol.at, Patrol.class_group_id, ClassGroup.name, Patrol.ok, Patrol.note, Staff.name)
                .join(ClassGroup, ClassGroup.id == Patrol.class_group_id)
                .outerjoin(Staff, Staff.id == Patrol.staff_id)
                .where(Patrol.school_id == school_id, Patrol.day == day)
                .order_by(Patrol.at, Patrol.id)
            )
        ).all()
        return [PatrolRow(as_utc(r[0]), r[1], r[2], r[3], r[4], r[5] or "") for r in rows]

    async def clearance_of_day(self, school_id: int, day: date) -> tuple[datetime, str] | None:
        """(when, by whom) of the day's 清校完毕, if given."""
        row = (
            await self.session.execute(
                select(Clearance.at, Staff.name)
                .outerjoin(Staff, Staff.id == Clearance.staff_id)
                .where(Clearance.school_id == school_id, Clearance.day == day)
            )
        ).first()
        return (as_utc(row[0]), row[1] or "") if row else None

    async def record_clearance(
        self, school_id: int, day: date, staff_id: int | None, at: datetime, message_id: str
    ) -> None:
        self.session.add(
            Clearance(
                school_id=school_id, day=day, staff_id=staff_id, at=as_utc(at), message_id=message_id[:128]
            )
        )

    async def waiting(self, school_id: int, day: date) -> dict[int, list[str]]:
        """Class id -> names of the children still in care, not picked up (ClassDay.waiting); classes with none left out."""
        days = await school_day(self.session, school_id, day)
        found = {class_id: [k.name for k in d.waiting()] for class_id, d in days.items()}
        return {class_id: names for class_id, names in found.items() if names}


# -- the roster's 值班 sheet ---------------------------------------------------------------------------
@dataclass(frozen=True)
class SlotEntry:
    slot: str
    day: date | None
    weekday: int | None
    staff_id: int


async def upsert_duty_slots(
    session: AsyncSession, school_id: int, entries: Sequence[SlotEntry]
) -> Counter[str]:
    """Write the roster's 值班 rows by slot (a slot not in the file is kept); counts 新增 / 更新 / 无变化."""
    counts: Counter[str] = Counter({"新增": 0, "更新": 0, "无变化": 0})
    existing = {
        s.slot: s
        for s in (await session.scalars(select(DutySlot).where(DutySlot.school_id == school_id))).all()
    }
    for entry in entries:
        found = existing.get(entry.slot)
        if found is None:
            session.add(
                DutySlot(
                    school_id=school_id,
                    slot=entry.slot,
                    day=entry.day,
                    weekday=entry.weekday,
                    staff_id=entry.staff_id,
                )
            )
            counts["新增"] += 1
        elif found.staff_id != entry.staff_id:
            found.staff_id = entry.staff_id
            counts["更新"] += 1
        else:
            counts["无变化"] += 1
    await session.flush()
    return counts


async def duty_roster(session: AsyncSession, school_id: int) -> list[tuple[date | None, int | None, str]]:
    """(day, weekday, leader's name) of every slot: weekly ones first (Monday on), then dated ones by date."""
    rows = (
        await session.execute(
            select(DutySlot.day, DutySlot.weekday, Staff.name)
            .join(Staff, Staff.id == DutySlot.staff_id)
            .where(DutySlot.school_id == school_id)
        )
    ).all()
    weekly = sorted((r for r in rows if r[1] is not None), key=lambda r: r[1] or 0)
    dated = sorted((r for r in rows if r[1] is None), key=lambda r: r[0] or date.min)
    return [(r[0], r[1], r[2]) for r in [*weekly, *dated]]


async def apply_duty(
    session: AsyncSession, school_id: int, recs: list[DutyRec], staff_named: Callable[[str], Staff | None]
) -> Counter[str] | None:
    """Write the roster's validated 值班 rows (names were checked unique); None when the file had none."""
    if not recs:
        return None
    entries = []
    for rec in recs:
        staff = staff_named(rec.leader)
        assert staff is not None, rec.leader  # validated: exactly one teacher of that name
        entries.append(SlotEntry(rec.slot, rec.day, rec.weekday, staff.id))
    return await upsert_duty_slots(session, school_id, entries)


async def duty_records(session: AsyncSession, school_id: int) -> list[DutyRec]:
    """The school's 值班 rows as the roster gives them, in the export's order."""
    return [
        DutyRec(slot_of_day(day) if day else slot_of_weekday(weekday or 1), day, weekday, name, 0)
        for day, weekday, name in await duty_roster(session, school_id)
    ]
