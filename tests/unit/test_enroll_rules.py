"""Enrollment state machine and capacity/waitlist rules."""

from datetime import UTC, datetime, timedelta

import pytest

from bot.domain.enrollment import (
    InvalidMove,
    Seat,
    State,
    has_place,
    label,
    move,
    queue,
    school_approvals,
    to_promote,
    under_filled,
)

T0 = datetime(2026, 9, 1, 8, 0, tzinfo=UTC)


def seat(i: int, state: State, minutes: int) -> Seat:
    return Seat(i, state, T0 + timedelta(minutes=minutes))


def test_four_steps() -> None:
    s = move(State.APPLIED, "class_approve")
    assert s is State.CLASS_OK
    assert move(s, "school_approve") is State.ACTIVE


@pytest.mark.parametrize(
    ("state", "action"),
    [
        (State.APPLIED, "school_approve"),
        (State.ACTIVE, "class_approve"),
        (State.REJECTED, "promote"),
        (State.WITHDRAWN, "request_withdraw"),
        (State.ACTIVE, "nonsense"),
    ],
)
def test_invalid_moves(state: State, action: str) -> None:
    with pytest.raises(InvalidMove):
        move(state, action)


def test_withdraw_needs_approval_once_approved() -> None:
    assert move(State.ACTIVE, "request_withdraw") is State.WITHDRAW_REQ
    assert move(State.WITHDRAW_REQ, "approve_withdraw") is State.WITHDRAWN
    assert move(State.APPLIED, "request_withdraw") is State.WITHDRAWN
    assert move(State.WAITLIST, "request_withdraw") is State.WITHDRAWN


def test_labels() -> None:
    assert label(State.APPLIED) == "待审核"
    assert label(State.ACTIVE) == "已报名"
    assert label(State.WAITLIST, 3) == "候补第3位"
    assert label(State.CANCELLED) == "已撤班"


def test_capacity_and_waitlist_order() -> None:
    held = [seat(i, State.APPLIED, i) for i in range(19)]
    assert has_place(held, 20) and not has_place([*held, seat(99, State.CLASS_OK, 0)], 20)
    seats = [
        seat(1, State.ACTIVE, 0),
        seat(4, State.WAITLIST, 9),
        seat(3, State.WAITLIST, 5),
        seat(2, State.WAITLIST, 5),
    ]
    assert [s.id for s in queue(seats)] == [2, 3, 4]


def test_promotion_fills_only_freed_places() -> None:
    seats = [
        seat(1, State.WITHDRAWN, 0),
        seat(2, State.ACTIVE, 1),
        seat(3, State.WAITLIST, 2),
        seat(4, State.WAITLIST, 3),
    ]
    assert [s.id for s in to_promote(seats, 2)] == [3]
    assert to_promote(seats, 1) == []


def test_school_review_within_capacity_earliest_first() -> None:
    seats = [
        seat(1, State.ACTIVE, 0),
        seat(2, State.CLASS_OK, 5),
        seat(3, State.CLASS_OK, 1),
        seat(4, State.APPLIED, 0),
    ]
    assert [s.id for s in school_approvals(seats, 2)] == [3]
    assert [s.id for s in school_approvals(seats, 10)] == [3, 2]


def test_minimum_size() -> None:
    assert under_filled(14, 15) and not under_filled(15, 15)
