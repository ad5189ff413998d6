"""Teachers' workload and pay rules (bot/domain/workload.py) and the staff commands' parsing."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import pytest

from bot.domain import archives as archive_rules
from bot.domain import workload as rules
from bot.handlers.staff import parse_check_in, parse_check_out, parse_substitute

SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.mark.parametrize(
    ("start", "end", "left", "minutes"),
    [
        (time(15, 50), time(17, 30), None, 100),  # still there (or time unknown): to care end
        (time(15, 50), time(17, 30), time(17, 0), 70),  # picked up during care
        (time(15, 50), time(17, 30), time(18, 10), 100),  # picked up late: care ends at 17:30 all the same
        (time(16, 0), time(17, 30), time(15, 30), 0),  # left before care started
    ],
)
def test_care_minutes_run_from_start_to_pickup_or_end(
    start: time, end: time, left: time | None, minutes: int
) -> None:
    assert rules.care_minutes(start, end, left) == minutes


def test_shares_split_evenly_and_keep_every_minute() -> None:
    assert rules.shares(101, [7, 3]) == {7: 51, 3: 50}
    assert sum(rules.shares(1000, [1, 2, 3]).values()) == 1000
    assert rules.shares(60, []) == {}


def test_a_day_counts_for_the_substitute_else_the_teachers_who_came() -> None:
    assert rules.day_teachers(9, [1, 2], {1}) == [9]
    assert rules.day_teachers(None, [1, 2], {2}) == [2]
    assert rules.day_teachers(None, [1, 2], set()) == [1, 2]
    assert rules.day_teachers(None, [], {1}) == []


@pytest.mark.parametrize(
    ("minutes", "text", "fen"),
    [
        (0, "0", 0),
        (90, "1.5", 300),
        (1570, "26.2", 5240),
        (60 * 123, "123", 24600),
        (3, "0.1", 20),
        (2, "0", 0),
    ],
)
def test_child_hours_are_shown_to_a_tenth_and_paid_on_what_is_shown(
    minutes: int, text: str, fen: int
) -> None:
    assert rules.hours_text(minutes) == text
    assert rules.basic_pay_fen(minutes, 200) == fen


def test_pay_and_its_basis() -> None:
    work = rules.TeacherWork(1, "周静", days={"2026-11-23"}, sessions=4, child_minutes=123 * 60)
    rates = rules.Rates(200, 2000)
    assert work.pay_fen(rates) == 123 * 200 + 4 * 2000
    assert "基础托管 123 人时 × 2元" in work.basis(rates) and "X课 4 课时 × 20元" in work.basis(rates)
    line = work.line(rates)
    assert (
        line.startswith("周静: 到岗 1 天")
        and "4 课时" in line
        and "123 人时" in line
        and "应发 326 元" in line
    )


def test_local_time_reads_utc_or_local_wall_times() -> None:
    day = date(2026, 11, 23)
    assert rules.local_time(datetime(2026, 11, 23, 9, 35, tzinfo=UTC), day, SHANGHAI) == time(17, 35)
    assert rules.local_time(
        datetime(2026, 11, 23, 9, 35, tzinfo=UTC).replace(tzinfo=None), day, SHANGHAI
    ) == time(17, 35)  # naive UTC
    assert rules.local_time(
        datetime(2026, 11, 23, 17, 35, tzinfo=SHANGHAI).replace(tzinfo=None), day, SHANGHAI
    ) == time(17, 35)  # naive local


@pytest.mark.parametrize("text", ["到岗", "已到岗", "我到岗了", "签到", "到岗!"])
def test_check_in_phrasing(text: str) -> None:
    assert parse_check_in(text) == {} and parse_check_out(text) is None


@pytest.mark.parametrize("text", ["到岗情况", "谁到岗了", "到岗 王小明"])
def test_not_a_check_in(text: str) -> None:
    assert parse_check_in(text) is None


@pytest.mark.parametrize(
    ("text", "target", "teacher", "when"),
    [
        ("代班 三年级2班 张老师", "三年级2班", "张老师", ""),
        ("代班 明天 三年级2班 张丽", "三年级2班", "张丽", "明天"),
        ("代班 张老师 三年级2班", "三年级2班", "张老师", ""),
        ("代班 篮球 陈刚", "篮球", "陈刚", ""),
        ("代班", "", "", ""),
    ],
)
def test_substitute_phrasing(text: str, target: str, teacher: str, when: str) -> None:
    assert parse_substitute(text) == {"target": target, "teacher": teacher, "when": when}


def test_first_week_and_weekly_target() -> None:
    weekdays = lambda d: d.weekday() < 5  # noqa: E731
    assert archive_rules.first_week(date(2026, 8, 29), weekdays) == (date(2026, 8, 31), date(2026, 9, 6))
    assert archive_rules.week_of(date(2026, 11, 26)) == (date(2026, 11, 23), date(2026, 11, 26))
    assert [archive_rules.talk_mark(n) for n in (1, 3, 5, 6)] == ["差 2", "达标", "达标", "超出目标"]
