"""Normalisation of what people type."""

from __future__ import annotations

import pytest

from bot.domain.text import normalise


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("@托管助手 查询", "查询"),
        ("@托管助手查询", "查询"),
        ("  帮助  ", "帮助"),
        ("请假　明天", "请假 明天"),  # ideographic space
        ("今天晚点接 １８：１０", "今天晚点接 18:10"),  # full-width digits and colon
        ("已接走\u200b王小明", "已接走 王小明"),
        ("请假\t\n明天", "请假 明天"),
        ("老师，孩子今天咳嗽", "老师,孩子今天咳嗽"),
        ("ＡＢＣ", "ABC"),
        ("\x00查询\x07", "查询"),
        ("", ""),
    ],
)
def test_normalise(raw: str, expected: str) -> None:
    assert normalise(raw) == expected
