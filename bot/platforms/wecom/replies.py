"""WeCom reply bodies: the passive answer in a callback's response (before encryption) and the late one posted
to response_url (AI bot) or the group's WebhookUrl (group robot)."""

from __future__ import annotations

import json
from typing import Any

from bot.platforms.base import LateRoute
from bot.platforms.wecom.callback import AI_BOT, GROUP_ROBOT


def _cdata(text: str) -> str:
    return "<![CDATA[" + text.replace("]]>", "]]]]><![CDATA[>") + "]]>"


def passive_plaintext(kind: str, message_id: str, text: str, mentions: tuple[str, ...]) -> str:
    """The reply before encryption: an AI-bot stream message, or a group-robot text XML."""
    if kind == AI_BOT:
        return json.dumps(
            {"msgtype": "stream", "stream": {"id": message_id, "finish": True, "content": text}},
            ensure_ascii=False,
        )
    items = "".join(f"<Item>{_cdata(m)}</Item>" for m in mentions)
    return (
        f"<xml><MsgType>text</MsgType><Text><Content>{_cdata(text)}</Content>"
        f"<MentionedList>{items}</MentionedList></Text></xml>"
    )


def active_reply(kind: str, text: str, mentions: tuple[str, ...]) -> dict[str, Any]:
    """The body posted later to response_url (AI bot: markdown) or to the group webhook (text)."""
    if kind == AI_BOT:
        return {"msgtype": "markdown", "markdown": {"content": text}}
    return {"msgtype": "text", "text": {"content": text, "mentioned_list": list(mentions)}}


# By IncomingMessage.reply_kind. Refusals that say the route is gone (used, expired, robot removed) send the
# reply to its target instead.
_GONE = frozenset({93000, 40014, 42001, 600001})
_THROTTLED = frozenset({45009})
LATE_ROUTES = {
    "wecom_ai_bot": LateRoute(lambda text, mentions: active_reply(AI_BOT, text, mentions), _GONE, _THROTTLED),
    "wecom_group_robot": LateRoute(
        lambda text, mentions: active_reply(GROUP_ROBOT, text, mentions), _GONE, _THROTTLED
    ),
}
