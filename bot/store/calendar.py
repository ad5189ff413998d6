"""Reading and writing the school calendar, and claiming scheduled fires."""

from __future__ import annotations

from datetime import date
from typing import cast

from sqlalchemy import Table, bindparam, delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.school_calendar import SchoolCalendar
from bot.store.calendar_tables import CalendarEntry
from bot.store.tables import School

KINDS = {
    "学期": "term",
    "停课": "closure",
    "补课": "workday",
    "term": "term",
    "closure": "closure",
    "workday": "workday",
}
KIND_LABELS = {"term": "学期", "closure": "停课", "workday": "补课"}


_ENTRIES = cast(Table, CalendarEntry.__table__)
# Built once (Core): read again for every dated message, never cached (an edit shows at once everywhere).
_CALENDAR = (
    select(_ENTRIES.c.kind, _ENTRIES.c.start_date, _ENTRIES.c.end_date, _ENTRIES.c.name)
    .where(_ENTRIES.c.school_id == bindparam("school_id"))
    .order_by(_ENTRIES.c.start_date)
)


async def school_calendar(session: AsyncSession, school_id: int) -> SchoolCalendar:
    rows = (await session.execute(_CALENDAR, {"school_id": school_id})).all()
    return SchoolCalendar.from_entries((r[0], r[1], r[2], r[3]) for r in rows)


async def school_ids(session: AsyncSession) -> list[int]:
    return list((await session.scalars(select(School.id).order_by(School.id))).all())


async def add_entry(
    session: AsyncSession, school_id: int, kind: str, start: date, end: date, name: str
) -> int:
    entry = CalendarEntry(school_id=school_id, kind=KINDS[kind], start_date=start, end_date=end, name=name)
    session.add(entry)
    await session.flush()
    return entry.id


async def remove_entry(session: AsyncSession, entry_id: int) -> bool:
    result = await session.execute(delete(CalendarEntry).where(CalendarEntry.id == entry_id))
    return bool(getattr(result, "rowcount", 0))


async def list_entries(session: AsyncSession, school_id: int) -> list[CalendarEntry]:
    stmt = (
        select(CalendarEntry).where(CalendarEntry.school_id == school_id).order_by(CalendarEntry.start_date)
    )
    return list((await session.scalars(stmt)).all())
