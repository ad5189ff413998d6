"""DingTalk enterprise robot callbacks (HTTP mode): a verified body parsed into the one IncomingMessage."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from bot.domain.messages import IncomingMessage, Platform
from bot.platforms import Rejected, clean_id, clean_text, load_json, platform_reply_url
from bot.platforms.content import CAN_DO, dingtalk_text

API_BASE = "https://oapi.dingtalk.com"  # dingtalk.api_base's default: sessionWebhook must be on this host
WEBHOOK_LIFE = timedelta(hours=1)  # when a message carries no sessionWebhookExpiredTime


@dataclass(frozen=True)
class DingtalkInbound:
    message: IncomingMessage | None
    session_webhook: str | None
    message_id: str = ""  # the callback's msgId, also when the message is not for the bot
    notice: str = (
        ""  # no message for the pipeline, but an answer (a picture or file alone: what the bot can do)
    )


def _expires(value: object, received_at: datetime) -> datetime:
    """sessionWebhookExpiredTime (epoch ms) as an aware datetime; absent or odd: an hour after receipt."""
    if (
        isinstance(value, int | str)
        and not isinstance(value, bool)
        and str(value).isascii()
        and str(value).isdigit()
    ):
        try:
            return datetime.fromtimestamp(int(value) / 1000, UTC)
        except (OverflowError, OSError, ValueError):
            pass
    return received_at + WEBHOOK_LIFE


def parse(body: bytes, received_at: datetime, settings: Any = None) -> DingtalkInbound:
    """Parse a verified callback. `settings` (DingtalkSettings): robot_code / corp_id, where set, must match
    the message's robotCode / chatbotCorpId, and sessionWebhook must be on api_base's host."""
    data = load_json(body)
    if not isinstance(data, dict):
        raise Rejected(400, "JSON is not an object")
    msg_id, conversation = (
        clean_id(data.get("msgId"), "msgId"),
        clean_id(data.get("conversationId"), "conversationId"),
    )
    robot_code, corp_id = (settings.robot_code, settings.corp_id) if settings is not None else ("", "")
    if robot_code and data.get("robotCode") != robot_code:
        raise Rejected(403, "robotCode is not dingtalk.robot_code")
    if corp_id and data.get("chatbotCorpId") != corp_id:
        raise Rejected(403, "chatbotCorpId is not dingtalk.corp_id")
    user = clean_id(data.get("senderStaffId") or data.get("senderId"), "sender")
    api_base = settings.api_base if settings is not None else API_BASE
    webhook = platform_reply_url(data.get("sessionWebhook"), api_base, "DingTalk sessionWebhook")
    text = dingtalk_text(data)  # text, audio (content.recognition), richText's text parts
    is_group = data.get("conversationType") == "2"
    if is_group and data.get("isInAtList") is False:
        return DingtalkInbound(None, webhook, msg_id)
    if text is None:
        return DingtalkInbound(
            None, webhook, msg_id, CAN_DO if data.get("msgtype") in ("picture", "file", "video") else ""
        )
    sender_name = clean_text(str(data.get("senderNick") or ""))
    message = IncomingMessage(
        platform=Platform.DINGTALK,
        chat_id=conversation,
        sender_id=user,
        text=clean_text(text),
        message_id=msg_id,
        received_at=received_at,
        sender_name=sender_name,
        is_group=is_group,
        reply_url=webhook,
        reply_kind="dingtalk",
        reply_expires_at=_expires(data.get("sessionWebhookExpiredTime"), received_at) if webhook else None,
    )
    return DingtalkInbound(message, webhook, msg_id)
