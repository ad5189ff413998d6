"""bench/afternoon.py on a small school (60 children, 3 classes: WeCom AI bot, WeCom group robot, DingTalk):
the bot process with its scheduler and outbox worker on a compressed clock, every nothing-lost check passing,
and the checks failing when one message is never sent."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.afternoon import one_database, parse_args
from bot.store.db import Database

SMALL = [
    "--students",
    "60",
    "--classes",
    "3",
    "--speed",
    "150",
    "--concurrency",
    "16",
    # The suite runs in parallel workers: the bot may take longer to start than on a quiet machine.
    "--boot-seconds",
    "12",
]


def url_of(db: Database) -> str:
    return db.url.render_as_string(hide_password=False)


async def test_small_afternoon_loses_nothing(db: Database, tmp_path: Path) -> None:
    leg, report = await one_database(url_of(db), parse_args(SMALL), tmp_path)
    assert report.failed == 0, "\n".join(report.lines)
    assert not any(line.startswith("FAIL") for line in report.lines)
    fired = next(line for line in report.lines if line.startswith("jobs fired:"))
    assert "pickup-reminder 17:15 提醒 3 个班" in fired and "late-pickup 17:40" in fired, fired
    assert len(leg.results) > 5 * 60 and leg.pushes >= 3 + 3  # a reminder per class, late alerts, notes
    assert all(r.status == 200 for r in leg.results)


async def test_a_message_never_sent_fails_the_checks(db: Database, tmp_path: Path) -> None:
    if not db.is_sqlite:
        pytest.skip("the checks' own failure path needs one database")
    _, report = await one_database(url_of(db), parse_args([*SMALL, "--drop"]), tmp_path)
    failed = [line for line in report.lines if line.startswith("FAIL")]
    assert any(line.startswith("FAIL leaves") for line in failed), report.lines
    assert any(line.startswith("FAIL each message id handled once") for line in failed), report.lines


def test_a_text_queued_twice_and_shown_twice_is_no_duplicate() -> None:
    from collections import Counter

    from bench.afternoon_checks import shown_too_often

    late_list = ("teacher-li", "还没接走: 刘洋")
    assert (
        shown_too_often(Counter({late_list: 2}), Counter({late_list: 2})) == 0
    )  # 17:40 and 17:45, both right
    assert shown_too_often(Counter({late_list: 1}), Counter({late_list: 2})) == 1  # one push shown twice
