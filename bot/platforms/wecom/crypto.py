"""WeCom callback crypto: WXBizMsgCrypt signatures, decryption and encryption of answers, the freshness window.

Crypto is wechatpy's (`wechatpy.enterprise.crypto`, with `cryptography`). XML is read with defusedxml, so
entity tricks are refused.
"""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import Any
from xml.etree.ElementTree import Element

from defusedxml import ElementTree as SafeET
from defusedxml.common import DefusedXmlException
from wechatpy.enterprise.crypto import WeChatCrypto
from wechatpy.enterprise.exceptions import InvalidCorpIdException
from wechatpy.exceptions import InvalidSignatureException

from bot.platforms import Rejected

WINDOW_SECONDS = (
    60 * 60
)  # a signed request older (or newer) than this is refused: dedupe need not remember longer


def xml_node(text: str | bytes) -> Element:
    try:
        return SafeET.fromstring(text)
    except (DefusedXmlException, SafeET.ParseError, ValueError) as exc:
        raise Rejected(400, f"malformed XML: {type(exc).__name__}") from None


def xml_text(node: Element, path: str) -> str:
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
        envelope = xml_node(self._cryptos[0].encrypt_message(plaintext, nonce, timestamp))
        return {
            "encrypt": xml_text(envelope, "Encrypt"),
            "msgsignature": xml_text(envelope, "MsgSignature"),
            "timestamp": xml_text(envelope, "TimeStamp"),
            "nonce": xml_text(envelope, "Nonce"),
        }


def check_fresh(timestamp: str, now: datetime) -> None:
    """Refuse a missing, non-numeric or stale `timestamp` query parameter (seconds)."""
    if not (timestamp.isascii() and timestamp.isdigit() and len(timestamp) <= 20):  # '²'.isdigit() is True
        raise Rejected(400, "missing or non-numeric timestamp")
    if abs(int(now.timestamp()) - int(timestamp)) > WINDOW_SECONDS:
        raise Rejected(401, "stale timestamp")
