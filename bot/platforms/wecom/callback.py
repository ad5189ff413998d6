"""WeCom callbacks (AI bot JSON and group-robot XML): the encrypted field found, the decrypted JSON/XML
parsed into the one IncomingMessage (decryption and signatures: `crypto`; the answers: `replies`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from bot.domain.messages import IncomingMessage, Platform
from bot.platforms import Rejected, clean_id, clean_text, load_json, platform_reply_url
from bot.platforms.content import CAN_DO, WELCOME, wecom_text
from bot.platforms.wecom.crypto import xml_node, xml_text

AI_BOT = "aibot"
GROUP_ROBOT = "robot"
API_BASE = "https://qyapi.weixin.qq.com"  # wecom.api_base's default: late replies go to this host only
RESPONSE_URL_LIFE = timedelta(hours=1)  # an AI bot's response_url may be used within an hour of the message


@dataclass(frozen=True)
class WecomInbound:
    """A verified, decrypted callback: which kind, the parsed message (None = nothing for the bot)."""

    kind: str
    message: IncomingMessage | None
    reply_to: str | None  # response_url (AI bot) or the group's WebhookUrl (group robot)
    # No message for the pipeline, but an answer: a picture alone (what the bot can do), enter_chat (welcome).
    notice: str = ""
    notice_body: dict[str, Any] | None = None  # the passive answer's plaintext JSON (AI bot)


def encrypted_field(body: bytes, content_type: str) -> tuple[str, str]:
    """(kind, Encrypt) from a callback body: JSON {"encrypt"} (AI bot) or <xml><Encrypt> (group robot)."""
    stripped = body.lstrip()
    if stripped.startswith(b"{"):
        data = load_json(body)
        encrypt = data.get("encrypt") if isinstance(data, dict) else None
        if not isinstance(encrypt, str) or not encrypt:
            raise Rejected(400, "JSON without encrypt")
        return AI_BOT, encrypt
    if stripped.startswith(b"<"):
        encrypt = xml_text(xml_node(body), "Encrypt")
        if not encrypt:
            raise Rejected(400, "XML without Encrypt")
        return GROUP_ROBOT, encrypt
    raise Rejected(400, f"unsupported body ({content_type or 'no content type'})")


def parse_ai_bot(
    plaintext: str, received_at: datetime, bot_name: str, api_base: str = API_BASE
) -> WecomInbound:
    data = load_json(plaintext, "decrypted JSON")
    if not isinstance(data, dict):
        raise Rejected(400, "decrypted JSON is not an object")
    sender: dict[str, Any] = data["from"] if isinstance(data.get("from"), dict) else {}
    msgid, user = clean_id(data.get("msgid"), "msgid"), clean_id(sender.get("userid"), "from.userid")
    reply_to = platform_reply_url(data.get("response_url"), api_base, "WeCom response_url")
    text = wecom_text(data)  # text, voice (transcribed), mixed's text items
    if text is None:
        event: dict[str, Any] = data["event"] if isinstance(data.get("event"), dict) else {}
        if data.get("msgtype") == "event" and event.get("eventtype") == "enter_chat":
            return WecomInbound(
                AI_BOT, None, reply_to, WELCOME, {"msgtype": "text", "text": {"content": WELCOME}}
            )
        if data.get("msgtype") in ("image", "file", "video"):
            return WecomInbound(
                AI_BOT,
                None,
                reply_to,
                CAN_DO,
                {"msgtype": "stream", "stream": {"id": msgid, "finish": True, "content": CAN_DO}},
            )
        return WecomInbound(AI_BOT, None, reply_to)
    is_group = data.get("chattype") == "group"
    chat = (
        clean_id(data["chatid"], "chatid") if isinstance(data.get("chatid"), str) and data["chatid"] else user
    )
    message = IncomingMessage(
        platform=Platform.WECOM,
        chat_id=chat,
        sender_id=user,
        text=strip_mention(clean_text(text), bot_name),
        message_id=msgid,
        received_at=received_at,
        sender_name="",
        is_group=is_group,
        reply_url=reply_to,
        reply_kind="wecom_ai_bot",
        reply_expires_at=received_at + RESPONSE_URL_LIFE if reply_to else None,
    )
    return WecomInbound(AI_BOT, message, reply_to)


def parse_group_robot(
    plaintext: str, received_at: datetime, bot_name: str, api_base: str = API_BASE
) -> WecomInbound:
    root = xml_node(plaintext)
    msgid, user = (
        clean_id(xml_text(root, "MsgId"), "MsgId"),
        clean_id(xml_text(root, "From/UserId"), "From/UserId"),
    )
    # WeCom names the group's webhook on its in.<api host> (e.g. http://in.qyapi.weixin.qq.com/cgi-bin/webhook/...).
    inner = f"in.{urlsplit(api_base).hostname or ''}"
    webhook = platform_reply_url(xml_text(root, "WebhookUrl"), api_base, "WeCom WebhookUrl", also=(inner,))
    content = xml_text(root, "Text/Content")
    is_group = xml_text(root, "ChatType") != "single"
    if xml_text(root, "MsgType") != "text" or (is_group and f"@{bot_name}" not in content):
        return WecomInbound(GROUP_ROBOT, None, webhook)  # not addressed to the bot
    message = IncomingMessage(
        platform=Platform.WECOM,
        chat_id=clean_id(xml_text(root, "ChatId") or user, "ChatId"),
        sender_id=user,
        text=strip_mention(clean_text(content), bot_name),
        message_id=msgid,
        received_at=received_at,
        sender_name=clean_text(xml_text(root, "From/Name")),
        is_group=is_group,
        reply_url=webhook,
        reply_kind="wecom_group_robot",  # the group's own webhook: no expiry
    )
    return WecomInbound(GROUP_ROBOT, message, webhook)


def strip_mention(text: str, bot_name: str) -> str:
    """Drop the configured @BotName (the pipeline's normaliser only knows the default names)."""
    return text.replace(f"@{bot_name}", " ").strip() if bot_name else text.strip()
