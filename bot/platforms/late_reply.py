"""Late replies: the answer to a message posted to the platform's own reply route (WeCom response_url, the
group robot's WebhookUrl, DingTalk sessionWebhook) while it is valid. The route's body and refusal codes come
from its platform's package (`LATE_ROUTES`, by IncomingMessage.reply_kind)."""

from __future__ import annotations

from datetime import UTC, datetime

import aiohttp

from bot.platforms.base import LateRoute, SendResult, classify_errcode, post_json


def route_valid(url: str | None, route: LateRoute | None, expires_at: datetime | None, now: datetime) -> bool:
    if not url or route is None:
        return False
    if expires_at is None:
        return True
    expires = expires_at if expires_at.tzinfo is not None else expires_at.replace(tzinfo=UTC)
    return expires > now


async def post_reply(
    http: aiohttp.ClientSession, url: str, route: LateRoute, text: str, mentions: tuple[str, ...]
) -> SendResult:
    try:
        status, data = await post_json(http, url, route.body(text, mentions), 10)
    except (aiohttp.ClientError, TimeoutError) as exc:
        return SendResult("retry", type(exc).__name__)
    if status == 200 and not isinstance(data, dict):
        return SendResult("ok", "0")  # a reply route may answer with an empty body
    if status == 200 and isinstance(data, dict) and "errcode" not in data:
        return SendResult("ok", "0")
    return classify_errcode(status, data, route.throttled, route.gone)
