"""Chinese dates and times, resolved against a known Monday (2026-11-23) and the real holiday calendar."""

from __future__ import annotations

from datetime import date, time

import pytest

from bot.domain.dates import find_dates, find_time
from bot.domain.school_calendar import national_workday
from bot.domain.text import normalise

MONDAY = date(2026, 11, 23)
D = date


@pytest.mark.parametrize(
    ("text", "days"),
    [
        ("今天", [D(2026, 11, 23)]),
        ("明天", [D(2026, 11, 24)]),
        ("后天", [D(2026, 11, 25)]),
        ("大后天", [D(2026, 11, 26)]),
        ("周三", [D(2026, 11, 25)]),
        ("星期三", [D(2026, 11, 25)]),
        ("礼拜三", [D(2026, 11, 25)]),
        ("周一", [D(2026, 11, 23)]),
        ("下周一", [D(2026, 11, 30)]),
        ("下星期五", [D(2026, 12, 4)]),
        ("这周五", [D(2026, 11, 27)]),
        ("本周四", [D(2026, 11, 26)]),
        ("11月25日", [D(2026, 11, 25)]),
        ("11月25号", [D(2026, 11, 25)]),
        ("25号", [D(2026, 11, 25)]),
        ("3号", [D(2026, 12, 3)]),  # the 3rd has passed this month: next month
        ("11.25", [D(2026, 11, 25)]),
        ("11/25", [D(2026, 11, 25)]),
        ("2026-11-25", [D(2026, 11, 25)]),
        ("2026年11月25日", [D(2026, 11, 25)]),
        ("十一月二十五日", [D(2026, 11, 25)]),
        ("二十五号", [D(2026, 11, 25)]),
        ("1月5日", [D(2027, 1, 5)]),  # after New Year: next year
        ("明后两天", [D(2026, 11, 24), D(2026, 11, 25)]),
        ("明后天", [D(2026, 11, 24), D(2026, 11, 25)]),
        ("今明两天", [D(2026, 11, 23), D(2026, 11, 24)]),
        ("明天到周五", [D(2026, 11, 24), D(2026, 11, 25), D(2026, 11, 26), D(2026, 11, 27)]),
        ("25号-27号", [D(2026, 11, 25), D(2026, 11, 26), D(2026, 11, 27)]),
        ("25号到27号", [D(2026, 11, 25), D(2026, 11, 26), D(2026, 11, 27)]),
        ("11月25日到27日", [D(2026, 11, 25), D(2026, 11, 26), D(2026, 11, 27)]),
        ("11月25日至11月27日", [D(2026, 11, 25), D(2026, 11, 26), D(2026, 11, 27)]),
        ("周五到下周一", [D(2026, 11, 27), D(2026, 11, 30)]),  # the weekend is skipped
        ("11月27日~30日", [D(2026, 11, 27), D(2026, 11, 30)]),
        ("１１月２５日", [D(2026, 11, 25)]),  # full-width digits (normalised first)
        ("请假 明天 发烧", [D(2026, 11, 24)]),
    ],
)
def test_dates(text: str, days: list[date]) -> None:
    found = find_dates(normalise(text), MONDAY, national_workday)
    assert found is not None
    assert list(found.days) == days


def test_ranges_skip_holidays() -> None:
    found = find_dates("9月30日到10月9日", date(2026, 9, 28), national_workday)
    assert found is not None and found.is_range
    assert all(national_workday(d) for d in found.days)
    assert date(2026, 10, 1) not in found.days


def test_single_day_is_kept_even_without_care() -> None:
    found = find_dates("周六", MONDAY, national_workday)
    assert found is not None and found.days == (D(2026, 11, 28),) and not found.is_range


@pytest.mark.parametrize("text", ["请假", "发烧了", "13月45日", "32号"])
def test_no_date(text: str) -> None:
    assert find_dates(text, MONDAY, national_workday) is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("18:10", time(18, 10)),
        ("6点10分", time(18, 10)),
        ("六点半", time(18, 30)),
        ("5点一刻", time(17, 15)),
        ("18点", time(18, 0)),
        ("六点", time(18, 0)),
        ("6点左右", time(18, 0)),
        ("十八点二十", time(18, 20)),
        ("１８：１０", time(18, 10)),
    ],
)
def test_times(text: str, expected: time) -> None:
    found = find_time(normalise(text))
    assert found is not None and found[0] == expected


def test_no_time() -> None:
    assert find_time("晚点接") is None


@pytest.mark.parametrize(
    ("text", "days", "skipped"),
    [
        ("下周一到周三 王小明 请假", [D(2026, 11, 30), D(2026, 12, 1), D(2026, 12, 2)], []),
        ("周四周五请假两天", [D(2026, 11, 26), D(2026, 11, 27)], []),
        ("请假 周一、周三和周五", [D(2026, 11, 23), D(2026, 11, 25), D(2026, 11, 27)], []),
        ("请假 11月25日至27日", [D(2026, 11, 25), D(2026, 11, 26), D(2026, 11, 27)], []),
        ("请3天假", [D(2026, 11, 24), D(2026, 11, 25), D(2026, 11, 26)], []),
        (
            "周四起请3天假",
            [D(2026, 11, 26), D(2026, 11, 27), D(2026, 11, 30)],
            [D(2026, 11, 28), D(2026, 11, 29)],
        ),
        (
            "请假 11月27日到12月1日",
            [D(2026, 11, 27), D(2026, 11, 30), D(2026, 12, 1)],
            [D(2026, 11, 28), D(2026, 11, 29)],
        ),
        ("下下周一", [D(2026, 12, 7)], []),
        ("这周五下午", [D(2026, 11, 27)], []),
    ],
)
def test_lists_ranges_and_counts(text: str, days: list[date], skipped: list[date]) -> None:
    found = find_dates(normalise(text), MONDAY, national_workday)
    assert found is not None and list(found.days) == days and list(found.skipped) == skipped


def test_past_days_and_vague_weeks_are_told_apart() -> None:
    past = find_dates("请假 昨天", MONDAY, national_workday)
    assert past is not None and past.past == (D(2026, 11, 22),)
    for text, word in [("请假 下周", "下周"), ("这周不来了", "这周"), ("下个星期请假", "下个星期")]:
        found = find_dates(text, MONDAY, national_workday)
        assert found is not None and found.vague == word and not found.days


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("今天会晚一点 6点15来接", time(18, 15)),
        ("今天晚一点来接 18:05", time(18, 5)),
        ("早一点 五点", time(17, 0)),
    ],
)
def test_a_little_is_not_one_oclock(text: str, expected: time) -> None:
    found = find_time(normalise(text))
    assert found is not None and found[0] == expected
