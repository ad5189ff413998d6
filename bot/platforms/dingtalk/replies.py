"""DingTalk reply bodies: the answer in a callback's response and the late one posted to its sessionWebhook."""

from __future__ import annotations

from typing import Any

from bot.platforms.base import LateRoute


def reply_body(text: str | None, mention_user_ids: tuple[str, ...] = ()) -> dict[str, Any]:
    if not text:
        return {"msgtype": "empty"}
    body: dict[str, Any] = {"msgtype": "text", "text": {"content": text}}
    if mention_user_ids:
        body["at"] = {"atUserIds": list(mention_user_ids)}
    return body


# By IncomingMessage.reply_kind. Refusals that say the sessionWebhook is gone (expired, robot removed, a
# security check) send the reply to its target instead.
LATE_ROUTES = {
    "dingtalk": LateRoute(
        reply_body, gone=frozenset({300001, 310000, 600001}), throttled=frozenset({410100, 130101})
    ),
}
