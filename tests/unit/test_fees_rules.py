"""Fee rules: charges, refunds per case, settlement (多退少补), integer fen."""

from datetime import date

import pytest

from bot.domain.fees import FeePolicy, basic_month_fen, days, parse_yuan, refund_for, settle, yuan


def test_days_inclusive() -> None:
    assert list(days(date(2026, 9, 29), date(2026, 10, 1))) == [
        date(2026, 9, 29),
        date(2026, 9, 30),
        date(2026, 10, 1),
    ]
    assert list(days(date(2026, 9, 2), date(2026, 9, 1))) == []


def test_basic_care_free_by_default_or_monthly() -> None:
    assert basic_month_fen(FeePolicy(), 20) == 0
    assert basic_month_fen(FeePolicy(basic_monthly_fen=4000), 20) == 4000


@pytest.mark.parametrize(
    ("policy", "reason", "fen"),
    [
        (FeePolicy(), "school", 2000),
        (FeePolicy(), "leave", 0),
        (FeePolicy(refund_personal_leave=True), "leave", 2000),
        (FeePolicy(refund_school_cancelled=False), "school", 0),
    ],
)
def test_refund_cases(policy: FeePolicy, reason: str, fen: int) -> None:
    assert refund_for(policy, 2000, reason) == fen


def test_refund_unknown_reason() -> None:
    with pytest.raises(ValueError):
        refund_for(FeePolicy(), 2000, "weather?")


def test_settlement_both_ways() -> None:
    assert settle([("charge", 32000), ("payment", 30000)]).text == "应补缴 20 元"
    s = settle([("charge", 32000), ("payment", 32000), ("refund", 2000)])
    assert s.balance_fen == -2000 and s.text == "应退还 20 元"
    assert settle([("charge", 100), ("payment", 100)]).text == "已结清"
    with pytest.raises(ValueError):
        settle([("charge", -1)])


def test_money_text_without_floats() -> None:
    assert yuan(16000) == "160" and yuan(1650) == "16.50" and yuan(-5) == "-0.05"
    assert parse_yuan("160") == 16000 and parse_yuan("16.5元") == 1650 and parse_yuan("0.01") == 1
    assert parse_yuan("abc") is None and parse_yuan("1.234") is None and parse_yuan("0") is None
