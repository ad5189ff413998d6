"""Term agreement and insurance rules: the guardians' words, the term an agreement counts for, the check days."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from bot.domain import agreements as rules

TERM = (date(2026, 9, 1), date(2027, 1, 31))  # 2026-09-01 is a Tuesday
NEXT = (date(2027, 2, 22), date(2027, 7, 9))
CLOSED_MONDAY = date(2026, 9, 14)


def workday(d: date) -> bool:
    return d.weekday() < 5


def care_day(d: date) -> bool:
    in_term = any(s <= d <= e for s, e in (TERM, NEXT))
    return in_term and workday(d) and d != CLOSED_MONDAY


@pytest.mark.parametrize(
    ("text", "names"),
    [
        ("同意协议", ""),
        ("同意协议 刘洋", "刘洋"),
        ("我同意服务协议", ""),
        ("已同意《自愿服务协议书》", ""),
        ("同意托管协议 王小明、王小红", "王小明 王小红"),
        ("同意协议。", ""),
        ("好的,同意协议", ""),
        ("老师，同意协议 刘洋", "刘洋"),
    ],
)
def test_agree_is_read_with_the_names_after_it(text: str, names: str) -> None:
    assert rules.parse_agree(text) == names


@pytest.mark.parametrize(
    "text",
    [
        "不同意协议",
        "我不同意协议",
        "同意报名 刘洋 篮球",
        "协议",
        "同意 王小明 篮球",
        "同意协议但是孩子周三要上补习班所以只能来四天请老师安排一下",
    ],
)
def test_not_an_agreement(text: str) -> None:
    assert rules.parse_agree(text) is None


@pytest.mark.parametrize(
    ("text", "names"),
    [
        ("已买学平险", ""),
        ("已经买了学平险", ""),
        ("买了学平险", ""),
        ("学平险已买 刘洋", "刘洋"),
        ("已购买学平险 王小明", "王小明"),
        ("我们已经交了学平险", ""),
        ("学平险已经买好了", ""),
        ("收到,已买学平险", ""),
        ("好的 学平险已买 刘洋", "刘洋"),
    ],
)
def test_insurance_is_read_with_the_names_after_it(text: str, names: str) -> None:
    assert rules.parse_insured(text) == names


@pytest.mark.parametrize("text", ["买学平险", "学平险在哪里买", "学平险", "还没买学平险", "要买学平险吗"])
def test_not_an_insurance_claim(text: str) -> None:
    assert rules.parse_insured(text) is None


@pytest.mark.parametrize(
    ("text", "read"),
    [
        ("协议", True),
        ("协议书", True),
        ("服务协议", True),
        ("看一下协议", True),
        ("发一下协议", True),
        ("同意协议", False),
        ("协议我看过了没问题", False),
    ],
)
def test_asking_for_the_text(text: str, read: bool) -> None:
    assert rules.parse_read(text) is read


def test_term_for_a_day_in_a_term_before_it_and_without_terms() -> None:
    assert rules.term_for(date(2026, 11, 23), [TERM, NEXT], care_day, workday) == TERM
    assert (
        rules.term_for(date(2027, 2, 19), [TERM, NEXT], care_day, workday) == NEXT
    )  # the break: the coming term
    assert rules.term_for(date(2027, 8, 1), [TERM, NEXT], care_day, workday) == (
        date(2027, 2, 1),
        date(2027, 8, 31),
    )
    autumn = (date(2026, 9, 1), date(2027, 1, 31))
    assert rules.term_for(date(2026, 11, 23), [], workday, workday) == autumn
    assert rules.term_for(date(2026, 8, 28), [], workday, workday) == (date(2026, 2, 1), date(2026, 8, 31))
    # From the day the autumn term's families are first asked (Monday 31 August), agreements count for it.
    assert rules.term_for(date(2026, 8, 31), [], workday, workday) == autumn


def check_days(start: date, end: date) -> list[tuple[date, bool]]:
    found = []
    day = start
    while day <= end:
        due = rules.check_due(day, [TERM, NEXT], care_day, workday)
        if due is not None:
            found.append((day, due.before_term))
        day += timedelta(days=1)
    return found


def test_before_the_first_care_day_then_first_care_day_of_each_later_week() -> None:
    days = check_days(date(2026, 8, 20), date(2026, 9, 30))
    assert days == [
        (date(2026, 8, 31), True),
        (date(2026, 9, 7), False),
        (date(2026, 9, 15), False),
        (date(2026, 9, 21), False),
        (date(2026, 9, 28), False),
    ]


def test_pre_term_day_is_the_last_working_day_before_the_term() -> None:
    # The spring term starts on Monday 22 February: the Friday before.
    days = check_days(date(2027, 2, 1), date(2027, 2, 28))
    assert days[0] == (date(2027, 2, 19), True)
    assert (date(2027, 2, 22), False) not in days


def test_without_terms_the_default_term_is_checked() -> None:
    due = rules.check_due(date(2026, 11, 23), [], workday, workday)
    assert due is not None and due.term == (date(2026, 9, 1), date(2027, 1, 31)) and not due.before_term
    assert rules.check_due(date(2026, 11, 24), [], workday, workday) is None
    before = rules.check_due(date(2026, 8, 31), [], workday, workday)  # Monday before Tuesday 1 September
    assert before == rules.CheckDay((date(2026, 9, 1), date(2027, 1, 31)), True)


def test_missing_label_and_check_text_name_only_what_is_missing() -> None:
    assert rules.missing_label(True, True) == ""
    assert rules.missing_label(False, True) == "未同意协议"
    assert rules.missing_label(False, False) == "未同意协议、未登记学平险"
    text = rules.check_text("三年级2班", TERM, [("李华", "未登记学平险")], 10, True)
    assert "2026年秋季学期" in text and "李华: 未登记学平险" in text and "参加托管 10 名" in text
