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


_DECORATION = re.compile(r"[\U0001F000-\U0001FAFF\u2600-\u27BF\uFE0F\s?？!！。.~～]+")


def strip_decoration(text: str) -> str:
    """点名 🙏 -> 点名: emoji and punctuation around a one-word command are decoration."""
    return _DECORATION.sub("", text) if text else text
