"""Platform adapters: verify, decrypt and parse callbacks into IncomingMessage; build replies."""

import json
import re
from typing import Any


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
_JSON_TOKENS = re.compile(rb'"(?:[^"\\]|\\.)*"|[\[\]{}]')


def json_depth(body: bytes) -> int:
    """The deepest nesting of arrays and objects in `body`, strings skipped (a regex scan, no recursion)."""
    if body.count(b"[") + body.count(b"{") <= MAX_JSON_DEPTH:
        return body.count(b"[") + body.count(b"{")  # an upper bound, enough to pass
    depth = deepest = 0
    for token in _JSON_TOKENS.finditer(body):
        char = token.group()[:1]
        if char in (b"[", b"{"):
            depth += 1
            deepest = max(deepest, depth)
        elif char in (b"]", b"}"):
            depth -= 1
    return deepest


def load_json(body: bytes | str, what: str = "JSON") -> Any:
    """json.loads for untrusted input: malformed or nested deeper than MAX_JSON_DEPTH is a 400 Rejected."""
    raw = body.encode("utf-8", "surrogatepass") if isinstance(body, str) else body
    if json_depth(raw) > MAX_JSON_DEPTH:
        raise Rejected(400, f"{what} nested too deeply")
    try:
        return json.loads(body)
    except RecursionError:
        raise Rejected(400, f"{what} nested too deeply") from None
    except (ValueError, UnicodeDecodeError):
        raise Rejected(400, f"{what} malformed") from None
