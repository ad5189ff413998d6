"""Platform adapters, one package per platform (`wecom`, `dingtalk`): inbound (HTTP callback, long connection)
into the one IncomingMessage, replies, outbound messengers, crypto/signing. Here: what every inbound adapter
shares (refusals, id and text cleaning, untrusted JSON, reply-URL checks, reconnect back-off); the outbound
contracts are in `base`."""

import json
import logging
import random
import re
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

log = logging.getLogger(__name__)


class Rejected(Exception):
    """A callback refused before any handling: `status` is the HTTP answer, `reason` goes to the log."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


MAX_ID = 128  # the store's width for message, user and chat ids: longer would be cut and could collide


def clean_id(value: object, what: str) -> str:
    """A platform id as the store keeps it: a non-empty string of at most MAX_ID printable characters."""
    if not isinstance(value, str) or not value:
        raise Rejected(400, f"{what} missing or not a string")
    if len(value) > MAX_ID or not value.isprintable():
        raise Rejected(400, f"{what} too long or with control characters")
    return value


def clean_text(value: str) -> str:
    """Message text and names: NUL and lone surrogates (invalid in UTF-8 and PostgreSQL text) become U+FFFD."""
    return "".join("\ufffd" if ch == "\x00" or "\ud800" <= ch <= "\udfff" else ch for ch in value)


MAX_JSON_DEPTH = 64  # platform messages nest a few levels; Python's parser recurses and fails near 1,000
_JSON_STRINGS = re.compile(rb'"(?:[^"\\]+|\\.)*"')
_AS_SQUARE = bytes.maketrans(b"{}", b"[]")  # for depth, an object is as deep as an array
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")


def too_deep(body: bytes, limit: int = MAX_JSON_DEPTH) -> bool:
    """Does `body` nest arrays/objects deeper than `limit` (or leave brackets unbalanced)?

    No recursion and no Python loop per character: strings are cut out and everything but brackets
    dropped (C speed), then innermost pairs are removed, one level per pass, at most `limit` passes.
    """
    if body.count(b"[") + body.count(b"{") <= limit:
        return False
    shape = _JSON_STRINGS.sub(b"", body).translate(_AS_SQUARE, _NOT_BRACKETS)
    for _ in range(limit):
        inner = shape.replace(b"[]", b"")  # non-overlapping, left to right: exactly the innermost level
        if not inner or inner == shape:
            return bool(inner)
        shape = inner
    return bool(shape)


def load_json(body: bytes | str, what: str = "JSON") -> Any:
    """json.loads for untrusted input: malformed or nested deeper than MAX_JSON_DEPTH is a 400 Rejected."""
    raw = body.encode("utf-8", "surrogatepass") if isinstance(body, str) else body
    if too_deep(raw):
        raise Rejected(400, f"{what} nested too deeply (or unbalanced)")
    try:
        return json.loads(body)
    except RecursionError:
        raise Rejected(400, f"{what} nested too deeply") from None
    except (ValueError, UnicodeDecodeError):
        raise Rejected(400, f"{what} malformed") from None


def _origin(url: str) -> tuple[str, str, int] | None:
    try:
        parts = urlsplit(url)
        port = parts.port or {"https": 443, "http": 80}.get(parts.scheme.lower(), 0)
    except ValueError:
        return None
    if (
        parts.scheme.lower() not in ("http", "https")
        or not parts.hostname
        or parts.username
        or parts.password
    ):
        return None
    return parts.scheme.lower(), parts.hostname.lower().rstrip("."), port


def platform_reply_url(url: object, api_base: str, what: str, also: tuple[str, ...] = ()) -> str | None:
    """`url` if it points at the platform's own host (scheme, host and port of `api_base`, or one of the
    host names in `also` over http/https on the default port), else None.

    A late reply is posted to the URL a callback names: one pointing anywhere else (an attacker's
    server, an internal address) is dropped and logged, never fetched.
    """
    if not isinstance(url, str) or not url:
        return None
    own, theirs = _origin(api_base), _origin(url)
    default_port = {"http": 80, "https": 443}
    if theirs is not None and (theirs == own or (theirs[1] in also and theirs[2] == default_port[theirs[0]])):
        return url
    shown = urlsplit(url).hostname if theirs else "unparsable"
    log.warning(
        "%s refused: host %s is not the platform's (%s)",
        what,
        str(shown)[:80],
        own[1] if own else "api_base unset",
    )
    return None


def backoff(failures: int, low: float, high: float, rand: Callable[[], float] = random.random) -> float:
    """Capped exponential back-off with jitter: low, 2*low, 4*low ... up to high, each times 0.5-1.0."""
    return min(high, low * 2 ** max(0, failures - 1)) * (0.5 + rand() / 2)
