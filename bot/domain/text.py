"""Normalising what people type: full-width to half-width, @-mentions, odd whitespace."""

from __future__ import annotations

import re
import unicodedata

_WS = re.compile(r"[\s\u3000\u200b\u200c\u200d\ufeff]+")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
DEFAULT_BOT_NAMES = ("托管助手",)


def normalise(text: str, bot_names: tuple[str, ...] = DEFAULT_BOT_NAMES) -> str:
    """NFKC (full-width digits, letters and punctuation to half-width), drop @bot, collapse spaces."""
    text = unicodedata.normalize("NFKC", text)
    text = _CONTROL.sub(" ", text)
    for name in bot_names:
        text = text.replace(f"@{name}", " ")
    text = _WS.sub(" ", text)
    return text.strip()
