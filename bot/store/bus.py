"""Storing bus lines, riders and departures. A rider on the bus has left care: the departure writes a confirmed
pickup for them (by 校车<line>, never late), so the register, the reports and the whole-day proof count them."""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Select, exists, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.bus import BUS_PREFIX, LineFacts, line_key
from bot.domain.care_day import PickupRecord
from bot.domain.children import Child
from bot.domain.roster import BusData
from bot.store.bus_tables import BusBoarding, BusLine, BusRider
from bot.store.care import GuardianContact, guardian_contacts, kids_by_ids
from bot.store.care_tables import Pickup, PickupPlan
from bot.store.notices import as_utc
from bot.store.tables import Student


def _facts(line: BusLine) -> LineFacts:
    return LineFacts(line.id, line.name, line.direction, line.driver, line.driver_phone, line.plate)


async def school_lines(session: AsyncSession, school_id: int) -> list[LineFacts]:
    lines = await session.scalars(select(BusLine).where(BusLine.school_id == school_id).order_by(BusLine.id))
    return [_facts(line) for line in lines]


def bus_label(line: LineFacts) -> str:
    """Who took the child, as the pickup record says it: 校车一号线."""
    return f"{BUS_PREFIX}{line.name}"[:50]


def is_bus_pickup(pickup: Pickup | PickupRecord) -> bool:
    return pickup.picked_up_by.startswith(BUS_PREFIX)


@dataclass(frozen=True)
class Departed:
    """A line leaving: when, said by whom, in which message."""

    line: LineFacts
    day: date
    at: datetime
    by: str  # the sender's actor ref
    message_id: str


def _of_day(model: type[BusBoarding] | type[Pickup], ids: list[int], day: date) -> Select[Any]:
    return select(model).where(model.student_id.in_(ids), model.day == day)


def _bus_pickup(departed: Departed, student_id: int) -> Pickup:
    at = departed.at
    return Pickup(
        student_id=student_id,
        day=departed.day,
        state="confirmed",
        picked_up_at=at,
        picked_up_by=bus_label(departed.line),
        confirmed_by=departed.by,
        confirmed_at=at,
        minutes_late=0,
        time_known=True,
        message_id=departed.message_id,
    )


class BusRepo:
    """The bus of one day (`uow.bus`): the school's lines, a line's riders, a departure."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def school_lines(self, school_id: int) -> list[LineFacts]:
        return await school_lines(self.session, school_id)

    async def riders(self, line_id: int) -> list[Child]:
        """The line's riders among the school's active pupils."""
        ids = await self.session.scalars(
            select(BusRider.student_id)
            .join(Student, Student.id == BusRider.student_id)
            .where(BusRider.bus_line_id == line_id, Student.active.is_(True))
        )
        return await kids_by_ids(self.session, list(ids))

    async def guardian_contacts(self, student_ids: list[int]) -> dict[int, list[GuardianContact]]:
        return await guardian_contacts(self.session, student_ids)

    async def record_departure(
        self,
        departed: Departed,
        *,
        boarded: Collection[int],
        missing: Collection[int],
        clear: Collection[int],
    ) -> None:
        """This departure's riders: on the bus (with a confirmed pickup), missing, or (`clear`) not the bus's
        concern today any more; a second departure message for the line that day replaces what the first said."""
        session = self.session
        ids, day = [*boarded, *missing, *clear], departed.day
        if not ids:
            return
        rows = {b.student_id: b for b in await session.scalars(_of_day(BusBoarding, ids, day))}
        pickups = {p.student_id: p for p in await session.scalars(_of_day(Pickup, ids, day))}
        for sid in [*missing, *clear]:
            pickup = pickups.get(sid)
            if pickup is not None and is_bus_pickup(pickup):
                await session.delete(pickup)
        for sid in clear:
            row = rows.get(sid)
            if row is not None and row.bus_line_id == departed.line.id:
                await session.delete(row)
        for sid, on_bus in [*((s, True) for s in boarded), *((s, False) for s in missing)]:
            row = rows.get(sid)
            if row is None:
                row = BusBoarding(student_id=sid, day=day)
                session.add(row)
            row.bus_line_id, row.boarded, row.departed_at = departed.line.id, on_bus, as_utc(departed.at)
            row.recorded_by, row.message_id = departed.by, departed.message_id
            if on_bus and sid not in pickups:
                session.add(_bus_pickup(departed, sid))
        await session.flush()


@dataclass(frozen=True)
class BusDay:
    """A rider's record on one day: which line, on it or not, when it left, who said so."""

    student_id: int
    line: str
    boarded: bool
    departed_at: datetime  # UTC
    recorded_by: str


async def day_boardings(
    session: AsyncSession, school_id: int, day: date, *, missing_only: bool = False
) -> dict[int, BusDay]:
    """The school's departures of one day, per rider. `missing_only`: the riders not on their bus and with no
    pickup plan of their guardians that day (a late notice or another person: then the usual pickup rules hold)."""
    stmt = (
        select(
            BusBoarding.student_id,
            BusLine.name,
            BusBoarding.boarded,
            BusBoarding.departed_at,
            BusBoarding.recorded_by,
        )
        .join(BusLine, BusLine.id == BusBoarding.bus_line_id)
        .where(BusLine.school_id == school_id, BusBoarding.day == day)
    )
    if missing_only:
        stmt = stmt.where(
            BusBoarding.boarded.is_(False),
            ~exists().where(PickupPlan.student_id == BusBoarding.student_id, PickupPlan.day == day),
        )
    return {
        sid: BusDay(sid, name, on_bus, as_utc(at), by)
        for sid, name, on_bus, at, by in (await session.execute(stmt)).all()
    }


async def missing_riders(session: AsyncSession, school_id: int, day: date) -> dict[int, BusDay]:
    return await day_boardings(session, school_id, day, missing_only=True)


# -- the roster -----------------------------------------------------------------------------------------------
async def line_names(session: AsyncSession, school_id: int) -> list[str]:
    return list((await session.scalars(select(BusLine.name).where(BusLine.school_id == school_id))).all())


async def save_lines(session: AsyncSession, school_id: int, lines: Sequence[LineFacts]) -> list[str]:
    """Upsert lines by name (any usual spelling); one of 新增 / 更新 / 无变化 per line, in order."""
    stored = {
        line_key(line.name): line
        for line in await session.scalars(select(BusLine).where(BusLine.school_id == school_id))
    }
    counts = []
    for rec in lines:
        values = {
            "name": rec.name,
            "direction": rec.direction,
            "driver": rec.driver,
            "driver_phone": rec.driver_phone,
            "plate": rec.plate,
        }
        line = stored.get(line_key(rec.name))
        if line is None:
            stored[line_key(rec.name)] = BusLine(school_id=school_id, **values)
            session.add(stored[line_key(rec.name)])
            counts.append("新增")
            continue
        changed = any(getattr(line, k) != v for k, v in values.items())
        for key, value in values.items():
            setattr(line, key, value)
        counts.append("更新" if changed else "无变化")
    await session.flush()
    return counts


async def riders_by_student_no(session: AsyncSession, school_id: int) -> dict[str, str]:
    """学籍号 -> the name of the line the pupil rides."""
    rows = await session.execute(
        select(Student.student_no, BusLine.name)
        .join(BusRider, BusRider.student_id == Student.id)
        .join(BusLine, BusLine.id == BusRider.bus_line_id)
        .where(Student.school_id == school_id)
    )
    return {no: name for no, name in rows.all()}


async def set_riders(session: AsyncSession, school_id: int, riders: Mapping[str, str]) -> None:
    """学籍号 -> line name (any usual spelling; "" = rides no bus). Lines and pupils must be stored already."""
    if not riders:
        return
    lines = {line_key(line.name): line.id for line in await school_lines(session, school_id)}
    students = dict(
        (
            await session.execute(
                select(Student.student_no, Student.id).where(
                    Student.school_id == school_id, Student.student_no.in_(list(riders))
                )
            )
        ).all()
    )
    ids = list(students.values())
    current = {
        r.student_id: r for r in await session.scalars(select(BusRider).where(BusRider.student_id.in_(ids)))
    }
    for no, name in riders.items():
        row = current.get(students[no])
        if not name:
            if row is not None:
                await session.delete(row)
        elif row is None:
            session.add(BusRider(student_id=students[no], bus_line_id=lines[line_key(name)]))
        else:
            row.bus_line_id = lines[line_key(name)]
    await session.flush()


async def rider_changes(session: AsyncSession, school_id: int, data: BusData) -> set[str]:
    """学籍号 of stored pupils whose line the file changes (their 学生 row counts as updated)."""
    if not data.riders:
        return set()
    now = await riders_by_student_no(session, school_id)
    return {
        no
        for no, name in data.riders.items()
        if line_key(now.get(no, "")) != line_key(name) and (no in now or name)
    }


async def apply_bus(session: AsyncSession, school_id: int, data: BusData) -> Counter[str] | None:
    """Store the lines, then the riders (the pupils are stored by then); the 校车 sheet's counts."""
    counts = await save_lines(session, school_id, data.lines)
    await set_riders(session, school_id, data.riders)
    if not data.lines:
        return None
    return Counter(
        {"新增": counts.count("新增"), "更新": counts.count("更新"), "无变化": counts.count("无变化")}
    )
