"""What may not appear in a group message: phone numbers (mainland mobiles and landlines), found and masked."""

from __future__ import annotations

import re

_DIGIT = r"[0-9０-９]"
_SEP = r"[ \t\u3000\-－‐–—]?"  # one space or dash between digit groups, as people and spreadsheets write them
_MOBILE = rf"(?:(?:\+|＋)?(?:86|８６){_SEP})?[1１][3-9３-９](?:{_SEP}{_DIGIT}){{9}}"
# Area code (0 + 2-3 digits, optionally in brackets) and a 7-8 digit number, optionally an extension.
_LANDLINE = (
    rf"(?:[(（][0０]{_DIGIT}{{2,3}}[)）]|[0０]{_DIGIT}{{2,3}}){_SEP}[1-9１-９](?:{_SEP}{_DIGIT}){{6,7}}"
    rf"(?:{_SEP}(?:转|ext\.?|-){_DIGIT}{{1,5}})?"
)
PHONE = re.compile(rf"(?<![0-9０-９])(?:{_MOBILE}|{_LANDLINE})(?![0-9０-９])", re.IGNORECASE)
MASK = "[电话已隐藏]"


def has_phone(text: str) -> bool:
    return PHONE.search(text) is not None


def mask_phones(text: str) -> tuple[str, int]:
    """The text with every phone number replaced by MASK, and how many there were."""
    return PHONE.subn(MASK, text)
