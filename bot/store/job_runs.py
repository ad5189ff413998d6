"""Scheduled fires, one row per (job, fire time, school): which instance runs it, and how it ended."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.store.calendar_tables import JobRun


class JobRunsRepo:
    """A fire is claimed by inserting its row (unique per job, time and school): two instances never run it."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def claim(
        self, job: str, fire_time: datetime, school_id: int, instance: str, now: datetime, lease: timedelta
    ) -> bool:
        """Claim one fire of a job for a school; False if another instance holds or finished it.

        A claim left 'running' longer than `lease` (its instance died) may be taken over, and an instance may
        take back its own (a try cut short by the database going away): the job's pushes are idempotent by
        key, so running it again delivers nothing twice.
        """
        try:
            async with self.session.begin_nested():  # a savepoint: a duplicate leaves the unit of work usable
                self.session.add(
                    JobRun(
                        job=job, fire_time=fire_time, school_id=school_id, instance=instance, started_at=now
                    )
                )
            return True
        except IntegrityError:
            pass
        result = await self.session.execute(
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

    async def finish(
        self, job: str, fire_time: datetime, school_id: int, status: str, detail: str, now: datetime
    ) -> None:
        await self.session.execute(
            update(JobRun)
            .where(JobRun.job == job, JobRun.fire_time == fire_time, JobRun.school_id == school_id)
            .values(status=status, detail=detail[:2000], finished_at=now)
        )

    async def recorded(self, job: str, fire_time: datetime, school_id: int) -> bool:
        found = await self.session.scalar(
            select(JobRun.id).where(
                JobRun.job == job, JobRun.fire_time == fire_time, JobRun.school_id == school_id
            )
        )
        return found is not None
