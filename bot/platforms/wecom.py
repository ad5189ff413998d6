"""WeCom callbacks (AI bot JSON and group-robot XML): signature, WXBizMsgCrypt decryption, parsing, replies.

Crypto is wechatpy's (`wechatpy.enterprise.crypto`, with `cryptography`); the decrypted JSON/XML is parsed
here into the one IncomingMessage. XML is read with defusedxml, so entity tricks are refused.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit
from xml.etree.ElementTree import Element

from defusedxml import ElementTree as SafeET
from defusedxml.common import DefusedXmlException
from wechatpy.enterprise.crypto import WeChatCrypto
from wechatpy.enterprise.exceptions import InvalidCorpIdException
from wechatpy.exceptions import InvalidSignatureException

from bot.domain.messages import IncomingMessage, Platform
from bot.platforms import Rejected, clean_id, clean_text, load_json, platform_reply_url
from bot.platforms.content import CAN_DO, WELCOME, wecom_text

AI_BOT = "aibot"
WINDOW_SECONDS = 60 * 60  # a signed request older (or newer) than this is refused: dedupe need not remember longer
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


def _xml(text: str | bytes) -> Element:
    try:
        return SafeET.fromstring(text)
    except (DefusedXmlException, SafeET.ParseError, ValueError) as exc:
        raise Rejected(400, f"malformed XML: {type(exc).__name__}") from None


def _text(node: Element, path: str) -> str:
    found = node.find(path)
    return (found.text or "").strip() if found is not None else ""


class WecomCrypto:
    """Verify and decrypt with the configured token and key; receiveid "" (bots) or the CorpID."""

    def __init__(self, token: str, encoding_aes_key: str, corp_id: str = "") -> None:
        if not token or not encoding_aes_key:
            raise ValueError("WeCom token and EncodingAESKey are required")
        receive_ids = [""] + ([corp_id] if corp_id else [])
        self._cryptos = [WeChatCrypto(token, encoding_aes_key, rid) for rid in receive_ids]

    def _try(self, call: Any) -> str:
        last: Exception | None = None
        for crypto in self._cryptos:
            try:
                result = call(crypto)
                return result.decode() if isinstance(result, bytes) else str(result)
            except InvalidSignatureException:
                raise Rejected(403, "bad signature") from None
            except InvalidCorpIdException as exc:
                last = exc
            except Exception as exc:  # malformed base64, padding, lengths: the sender's fault
                raise Rejected(400, f"cannot decrypt: {type(exc).__name__}") from None
        raise Rejected(403, f"receiveid mismatch: {type(last).__name__}")

    def verify_url(self, signature: str, timestamp: str, nonce: str, echostr: str) -> str:
        if not all((signature, timestamp, nonce, echostr)):
            raise Rejected(400, "missing query parameter")
        return self._try(lambda c: c.check_signature(signature, timestamp, nonce, echostr))

    def decrypt(self, encrypted: str, signature: str, timestamp: str, nonce: str) -> str:
        if not all((signature, timestamp, nonce)):
            raise Rejected(400, "missing query parameter")
        envelope = f"<xml><Encrypt><![CDATA[{encrypted}]]></Encrypt></xml>"
        return self._try(lambda c: c.decrypt_message(envelope, signature, timestamp, nonce))

    def encrypt(self, plaintext: str, timestamp: str) -> dict[str, str]:
        nonce = secrets.token_hex(8)
        envelope = _xml(self._cryptos[0].encrypt_message(plaintext, nonce, timestamp))
        return {
            "encrypt": _text(envelope, "Encrypt"),
            "msgsignature": _text(envelope, "MsgSignature"),
            "timestamp": _text(envelope, "TimeStamp"),
            "nonce": _text(envelope, "Nonce"),
        }


def check_fresh(timestamp: str, now: datetime) -> None:
    """Refuse a missing, non-numeric or stale `timestamp` query parameter (seconds)."""
    if not (timestamp.isascii() and timestamp.isdigit() and len(timestamp) <= 20):  # '²'.isdigit() is True
        raise Rejected(400, "missing or non-numeric timestamp")
    if abs(int(now.timestamp()) - int(timestamp)) > WINDOW_SECONDS:
        raise Rejected(401, "stale timestamp")


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
        encrypt = _text(_xml(body), "Encrypt")
        if not encrypt:
            raise Rejected(400, "XML without Encrypt")
        return GROUP_ROBOT, encrypt
    raise Rejected(400, f"unsupported body ({content_type or 'no content type'})")


def parse_ai_bot(plaintext: str, received_at: datetime, bot_name: str, api_base: str = API_BASE) -> WecomInbound:
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
            return WecomInbound(AI_BOT, None, reply_to, WELCOME, {"msgtype": "text", "text": {"content": WELCOME}})
        if data.get("msgtype") in ("image", "file", "video"):
            return WecomInbound(AI_BOT, None, reply_to, CAN_DO, {"msgtype": "stream", "stream": {
                "id": msgid, "finish": True, "content": CAN_DO}})
        return WecomInbound(AI_BOT, None, reply_to)
    is_group = data.get("chattype") == "group"
    chat = clean_id(data["chatid"], "chatid") if isinstance(data.get("chatid"), str) and data["chatid"] else user
    message = IncomingMessage(
        platform=Platform.WECOM, chat_id=chat, sender_id=user,
        text=strip_mention(clean_text(text), bot_name),
        message_id=msgid,
        received_at=received_at, sender_name="", is_group=is_group, reply_url=reply_to, reply_kind="wecom_ai_bot",
        reply_expires_at=received_at + RESPONSE_URL_LIFE if reply_to else None,
    )
    return WecomInbound(AI_BOT, message, reply_to)


def parse_group_robot(plaintext: str, received_at: datetime, bot_name: str, api_base: str = API_BASE) -> WecomInbound:
    root = _xml(plaintext)
    msgid, user = clean_id(_text(root, "MsgId"), "MsgId"), clean_id(_text(root, "From/UserId"), "From/UserId")
    # WeCom names the group's webhook on its in.<api host> (e.g. http://in.qyapi.weixin.qq.com/cgi-bin/webhook/...).
    inner = f"in.{urlsplit(api_base).hostname or ''}"
    webhook = platform_reply_url(_text(root, "WebhookUrl"), api_base, "WeCom WebhookUrl", also=(inner,))
    content = _text(root, "Text/Content")
    is_group = _text(root, "ChatType") != "single"
    if _text(root, "MsgType") != "text" or (is_group and f"@{bot_name}" not in content):
        return WecomInbound(GROUP_ROBOT, None, webhook)  # not addressed to the bot
    message = IncomingMessage(
        platform=Platform.WECOM, chat_id=clean_id(_text(root, "ChatId") or user, "ChatId"), sender_id=user,
        text=strip_mention(clean_text(content), bot_name), message_id=msgid, received_at=received_at,
        sender_name=clean_text(_text(root, "From/Name")), is_group=is_group,
        reply_url=webhook, reply_kind="wecom_group_robot",  # the group's own webhook: no expiry
    )
    return WecomInbound(GROUP_ROBOT, message, webhook)


def strip_mention(text: str, bot_name: str) -> str:
    """Drop the configured @BotName (the pipeline's normaliser only knows the default names)."""
    return text.replace(f"@{bot_name}", " ").strip() if bot_name else text.strip()


def _cdata(text: str) -> str:
    return "<![CDATA[" + text.replace("]]>", "]]]]><![CDATA[>") + "]]>"


def passive_plaintext(kind: str, message_id: str, text: str, mentions: tuple[str, ...]) -> str:
    """The reply before encryption: an AI-bot stream message, or a group-robot text XML."""
    if kind == AI_BOT:
        return json.dumps(
            {"msgtype": "stream", "stream": {"id": message_id, "finish": True, "content": text}}, ensure_ascii=False
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
