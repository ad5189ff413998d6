"""`daily-summary`: after the last care end, the day's numbers to each principal, privately."""

from __future__ import annotations

from bot.domain.messages import Push
from bot.jobs.registry import JobContext, JobSpec, same_evening
from bot.reports import as_markdown, daily_summary
from bot.store.people import staff_ids_with_role


async def send_daily_summary(ctx: JobContext) -> str:
    async with ctx.services.db.transaction() as s:
        text = await daily_summary(s, ctx.school_id, ctx.day)
        principals = await staff_ids_with_role(s, ctx.school_id, ("principal",))
    for principal in principals:
        ctx.push(Push(key=f"daily-summary:{ctx.day.isoformat()}:p{principal}", staff_id=principal,
                      text=as_markdown(text), markdown=True))
    return f"日报发给 {len(principals)} 位校长"


JOBS = [
    JobSpec("daily-summary", "每日托管日报发给校长", {"day_of_week": "mon-sun", "hour": 18, "minute": 30},
            send_daily_summary, still_useful=same_evening),
]
