"""DingTalk enterprise robot callbacks (HTTP mode): header signature, parsing, replies in the response."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.domain.messages import IncomingMessage, Platform
from bot.platforms import Rejected, clean_id, clean_text
from bot.platforms.content import CAN_DO, dingtalk_text

WINDOW_MS = 60 * 60 * 1000  # one hour either way


def sign(timestamp: str, secret: str) -> str:
    """base64(HmacSHA256(key=secret, msg=f"{timestamp}\\n{secret}")), as DingTalk signs callbacks and robots."""
    digest = hmac.new(secret.encode(), f"{timestamp}\n{secret}".encode(), hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def verify(headers: Any, secret: str, now: datetime) -> None:
    """Fail closed: no secret configured, a missing header, a stale time or a wrong sign is refused."""
    if not secret:
        raise Rejected(403, "dingtalk.app_secret not configured")
    timestamp, signature = headers.get("timestamp"), headers.get("sign")
    if not timestamp or not signature:
        raise Rejected(401, "missing timestamp or sign header")
    if not (timestamp.isascii() and timestamp.isdigit() and len(timestamp) <= 20):  # '²'.isdigit() is True
        raise Rejected(401, "timestamp not a number")
    if abs(int(now.timestamp() * 1000) - int(timestamp)) > WINDOW_MS:
        raise Rejected(401, "stale timestamp")
    if not hmac.compare_digest(sign(timestamp, secret).encode(), signature.encode()):
        raise Rejected(403, "bad signature")


@dataclass(frozen=True)
class DingtalkInbound:
    message: IncomingMessage | None
    session_webhook: str | None
    notice: str = ""  # no message for the pipeline, but an answer (a picture or file alone: what the bot can do)


def parse(body: bytes, received_at: datetime) -> DingtalkInbound:
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise Rejected(400, "malformed JSON") from None
    if not isinstance(data, dict):
        raise Rejected(400, "JSON is not an object")
    msg_id, conversation = clean_id(data.get("msgId"), "msgId"), clean_id(data.get("conversationId"), "conversationId")
    user = clean_id(data.get("senderStaffId") or data.get("senderId"), "sender")
    webhook = data.get("sessionWebhook") if isinstance(data.get("sessionWebhook"), str) else None
    text = dingtalk_text(data)  # text, audio (content.recognition), richText's text parts
    is_group = data.get("conversationType") == "2"
    if is_group and data.get("isInAtList") is False:
        return DingtalkInbound(None, webhook)
    if text is None:
        return DingtalkInbound(None, webhook, CAN_DO if data.get("msgtype") in ("picture", "file", "video") else "")
    sender_name = clean_text(str(data.get("senderNick") or ""))
    message = IncomingMessage(
        platform=Platform.DINGTALK, chat_id=conversation, sender_id=user, text=clean_text(text),
        message_id=msg_id, received_at=received_at, sender_name=sender_name, is_group=is_group,
        reply_url=webhook,
    )
    return DingtalkInbound(message, webhook)


def reply_body(text: str | None, mention_user_ids: tuple[str, ...] = ()) -> dict[str, Any]:
    if not text:
        return {"msgtype": "empty"}
    body: dict[str, Any] = {"msgtype": "text", "text": {"content": text}}
    if mention_user_ids:
        body["at"] = {"atUserIds": list(mention_user_ids)}
    return body
