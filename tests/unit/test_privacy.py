"""Phone numbers are found in group text however they are written; dates, times, money and ids are not."""

from __future__ import annotations

import pytest

from bot.domain.privacy import MASK, has_phone, mask_phones

PHONES = [
    "13800001111",
    "138 0000 1111",
    "138-0000-1111",
    "+86 13800001111",
    "8613800001111",
    "+86-138-0000-1111",
    "１３８００００１１１１",
    "199 1234 5678",
    "010-12345678",
    "(010)12345678",
    "（021）6123 4567",
    "0571 87654321",
    "0755-8765432",
    "010-12345678转123",
]
NOT_PHONES = [
    "2026-11-23",
    "17:30",
    "18000",
    "D3201",
    "12800001111",
    "1380000111",
    "138000011112",
    "第12行",
    "4000 元",
    "学籍号 S00001",
    "1733112345678",
    "3.5 小时",
]


@pytest.mark.parametrize("phone", PHONES)
def test_phones_are_found_and_masked(phone: str) -> None:
    text = f"王小明还在等候,家长电话{phone},请尽快来接"
    assert has_phone(text)
    masked, count = mask_phones(text)
    assert count == 1 and masked == f"王小明还在等候,家长电话{MASK},请尽快来接"


@pytest.mark.parametrize("text", NOT_PHONES)
def test_other_numbers_are_left_alone(text: str) -> None:
    assert not has_phone(f"三年级2班 {text} 已接走")
    assert mask_phones(text) == (text, 0)
