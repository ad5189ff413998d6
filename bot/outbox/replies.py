"""Late replies: the answer to a message posted to the platform's own reply route (WeCom response_url, the
group robot's WebhookUrl, DingTalk sessionWebhook) while it is valid."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

import aiohttp

from bot.outbox.robots import SendResult, _classify, _post
from bot.platforms import dingtalk, wecom

log = logging.getLogger(__name__)

# The body each reply route takes, by IncomingMessage.reply_kind.
BODIES = {
    "wecom_ai_bot": lambda text, mentions: wecom.active_reply(wecom.AI_BOT, text, mentions),
    "wecom_group_robot": lambda text, mentions: wecom.active_reply(wecom.GROUP_ROBOT, text, mentions),
    "dingtalk": lambda text, mentions: dingtalk.reply_body(text, mentions),
}
# Refusals that say the route is gone (used, expired, robot removed): the push falls back to its target.
GONE = frozenset({93000, 300001, 310000, 40014, 42001, 600001})
THROTTLED = frozenset({45009, 410100, 130101})


def route_valid(url: str | None, kind: str | None, expires_at: datetime | None, now: datetime) -> bool:
    if not url or kind not in BODIES:
        return False
    if expires_at is None:
        return True
    expires = expires_at if expires_at.tzinfo is not None else expires_at.replace(tzinfo=UTC)
    return expires > now


async def post_reply(http: aiohttp.ClientSession, url: str, kind: str, text: str,
                     mentions: tuple[str, ...]) -> SendResult:
    body: dict[str, Any] = BODIES[kind](text, mentions)
    try:
        status, data = await _post(http, url, body, 10)
    except (aiohttp.ClientError, TimeoutError) as exc:
        return SendResult("retry", type(exc).__name__)
    if status == 200 and not isinstance(data, dict):
        return SendResult("ok", "0")  # a reply route may answer with an empty body
    if status == 200 and isinstance(data, dict) and "errcode" not in data:
        return SendResult("ok", "0")
    return _classify(status, data, THROTTLED, GONE)
