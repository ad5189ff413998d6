"""Reading and writing the school calendar, and claiming scheduled fires."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, cast

from sqlalchemy import Table, bindparam, delete, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.school_calendar import SchoolCalendar
from bot.store.calendar_tables import CalendarEntry, JobRun
from bot.store.tables import School

if TYPE_CHECKING:
    from bot.store.db import Database  # the unit of work's repositories import this module: no cycle

KINDS = {"学期": "term", "停课": "closure", "补课": "workday", "term": "term", "closure": "closure", "workday": "workday"}
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


async def add_entry(session: AsyncSession, school_id: int, kind: str, start: date, end: date, name: str) -> int:
    entry = CalendarEntry(school_id=school_id, kind=KINDS[kind], start_date=start, end_date=end, name=name)
    session.add(entry)
    await session.flush()
    return entry.id


async def remove_entry(session: AsyncSession, entry_id: int) -> bool:
    result = await session.execute(delete(CalendarEntry).where(CalendarEntry.id == entry_id))
    return bool(getattr(result, "rowcount", 0))


async def list_entries(session: AsyncSession, school_id: int) -> list[CalendarEntry]:
    stmt = select(CalendarEntry).where(CalendarEntry.school_id == school_id).order_by(CalendarEntry.start_date)
    return list((await session.scalars(stmt)).all())


async def claim_fire(
    db: Database, job: str, fire_time: datetime, school_id: int, instance: str, now: datetime, lease: timedelta
) -> bool:
    """Claim one fire of a job for a school; False if another instance holds or finished it.

    A claim left 'running' longer than `lease` (its instance died) may be taken over, and an instance may
    take back its own (a try cut short by the database going away): the job's pushes are idempotent by
    key, so running it again delivers nothing twice.
    """
    try:
        async with db.transaction() as session:
            session.add(
                JobRun(job=job, fire_time=fire_time, school_id=school_id, instance=instance, started_at=now)
            )
        return True
    except IntegrityError:
        pass
    async with db.transaction() as session:
        result = await session.execute(
            update(JobRun)
            .where(
                JobRun.job == job,
                JobRun.fire_time == fire_time,
                JobRun.school_id == school_id,
                JobRun.status == "running",
                or_(JobRun.started_at < now - lease, JobRun.instance == instance),
            )
            .values(instance=instance, started_at=now)
        )
        return bool(getattr(result, "rowcount", 0))


async def finish_fire(
    db: Database, job: str, fire_time: datetime, school_id: int, status: str, detail: str, now: datetime
) -> None:
    async with db.transaction() as session:
        await session.execute(
            update(JobRun)
            .where(JobRun.job == job, JobRun.fire_time == fire_time, JobRun.school_id == school_id)
            .values(status=status, detail=detail[:2000], finished_at=now)
        )


async def fire_recorded(db: Database, job: str, fire_time: datetime, school_id: int) -> bool:
    async with db.transaction() as session:
        found = await session.scalar(
            select(JobRun.id).where(
                JobRun.job == job, JobRun.fire_time == fire_time, JobRun.school_id == school_id
            )
        )
        return found is not None
