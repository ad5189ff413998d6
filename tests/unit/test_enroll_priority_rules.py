"""Priority groups and grades (pure): reserved places on apply and promotion, membership, grade check."""

from datetime import UTC, datetime, timedelta

import pytest
from pydantic import ValidationError

from bot.domain.enrollment import (
    PriorityPolicy,
    Seat,
    State,
    fits,
    grade_allowed,
    grades_text,
    has_place,
    in_priority_group,
    to_promote,
)
from bot.settings import EnrollmentSettings

T0 = datetime(2026, 9, 1, tzinfo=UTC)


def seat(i: int, state: State, priority: bool = False) -> Seat:
    return Seat(i, state, T0 + timedelta(minutes=i), priority)


@pytest.mark.parametrize(
    ("p", "o", "cap", "reserved", "priority", "ok"),
    [
        (0, 0, 3, 1, False, True),
        (0, 2, 3, 1, False, False),
        (0, 2, 3, 1, True, True),
        (1, 1, 3, 1, False, True),
        (1, 2, 3, 1, True, False),
        (2, 0, 3, 2, False, True),
        (0, 1, 3, 2, False, False),
        (0, 0, 2, 5, False, False),
        (0, 0, 2, 5, True, True),
        (0, 2, 3, 0, False, True),
    ],
)
def test_fits(p: int, o: int, cap: int, reserved: int, priority: bool, ok: bool) -> None:
    assert fits(p, o, cap, reserved, priority) is ok


def test_has_place_counts_only_seats_that_hold_a_place() -> None:
    seats = [seat(1, State.ACTIVE), seat(2, State.WAITLIST), seat(3, State.REJECTED), seat(4, State.CLASS_OK)]
    assert not has_place(seats, 3, reserved=1)
    assert has_place(seats, 3, reserved=1, priority=True)
    assert has_place(seats, 3)


def test_promotion_passes_over_ordinary_children_only_for_reserved_places() -> None:
    seats = [
        seat(1, State.ACTIVE),
        seat(2, State.WAITLIST),
        seat(3, State.WAITLIST, True),
        seat(4, State.WAITLIST, True),
    ]
    assert [s.id for s in to_promote(seats, 2, reserved=1)] == [3]
    assert [s.id for s in to_promote(seats, 3, reserved=1)] == [2, 3]
    assert [s.id for s in to_promote(seats, 3, reserved=0)] == [2, 3]
    assert [s.id for s in to_promote(seats, 4, reserved=3)] == [3, 4]


@pytest.mark.parametrize(
    ("groups", "left_behind", "marks", "yes"),
    [
        ((), "both", ["hardship"], False),
        (("left_behind",), "father", [], True),
        (("left_behind",), "none", ["hardship"], False),
        (("hardship",), "both", [], False),
        (("hardship",), "none", ["hardship"], True),
        (("left_behind", "hardship"), "", [], False),
    ],
)
def test_membership(groups: tuple[str, ...], left_behind: str, marks: list[str], yes: bool) -> None:
    assert in_priority_group(groups, left_behind, marks) is yes


def test_policy_off_by_default_and_settings_refuse_unknown_groups() -> None:
    assert not PriorityPolicy().on and PriorityPolicy(("hardship",)).on
    assert EnrollmentSettings().priority_groups == []
    with pytest.raises(ValidationError):
        EnrollmentSettings(priority_groups=["vip"])


def test_grades() -> None:
    assert grade_allowed("", 6) and grade_allowed("3,4", 4) and not grade_allowed("3,4", 5)
    assert (
        grades_text("3,4,5") == "3-5年级" and grades_text("1,3") == "1、3年级" and grades_text("2") == "2年级"
    )
