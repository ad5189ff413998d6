"""`housekeeping`: every night, forget handled message ids older than the dedupe window.

Platforms retry within seconds (WeCom) or may replay a signed request within an hour (DingTalk);
`server.dedupe_days` (default 7) keeps far more than that, and the table stays small.
"""

from __future__ import annotations

from datetime import timedelta

from bot.jobs.registry import JobContext, JobSpec, within
from bot.store.signs import prune_signs


async def housekeeping(ctx: JobContext) -> str:
    cutoff = ctx.at - timedelta(days=ctx.deps.settings.server.dedupe_days)
    async with ctx.deps.db.unit_of_work() as uow:
        # messages handled (or given up) long ago; unhandled ones stay in the inbox
        records, _ = await uow.inbox.prune(cutoff)
    signs = await prune_signs(ctx.deps.db, ctx.at)  # DingTalk signs out of their one-hour window
    return f"清理 {records} 条 {cutoff:%m-%d %H:%M} 之前的消息记录, {signs} 条过期签名"


JOBS = [
    JobSpec(
        "housekeeping",
        "夜间清理: 过期的消息去重记录",
        {"day_of_week": "mon-sun", "hour": 3, "minute": 20},
        housekeeping,
        still_useful=within(timedelta(hours=20)),
        care_days_only=False,
    ),
]
