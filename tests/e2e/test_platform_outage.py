"""Fault: the platforms misbehave for many minutes (5xx, 45009/410100, timeouts); every push lands once after."""

from __future__ import annotations

import logging
from collections import deque
from typing import Any

import pytest

from bot.domain.messages import Push
from tests.e2e.test_push_delivery import queue, states, world

__all__ = ["world"]

OUTAGE_MINUTES = 20
COUNT = {"a": 30, "b": 30, "d": 8}


def shown(fake: Any, robot: str) -> list[str]:
    return [m["text"]["content"] for m in fake.received[robot]]


async def test_a_long_platform_outage_delivers_every_push_once_afterwards(
    world: Any, caplog: pytest.LogCaptureFixture
) -> None:
    a, b, d = world["chats"]
    fake, clock, worker = world["fake"], world["clock"], world["worker"]
    worker.messengers["dingtalk"].robot.timeout = 0.1  # the fake hangs 30 s; the robot gives up long before
    pushes = [
        Push(key=f"{name}{i}", text=f"{name}-{i}", chat_ref=chat)
        for name, chat in (("a", a), ("b", b), ("d", d))
        for i in range(COUNT[name])
    ]
    await queue(world["db"], clock, pushes)
    fake.modes["key-a"] = "5xx"
    fake.modes["tok-d"] = "hang"
    caplog.set_level(logging.INFO)
    for step in range(OUTAGE_MINUTES * 6):
        if step == 6:
            fake.modes["tok-d"] = "5xx"  # DingTalk: a minute of timeouts, then bad gateways
        # key-b's quota is used up by someone else the whole time: 45009 on every try.
        fake._window["key-b"] = deque([clock.now()] * 20)
        await worker.run_once()
        clock.advance(seconds=10)
    assert shown(fake, "key-a") == [] and shown(fake, "key-b") == [] and shown(fake, "tok-d") == []
    fake.modes.clear()
    for _ in range(60 * 6):  # an hour of passes at most; backoffs are capped at 10 minutes
        if "robot throttled (410100)" not in caplog.text:  # DingTalk comes back throttling: a 10 min pause
            fake._window["tok-d"] = deque([clock.now()] * 20)
        await worker.run_once()
        clock.advance(seconds=10)
        if set(await states(world["db"])) == {"sent"}:
            break
    for name, robot in (("a", "key-a"), ("b", "key-b"), ("d", "tok-d")):
        # Each exactly once. Order within a chat is NOT kept across an outage (each push has its own backoff).
        assert sorted(shown(fake, robot)) == sorted(f"{name}-{i}" for i in range(COUNT[name]))
    assert set(await states(world["db"])) == {"sent"}
    text = caplog.text
    assert "robot throttled (45009)" in text and "robot throttled (410100)" in text
    assert "failed for good" not in text
