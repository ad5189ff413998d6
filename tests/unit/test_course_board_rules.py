"""Course board rules: the default window, a course's phase, when the groups are told, the texts (元, 公示)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.domain import course_board as rules
from bot.domain.course_board import CourseFacts, Phase, Placed, Window
from tests.conftest import shanghai

T0 = shanghai(2026, 9, 1, 8, 3)
TZ = T0.tzinfo
assert TZ is not None
W = Window(T0, T0 + timedelta(hours=24))
SLOT = timedelta(minutes=10)


def test_default_window_is_hours_from_the_start_and_zero_means_none() -> None:
    assert rules.default_window(T0, 24) == Window(T0, T0 + timedelta(hours=24))
    assert rules.default_window(T0, 48) == Window(T0, T0 + timedelta(hours=48))
    assert rules.default_window(T0, 0) is None


@pytest.mark.parametrize(
    ("state", "window", "now", "expected"),
    [
        ("draft", W, T0 + timedelta(hours=1), Phase.DRAFT),
        ("cancelled", W, T0 + timedelta(hours=1), Phase.CANCELLED),
        ("open", None, T0, Phase.OPEN),
        ("open", W, T0 - timedelta(minutes=1), Phase.UPCOMING),
        ("open", W, T0, Phase.OPEN),
        ("open", W, T0 + timedelta(hours=24), Phase.OPEN),
        ("open", W, T0 + timedelta(hours=24, seconds=1), Phase.CLOSED),
        ("open", Window(T0, T0 + timedelta(days=3), round=2), T0 + timedelta(days=1), Phase.SECOND_ROUND),
    ],
)
def test_phase(state: str, window: Window | None, now: object, expected: Phase) -> None:
    assert rules.phase(state, window, now) is expected  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("until", "expected"),
    [
        (T0, (True, False)),  # the slot the window opened in
        (T0 - SLOT, (False, False)),
        (T0 + SLOT, (False, False)),  # the next slot: told already
        (T0 + timedelta(hours=22), (False, True)),  # close - 2h falls in (until - 10min, until]
        (T0 + timedelta(hours=22, minutes=9), (False, True)),
        (T0 + timedelta(hours=22, minutes=10), (False, False)),
        (T0 + timedelta(hours=21, minutes=59), (False, False)),
        (T0 + timedelta(hours=25), (False, False)),
    ],
)
def test_announcements_due_once_per_moment(until: object, expected: tuple[bool, bool]) -> None:
    assert rules.announcements_due(W, until - SLOT, until) == expected  # type: ignore[operator]


def test_a_short_window_is_told_once_and_a_second_round_never() -> None:
    short = Window(T0, T0 + timedelta(hours=1))
    assert rules.announcements_due(short, T0 - SLOT, T0 + timedelta(minutes=1)) == (True, False)
    second = Window(T0, T0 + timedelta(days=3), round=2)
    assert rules.announcements_due(second, T0 - SLOT, T0) == (False, False)
    assert rules.announcements_due(Window(None, None), T0 - SLOT, T0) == (False, False)


def test_grades_and_places() -> None:
    assert rules.for_grades("3,4", [3]) and not rules.for_grades("3,4", [5])
    assert rules.for_grades("", [1]) and rules.for_grades("5", [])
    assert rules.for_grades("3,4", [1, 4])
    assert rules.places_left(30, 12) == 18 and rules.places_left(10, 12) == 0


def test_money_is_shown_in_yuan() -> None:
    assert rules.price_text(2000) == "20元/课时"
    assert rules.price_text(1650) == "16.50元/课时"
    assert rules.price_text(0) == "免费"


def test_course_line_has_day_time_price_places_and_window() -> None:
    facts = CourseFacts("篮球", "3,5", "16:30", "17:10", 2000, 30, 12, "3,4,5,6")
    line = rules.course_line(facts, Phase.OPEN, W, TZ)
    parts = ("篮球", "周三、周五", "16:30-17:10", "20元/课时", "3-6年级", "剩余 18/30", "报名中")
    for part in (*parts, "9月2日 08:03 截止"):
        assert part in line, part
    assert "2000" not in line and "分" not in line
    assert "9月1日 08:03 开放" in rules.course_line(facts, Phase.UPCOMING, W, TZ)
    assert "尚未开放报名" in rules.course_line(facts, Phase.DRAFT, None, TZ)


def test_announcement_texts() -> None:
    facts = [CourseFacts("篮球", "3,5", "16:30", "17:10", 2000, 30, 28, "")]
    opening = rules.opening_text(facts, W.closes_at, TZ)  # type: ignore[arg-type]
    assert "篮球" in opening and "20元/课时" in opening and "9月2日 08:03 截止" in opening
    closing = rules.closing_text(facts, W.closes_at, TZ)  # type: ignore[arg-type]
    assert "剩余 2/30" in closing and "9月2日 08:03" in closing


def test_gongshi_lists_names_per_course_and_nothing_else() -> None:
    text = rules.gongshi_text([Placed("篮球", ("王小明", "李华")), Placed("书法", (), cancelled=True)])
    assert "篮球(2人): 王小明、李华" in text
    assert "书法" in text and "撤班" in text
    assert "元" not in text and "班级" not in text.replace("班主任", "")
