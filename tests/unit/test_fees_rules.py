"""Fee rules: charges, refunds per case, settlement (多退少补), integer fen."""

from datetime import date

import pytest

from bot.domain.fees import (
    CourseTerms,
    FeePolicy,
    basic_charge,
    course_charge,
    parse_yuan,
    refund_for,
    sessions,
    settle,
    yuan,
)

WEEKDAYS = frozenset({3, 5})  # Wed, Fri


def workdays(d: date) -> bool:
    return d.weekday() < 5 and d != date(2026, 10, 1)


def test_sessions_skip_non_care_days() -> None:
    c = CourseTerms(WEEKDAYS, 2000)
    got = sessions(c, date(2026, 9, 28), date(2026, 10, 4), workdays)
    assert got == [date(2026, 9, 30), date(2026, 10, 2)]
    assert course_charge(c, len(got)) == 4000


def test_basic_care_free_by_default_or_monthly() -> None:
    assert basic_charge(FeePolicy(), date(2026, 9, 1), date(2026, 12, 31), 80) == 0
    flat = FeePolicy(basic_monthly_fen=4000)
    assert basic_charge(flat, date(2026, 9, 1), date(2026, 12, 31), 80) == 16000
    assert basic_charge(flat, date(2026, 9, 1), date(2026, 9, 30), 0) == 0


@pytest.mark.parametrize(
    ("policy", "reason", "fen"),
    [(FeePolicy(), "school", 2000), (FeePolicy(), "leave", 0),
     (FeePolicy(refund_personal_leave=True), "leave", 2000),
     (FeePolicy(refund_school_cancelled=False), "school", 0)],
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
