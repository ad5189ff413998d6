"""`close-enrollment`: windows that have closed cancel under-filled courses, open the second round and send the
公示; `enrollment-announce`: the class groups are told when a window opens and two hours before it closes."""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.course_news import announcements
from bot.jobs.registry import JobContext, JobSpec, within

ANNOUNCE_EVERY = timedelta(minutes=10)  # each fire covers the slot since the one before (cron below)


async def close_enrollment_job(ctx: JobContext) -> str:
    return await ctx.deps.use_cases.enrollment.close_enrollment(ctx.at)


async def enrollment_announce(ctx: JobContext) -> str:
    """Windows that opened, or reached two hours before their close, in this fire's slot: one text per class
    group (the courses open to its grade). Keys name the fire, so a re-run of it pushes nothing twice."""
    tz = ctx.deps.settings.school.tz
    async with ctx.deps.db.unit_of_work() as uow:
        pushes = await announcements(
            uow, ctx.school_id, ctx.at - ANNOUNCE_EVERY, ctx.at, tz, f"{ctx.at:%Y%m%d%H%M}"
        )
    for push in pushes:
        ctx.push(push)
    return f"报名提醒 {len(pushes)} 个班群"


def always(fire: datetime, now: datetime) -> bool:
    """Closing a window late is still right: run a missed fire on start."""
    return True


JOBS = [
    JobSpec(
        "close-enrollment",
        "报名截止: 人数不足的课程撤班,开放二次报名,公示报名结果",
        {"minute": "*/10"},
        close_enrollment_job,
        still_useful=always,
        care_days_only=False,
    ),
    JobSpec(
        "enrollment-announce",
        "报名开放时和截止前两小时在班级群提醒",
        {"minute": "*/10"},
        enrollment_announce,
        still_useful=within(timedelta(hours=2)),
        care_days_only=False,
        coalesce=False,
    ),
]
