"""Which outbox rows a pass may claim: each chat's and each person's line up to its first push not due."""

from __future__ import annotations

from bot.outbox.worker import heads_of_lines


def test_a_line_stops_at_its_first_push_not_due_and_other_lines_go_on() -> None:
    rows = [
        (1, 7, None, None, True),
        (2, 7, None, None, False),
        (3, 8, None, None, True),
        (4, 7, None, None, True),
        (5, None, 3, None, False),
        (6, None, 3, None, True),
        (7, None, None, 3, True),
        (8, 8, None, None, True),
    ]
    assert heads_of_lines(rows, 100) == [1, 3, 7, 8]


def test_the_batch_limit_takes_the_lowest_ids() -> None:
    rows = [(i, i % 2, None, None, True) for i in range(1, 10)]
    assert heads_of_lines(rows, 4) == [1, 2, 3, 4]
