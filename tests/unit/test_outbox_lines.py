"""The outbox's one delivery loop, without a database: what each step of a line does to the rest of it, and
who a one-to-one push goes to."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bot.clock import Clock
from bot.domain.outbox import ClaimedPush
from bot.outbox.lines import Step
from bot.outbox.private import NoChannel, Recipient, resolve
from bot.outbox.worker import OutboxWorker

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def push(
    push_id: int, *, staff_id: int | None = None, guardian_id: int | None = None, chat_ref: int | None = None
) -> ClaimedPush:
    return ClaimedPush(
        push_id,
        f"k{push_id}",
        "文本",
        chat_ref,
        staff_id,
        guardian_id,
        (),
        (),
        False,
        None,
        0,
        0,
        None,
        None,
        None,
        None,
    )


class FixedClock(Clock):
    def now(self) -> datetime:
        return NOW


class Recorded(OutboxWorker):
    """The worker with its unit-of-work writes recorded instead of made."""

    def __init__(self) -> None:  # no database, no HTTP: only the loop runs
        self.clock = FixedClock()
        self.calls: list[tuple[Any, ...]] = []

    async def _keep(self, pushes: list[ClaimedPush], held: datetime) -> datetime | None:
        return held

    async def _release(self, pushes: list[ClaimedPush], at: datetime) -> None:
        self.calls.append(("release", [p.id for p in pushes], at))

    async def finish(self, push: ClaimedPush, state: str, note: str) -> None:
        self.calls.append(("finish", push.id, state, note))


class ScriptedLine:
    """A line whose pushes' steps are given in advance."""

    def __init__(self, steps: dict[int, Step]) -> None:
        self.steps, self.tried = steps, []

    async def deliver(self, claimed: ClaimedPush) -> Step:
        self.tried.append(claimed.id)
        return self.steps.get(claimed.id, Step(delivered=True))


LATER = NOW + timedelta(minutes=1)


@pytest.mark.parametrize(
    ("step", "tried", "calls", "delivered"),
    [
        (Step(delivered=True), [1, 2, 3], [], 3),
        (Step(again_from=LATER), [1, 2], [("release", [2, 3], LATER)], 1),  # not sent: back with the rest
        (
            Step(wait_from=LATER),
            [1, 2],
            [("release", [3], LATER)],
            1,
        ),  # it waits (retried): the rest behind it
        (Step(fail_rest="群不可用: 93000"), [1, 2], [("finish", 3, "failed", "群不可用: 93000")], 1),
        (Step(), [1, 2, 3], [], 2),  # finished as failed or unsure by the line: the line goes on
    ],
)
async def test_a_step_decides_what_happens_to_the_rest_of_the_line(
    step: Step, tried: list[int], calls: list[tuple[Any, ...]], delivered: int
) -> None:
    worker, line = Recorded(), ScriptedLine({2: step})
    pushes = [push(1, chat_ref=5), push(2, chat_ref=5), push(3, chat_ref=5)]
    assert await worker._deliver(line, pushes) == delivered  # type: ignore[arg-type]
    assert line.tried == tried and worker.calls == calls


def test_a_person_gets_the_first_usable_platform_in_the_registry_order() -> None:
    pushes = [push(1, staff_id=1), push(2, guardian_id=1), push(3, guardian_id=2), push(4, staff_id=9)]
    accounts = {
        ("staff", 1): [("dingtalk", "li-d"), ("wecom", "li-w")],
        ("guardian", 1): [("dingtalk", "mum")],
        ("guardian", 2): [("wecom", "dad")],
    }
    found = resolve(pushes, accounts, ["wecom"])
    assert found == {
        1: Recipient("wecom", "li-w"),
        2: NoChannel("应用未配置: dingtalk"),
        3: Recipient("wecom", "dad"),
        4: NoChannel("无平台账号"),
    }
    assert resolve(pushes, accounts, ["dingtalk", "wecom"])[1] == Recipient("dingtalk", "li-d")
