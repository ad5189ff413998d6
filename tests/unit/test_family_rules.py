"""The left-behind calendar rules and the 已通话/通话/谈心 phrasings, pure."""

from __future__ import annotations

from datetime import date

import pytest

from bot.domain import family as rules
from bot.domain.school_calendar import SchoolCalendar
from bot.handlers.table import build_table

CAL = SchoolCalendar()


@pytest.mark.parametrize(
    ("day", "prompt", "follow_up", "close"),
    [
        (date(2026, 10, 1), False, False, False),  # National Day: no school
        (date(2026, 10, 8), True, False, False),  # first school day after the Golden Week
        (date(2026, 10, 9), False, False, False),
        (date(2026, 10, 15), False, True, False),
        (date(2026, 10, 30), False, False, True),  # Friday; 31 October is a Saturday
        (date(2026, 12, 1), True, False, False),
        (date(2026, 11, 16), False, True, False),  # 15 November 2026 is a Sunday
        (date(2026, 11, 30), False, False, True),
    ],
)
def test_month_plan(day: date, prompt: bool, follow_up: bool, close: bool) -> None:
    plan = rules.plan_for(day, CAL.is_care_day)
    assert (plan.prompt, plan.follow_up, plan.close) == (prompt, follow_up, close)


def test_month_plan_respects_term_dates() -> None:
    cal = SchoolCalendar.from_entries([("term", date(2026, 9, 7), date(2027, 1, 22), "秋季学期")])
    assert rules.plan_for(date(2026, 9, 7), cal.is_care_day).prompt  # term starts on the 7th
    assert not rules.plan_for(date(2026, 9, 1), cal.is_care_day).prompt


@pytest.mark.parametrize(
    ("status", "relation", "away"),
    [
        ("father", "父亲", True),
        ("father", "爸爸", True),
        ("father", "母亲", False),
        ("mother", "妈妈", True),
        ("both", "父亲", True),
        ("both", "母亲", True),
        ("both", "奶奶", False),
        ("none", "父亲", False),
    ],
)
def test_away_relation(status: str, relation: str, away: bool) -> None:
    assert rules.away_relation(status, relation) is away


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("已通话", "phone"),
        ("已通话 视频", "video"),
        ("今天和孩子视频了", "video"),
        ("给孩子写信了", "letter"),
        ("通话 王小明 书信", "letter"),
        ("打过电话了", "phone"),
    ],
)
def test_call_kind(text: str, kind: str) -> None:
    assert rules.call_kind(text) == kind


def test_birthdays_over_a_weekend_and_a_make_up_day() -> None:
    friday = date(2026, 11, 27)
    assert rules.birthdays_to_tell(friday, CAL.is_care_day) == [
        friday,
        date(2026, 11, 28),
        date(2026, 11, 29),
    ]
    # 10 October 2026 is a make-up Saturday: Friday tells only itself, Saturday tells itself and Sunday.
    assert rules.birthdays_to_tell(date(2026, 10, 9), CAL.is_care_day) == [date(2026, 10, 9)]
    assert rules.birthdays_to_tell(date(2026, 10, 10), CAL.is_care_day) == [
        date(2026, 10, 10),
        date(2026, 10, 11),
    ]
    # before the Golden Week the lookahead stops at a week
    assert len(rules.birthdays_to_tell(date(2026, 9, 30), CAL.is_care_day)) == rules.BIRTHDAY_LOOKAHEAD


def test_leap_day_birthday() -> None:
    assert rules.birthday_in(date(2016, 2, 29), 2027) == date(2027, 2, 28)
    assert rules.birthday_in(date(2016, 2, 29), 2028) == date(2028, 2, 29)
    assert rules.is_birthday_on(date(2016, 2, 29), [date(2027, 2, 28)]) == date(2027, 2, 28)
    assert rules.is_birthday_on(None, [date(2027, 2, 28)]) is None


TABLE = build_table()


@pytest.mark.parametrize(
    "text",
    [
        "已通话",
        "已通话 视频",
        "已通话视频",
        "今天和孩子视频了",
        "刚和孩子通了电话",
        "昨天给孩子打过电话了",
        "已经视频过了",
        "本月已通话",
        "通话 张一一 视频",
        "通话 张一一",
        "亲情通话 张一一 书信",
        "已写信",
        "这个月和孩子视频过了",
        "已视频",
    ],
)
def test_call_phrasings(text: str) -> None:
    parsed = TABLE.parse(text)
    assert getattr(parsed, "spec", None) is not None and parsed.spec.name == "通话", text  # type: ignore[union-attr]


@pytest.mark.parametrize(
    "text", ["谈心 张一一 最近很开朗", "谈心张一一 想妈妈了", "谈心记录 张一一:学习有进步", "谈心 张一一"]
)
def test_talk_phrasings(text: str) -> None:
    parsed = TABLE.parse(text)
    assert getattr(parsed, "spec", None) is not None and parsed.spec.name == "谈心", text  # type: ignore[union-attr]


@pytest.mark.parametrize(
    "text", ["老师今天打电话了吗", "请假 明天 去打电话", "张一一 已接走", "视频", "打电话给老师?"]
)
def test_not_a_call(text: str) -> None:
    parsed = TABLE.parse(text)
    assert getattr(getattr(parsed, "spec", None), "name", None) != "通话", text
