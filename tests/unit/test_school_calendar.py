"""Care days: holidays, make-up workdays, terms, closures, extra days, years without data."""

from __future__ import annotations

from datetime import date

import pytest

from bot.domain.school_calendar import DateRange, SchoolCalendar, national_workday


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (date(2026, 11, 23), True),  # Monday
        (date(2026, 11, 21), False),  # Saturday
        (date(2026, 10, 1), False),  # National Day
        (date(2026, 10, 5), False),  # still in the Golden Week
        (date(2026, 9, 20), True),  # make-up workday (Sunday)
        (date(2026, 2, 17), False),  # Spring Festival
        (date(2027, 3, 1), True),  # beyond chinese-calendar data: Monday-Friday fallback
        (date(2027, 3, 6), False),
    ],
)
def test_national_workday(day: date, expected: bool) -> None:
    assert national_workday(day) is expected


def test_term_closure_and_extra_days() -> None:
    cal = SchoolCalendar(
        terms=(DateRange(date(2026, 9, 1), date(2027, 1, 20)),),
        closures=(DateRange(date(2026, 11, 23), date(2026, 11, 24), "运动会"),),
        extra_days=(DateRange(date(2026, 11, 28), date(2026, 11, 28), "补课"),),
    )
    assert not cal.is_care_day(date(2026, 11, 23)) and cal.why_not(date(2026, 11, 23)) == "学校停课"
    assert cal.is_care_day(date(2026, 11, 25))
    assert cal.is_care_day(date(2026, 11, 28))  # a Saturday the school opens
    assert cal.why_not(date(2026, 8, 31)) == "不在学期内"
    assert cal.why_not(date(2026, 11, 29)) == "周末"
    assert cal.why_not(date(2026, 10, 1)) == "法定节假日"
    assert cal.why_not(date(2026, 11, 25)) == ""


def test_no_terms_means_every_workday() -> None:
    assert SchoolCalendar().is_care_day(date(2026, 7, 15))
