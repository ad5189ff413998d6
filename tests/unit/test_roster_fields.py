"""Roster cells: phones, dates, times, weekdays, grades, money."""

from __future__ import annotations

from datetime import date, datetime, time

import pytest

from bot.roster import fields as f


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("13800001111", "13800001111"),
        ("138 0000 1111", "13800001111"),
        ("138-0000-1111", "13800001111"),
        ("+8613800001111", "13800001111"),
        ("8613800001111", "13800001111"),
    ],
)
def test_phone_normalised(raw: str, expected: str) -> None:
    assert f.phone(raw) == expected


@pytest.mark.parametrize("raw", ["1380000111", "23800001111", "12800001111", "138000011112", "电话"])
def test_bad_phones(raw: str) -> None:
    with pytest.raises(f.FieldError):
        f.phone(raw)


EXCEL_DATE_CELL = datetime(2016, 3, 5)  # noqa: DTZ001 - openpyxl hands dates over as naive datetimes


@pytest.mark.parametrize(
    "raw",
    [
        "2016-03-05",
        "2016/3/5",
        "2016.3.5",
        "20160305",
        "2016年3月5日",
        EXCEL_DATE_CELL,
        date(2016, 3, 5),
        "2016-03-05 00:00:00",
    ],
)
def test_dates(raw: object) -> None:
    assert f.a_date(raw) == date(2016, 3, 5)


def test_empty_date_and_bad_dates() -> None:
    assert f.a_date("") is None and f.a_date(None) is None
    for bad in ("2016-02-30", "03/05/2016", "去年"):
        with pytest.raises(f.FieldError):
            f.a_date(bad)


def test_times_weekdays_grades_money() -> None:
    assert (
        f.a_time("16:00") == time(16, 0)
        and f.a_time("9：05") == time(9, 5)
        and f.a_time(time(16, 0, 30)) == time(16)
    )
    assert f.weekdays("三,五") == "3,5" and f.weekdays("周一、周三") == "1,3" and f.weekdays("5,1") == "1,5"
    assert f.weekdays("星期日") == "7"
    assert f.grades("3-4") == "3,4" and f.grades("1,2,3") == "1,2,3" and f.grades("") == ""
    assert f.grade("三") == 3 and f.grade("3年级") == 3
    assert f.yuan_to_fen("20") == 2000 and f.yuan_to_fen("20.5") == 2050 and f.yuan_to_fen("0.01") == 1
    assert f.yuan_to_fen("") == 0 and f.yuan_to_fen("1,200") == 120000
    for bad in ("-1", "abc", "1.001"):
        with pytest.raises(f.FieldError):
            f.yuan_to_fen(bad)
    assert f.yes_no("是", False) and not f.yes_no("否", True) and f.yes_no("", True)
