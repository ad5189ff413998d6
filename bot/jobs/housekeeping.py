"""`housekeeping`: every night, forget handled message ids older than the dedupe window.

Platforms retry within seconds (WeCom) or may replay a signed request within an hour (DingTalk);
`server.dedupe_days` (default 7) keeps far more than that, and the table stays small.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import delete

from bot.jobs.registry import JobContext, JobSpec, within
from bot.store.inbound_tables import ProcessedMessage
from bot.store.inbox import prune as prune_inbox
from bot.store.signs import prune_signs


async def housekeeping(ctx: JobContext) -> str:
    cutoff = ctx.at - timedelta(days=ctx.services.settings.server.dedupe_days)
    async with ctx.services.db.transaction() as s:
        result = await s.execute(delete(ProcessedMessage).where(ProcessedMessage.handled_at < cutoff))
        await prune_inbox(s, cutoff)  # messages handled (or given up) long ago; unhandled ones stay
    signs = await prune_signs(ctx.services.db, ctx.at)  # DingTalk signs out of their one-hour window
    return (f"清理 {result.rowcount} 条 {cutoff:%m-%d %H:%M} 之前的消息记录"  # type: ignore[attr-defined]
            f", {signs} 条过期签名")


JOBS = [
    JobSpec("housekeeping", "夜间清理: 过期的消息去重记录", {"day_of_week": "mon-sun", "hour": 3, "minute": 20},
            housekeeping, still_useful=within(timedelta(hours=20)), care_days_only=False),
]
