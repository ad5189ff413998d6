"""The calendar repository: a school's calendar entries (terms, closures, make-up days) and the schools."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.school_calendar import SchoolCalendar
from bot.store import calendar


@dataclass(frozen=True)
class Entry:
    id: int
    kind: str  # term, closure or workday
    start: date
    end: date
    name: str


class CalendarRepo:
    """Schools and their calendars (the functions of `bot.store.calendar` on this unit's session)."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def school_ids(self) -> list[int]:
        return await calendar.school_ids(self.session)

    async def of(self, school_id: int) -> SchoolCalendar:
        return await calendar.school_calendar(self.session, school_id)

    async def add(self, school_id: int, kind: str, start: date, end: date, name: str) -> int:
        return await calendar.add_entry(self.session, school_id, kind, start, end, name)

    async def remove(self, entry_id: int) -> bool:
        return await calendar.remove_entry(self.session, entry_id)

    async def entries(self, school_id: int) -> list[Entry]:
        return [
            Entry(e.id, e.kind, e.start_date, e.end_date, e.name)
            for e in await calendar.list_entries(self.session, school_id)
        ]
