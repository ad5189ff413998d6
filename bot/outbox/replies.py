"""Late replies in the outbox: posted by their platform's reply route while it is valid; when the route is gone
(or refuses), the push joins its target's line (its chat, or its person), or fails when it has none."""

from __future__ import annotations

import logging
from datetime import timedelta

from bot.domain.outbox import MAX_ATTEMPTS, ClaimedPush, retry_delay
from bot.outbox.port import Worker
from bot.platforms.late_reply import post_reply, route_valid

log = logging.getLogger(__name__)
THROTTLED_WAIT = timedelta(seconds=60)


async def late_replies(worker: Worker, pushes: list[ClaimedPush]) -> list[ClaimedPush]:
    """Post the late replies among `pushes`; the rest (and replies that fall back to a target) are returned."""
    left: list[ClaimedPush] = []
    for push in pushes:
        if push.reply_url is None or not await _reply(worker, push):
            left.append(push)
    return left


async def _reply(worker: Worker, push: ClaimedPush) -> bool:
    """Post one late reply by its route; False when it goes to its target's line instead."""
    now, route = worker.clock.now(), worker.late_routes.get(push.reply_kind or "")
    if route is not None and route_valid(push.reply_url, route, push.reply_expires_at, now):
        assert push.reply_url is not None
        result = await post_reply(worker.http, push.reply_url, route, push.text, push.mention_user_ids)
        worker.metrics.pushes.labels((push.reply_kind or "none").split("_")[0], result.outcome).inc()
        if result.outcome == "ok":
            await worker.finish(push, "sent", "reply")
            return True
        if result.outcome == "throttled":
            await worker.wait(push, now + THROTTLED_WAIT, result, count=False)
            return True
        if result.outcome == "retry" and push.attempts + 1 < MAX_ATTEMPTS:
            await worker.wait(push, now + retry_delay(push.attempts), result, count=True)
            return True
        log.warning("late reply refused (%s %s): falling back", result.code, result.detail)
    if not push.has_target:
        await worker.finish(push, "failed", "回复通道已失效")
        return True
    await worker.db.run(lambda uow: uow.outbox.drop_reply_route(push.id))  # the target's line takes it
    push.reply_url = None
    return False
