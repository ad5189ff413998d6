"""Report use cases: the principal's daily summary per school and its 20-care-day attendance chart."""

from __future__ import annotations

from datetime import date, tzinfo

from bot.chart import attendance_chart
from bot.clock import Clock
from bot.reports import attendance_history, daily_summary
from bot.services.errors import NoSchool
from bot.store.db import Database


class ReportsService:
    def __init__(self, db: Database, clock: Clock, tz: tzinfo) -> None:
        self.db = db
        self.clock = clock
        self.tz = tz

    def today(self) -> date:
        return self.clock.now().astimezone(self.tz).date()

    async def daily(self, day: date, *, chart: bool = False) -> list[tuple[int, str, bytes | None]]:
        """(school id, summary text, chart PNG when asked) for every school; NoSchool when there is none."""
        out = []
        async with self.db.unit_of_work() as uow:
            schools = await uow.calendar.school_ids()
            if not schools:
                raise NoSchool
            for school_id in schools:
                text = await daily_summary(uow, school_id, day)
                png = None
                if chart:
                    calendar = await uow.calendar.of(school_id)
                    png = attendance_chart(
                        await attendance_history(uow, school_id, day, calendar.is_care_day)
                    )
                out.append((school_id, text, png))
        return out
