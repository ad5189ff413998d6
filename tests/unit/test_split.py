"""Splitting at byte limits: nothing lost, nothing cut inside a character, each part within the limit."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from bot.platforms.split import WECOM_TEXT_BYTES, split_text


def test_short_text_is_one_part() -> None:
    assert split_text("应到 30 实到 25", WECOM_TEXT_BYTES) == ["应到 30 实到 25"]


def test_long_roll_call_is_split_at_lines_and_numbered() -> None:
    lines = [f"{i:03d} 王小明 已接走 (家长: 刘芳)" for i in range(200)]
    parts = split_text("\n".join(lines), WECOM_TEXT_BYTES)
    assert len(parts) > 1
    assert all(len(p.encode()) <= WECOM_TEXT_BYTES for p in parts)
    assert parts[0].endswith(f"(1/{len(parts)})")
    rebuilt = "\n".join(p.rsplit("\n", 1)[0] for p in parts)
    assert rebuilt == "\n".join(lines)


@given(st.text(min_size=1, max_size=3000), st.integers(min_value=64, max_value=600))
def test_any_text_any_limit(text: str, limit: int) -> None:
    parts = split_text(text, limit)
    assert all(len(p.encode("utf-8")) <= limit for p in parts)
    if len(parts) == 1:
        assert parts[0] == text
    else:
        body = [p.rsplit("\n", 1)[0] for p in parts]
        assert "".join(body).replace("\n", "") == text.replace("\n", "")
