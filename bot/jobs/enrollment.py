"""`close-enrollment`: windows that have closed cancel under-filled courses and open the second round."""

from __future__ import annotations

from datetime import datetime

from bot.jobs.registry import JobContext, JobSpec


async def close_enrollment_job(ctx: JobContext) -> str:
    from bot.enroll_cli import close_enrollment

    # h-cli moves this call to a use case in bot/services; close_enrollment reads only `settings` and `db`.
    return await close_enrollment(ctx.deps, ctx.at)  # type: ignore[arg-type]


def always(fire: datetime, now: datetime) -> bool:
    """Closing a window late is still right: run a missed fire on start."""
    return True


JOBS = [
    JobSpec("close-enrollment", "报名截止: 人数不足的课程撤班,开放二次报名", {"minute": "*/10"},
            close_enrollment_job, still_useful=always, care_days_only=False),
]
