"""`close-enrollment`: windows that have closed cancel under-filled courses and open the second round."""

from __future__ import annotations

from datetime import datetime

from bot.jobs.registry import JobContext, JobSpec


async def close_enrollment_job(ctx: JobContext) -> str:
    return await ctx.services.use_cases.enrollment.close_enrollment(ctx.at)


def always(fire: datetime, now: datetime) -> bool:
    """Closing a window late is still right: run a missed fire on start."""
    return True


JOBS = [
    JobSpec("close-enrollment", "报名截止: 人数不足的课程撤班,开放二次报名", {"minute": "*/10"},
            close_enrollment_job, still_useful=always, care_days_only=False),
]
