"""Splitting long content at the platforms' byte limits: at line breaks when possible, never mid-character."""

from __future__ import annotations

WECOM_TEXT_BYTES = 2048
WECOM_MARKDOWN_BYTES = 4096
DINGTALK_BYTES = 20000
_MARK_RESERVE = 16  # room for the "(2/3)" part marker


def _size(text: str) -> int:
    return len(text.encode("utf-8"))


def _hard_cut(line: str, limit: int) -> list[str]:
    """A single line longer than the limit: cut on character boundaries."""
    parts, current = [], ""
    for char in line:
        if _size(current + char) > limit:
            parts.append(current)
            current = ""
        current += char
    if current:
        parts.append(current)
    return parts


def split_text(text: str, limit: int) -> list[str]:
    """Parts of at most `limit` UTF-8 bytes; numbered "(1/3)" when there is more than one. Nothing dropped."""
    if _size(text) <= limit:
        return [text]
    budget = limit - _MARK_RESERVE
    parts: list[str] = []
    current = ""
    for line in text.split("\n"):
        pieces = _hard_cut(line, budget) if _size(line) > budget else [line]
        for piece in pieces:
            candidate = f"{current}\n{piece}" if current else piece
            if _size(candidate) > budget and current:
                parts.append(current)
                current = piece
            else:
                current = candidate
    if current:
        parts.append(current)
    total = len(parts)
    return [f"{part}\n({index}/{total})" for index, part in enumerate(parts, start=1)]
