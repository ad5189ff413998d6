"""DingTalk's one signature, written once: callbacks are checked with it and custom robots' URLs carry it."""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import datetime
from typing import Any

from bot.platforms import Rejected

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
