"""`daily-summary`: after the last care end, the day's numbers to each principal, privately, as markdown
followed by a PNG chart of the last 20 care days' attendance and late pickups."""

from __future__ import annotations

import logging

from bot.domain.messages import Push
from bot.jobs.registry import JobContext, JobSpec, same_evening
from bot.reports import as_markdown, attendance_history, daily_summary

log = logging.getLogger(__name__)


async def send_daily_summary(ctx: JobContext) -> str:
    async with ctx.deps.db.unit_of_work() as uow:
        text = await daily_summary(uow, ctx.school_id, ctx.day)
        principals = await uow.people.staff_with_role(ctx.school_id, ("principal",))
        history = await attendance_history(uow, ctx.school_id, ctx.day, ctx.calendar.is_care_day)
    chart: bytes | None = None
    try:
        from bot.chart import attendance_chart

        chart = attendance_chart(history)
    except (ImportError, ValueError) as exc:  # no matplotlib, or a chart over the image limit: text alone
        log.warning("daily-summary chart not attached: %s", exc)
    for principal in principals:
        ctx.push(
            Push(
                key=f"daily-summary:{ctx.day.isoformat()}:p{principal}",
                staff_id=principal,
                text=as_markdown(text),
                markdown=True,
                image_png=chart,
            )
        )
    return f"日报发给 {len(principals)} 位校长" + ("(含图表)" if chart else "")


JOBS = [
    JobSpec(
        "daily-summary",
        "每日托管日报发给校长",
        {"day_of_week": "mon-sun", "hour": 18, "minute": 30},
        send_daily_summary,
        still_useful=same_evening,
    ),
]
