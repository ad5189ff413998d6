"""One robot's 20/min budget and its pause shared by every instance and kept across restarts; lines in id order."""

from __future__ import annotations

import asyncio
import re
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select

from bot.domain.messages import Push
from bot.metrics import Metrics
from bot.outbox.worker import OutboxWorker
from bot.platforms.base import Outgoing
from bot.store.db import Database
from bot.store.outbox_tables import SendBudget
from bot.store.tables import Chat
from tests.e2e.test_push_delivery import queue, states, world

__all__ = ["world"]


def other_worker(world: Any, name: str, batch: int = 100) -> OutboxWorker:
    return OutboxWorker(
        world["db"], world["settings"], world["clock"], world["http"], Metrics(), instance=name, batch=batch
    )


def busiest_minute(times: list[datetime]) -> int:
    return max(sum(1 for t in times if start <= t < start + timedelta(seconds=60)) for start in times)


async def test_two_workers_on_one_database_share_one_robots_20_per_minute_in_order(world: Any) -> None:
    a = world["chats"][0]
    await queue(
        world["db"], world["clock"], [Push(key=f"a{i}", text=f"通知 {i}", chat_ref=a) for i in range(45)]
    )
    # A small batch gives what a busy outbox gives with the default 100: one robot's pushes in both hands.
    one, two = other_worker(world, "w1", batch=10), other_worker(world, "w2", batch=10)
    for _ in range(30):
        await asyncio.gather(one.run_once(), two.run_once())
        world["clock"].advance(seconds=10)
    fake = world["fake"]
    assert fake.throttled == 0
    assert [m["text"]["content"] for m in fake.received["key-a"]] == [f"通知 {i}" for i in range(45)]
    assert set(await states(world["db"])) == {"sent"}
    shown = fake.shown_at["key-a"]
    assert busiest_minute(shown) == 20 and shown[-1] - shown[0] >= timedelta(minutes=2)  # three minutes used


async def test_a_restarted_worker_waits_for_the_window_its_predecessor_used(world: Any) -> None:
    a = world["chats"][0]
    await queue(
        world["db"], world["clock"], [Push(key=f"r{i}", text=f"第{i}条", chat_ref=a) for i in range(20)]
    )
    await world["worker"].run_once()
    fake = world["fake"]
    assert len(fake.received["key-a"]) == 20
    restarted = other_worker(world, "w1")  # a new process: nothing in memory
    world["clock"].advance(seconds=10)
    await queue(
        world["db"], world["clock"], [Push(key=f"r{i}", text=f"第{i}条", chat_ref=a) for i in range(20, 25)]
    )
    await restarted.run_once()
    world["clock"].advance(seconds=40)
    await restarted.run_once()
    assert len(fake.received["key-a"]) == 20 and fake.throttled == 0  # the minute is not over
    world["clock"].advance(seconds=10)
    await restarted.run_once()
    assert [m["text"]["content"] for m in fake.received["key-a"]] == [f"第{i}条" for i in range(25)]
    assert fake.throttled == 0


async def test_a_dingtalk_pause_binds_every_instance_and_survives_a_restart(world: Any, db: Database) -> None:
    d = world["chats"][2]
    async with db.transaction() as s:  # a second group pushing through the same robot, given as a URL
        chat = await s.get(Chat, d)
        assert chat is not None
        same = Chat(
            class_group_id=chat.class_group_id,
            platform="dingtalk",
            chat_id="cid-d2",
            webhook_secret="SECret",
            webhook=f"{world['settings'].dingtalk.api_base}/robot/send?access_token=tok-d",
        )
        s.add(same)
        await s.flush()
        d2 = same.id
    fake = world["fake"]
    fake._window["tok-d"].extend([world["clock"].now()] * 20)  # someone else used the robot's minute
    await queue(db, world["clock"], [Push(key=f"d{i}", text=f"消息{i}", chat_ref=d) for i in range(3)])
    await world["worker"].run_once()
    assert fake.throttled == 1 and fake.received["tok-d"] == []
    restarted, another = other_worker(world, "w1"), other_worker(world, "w2")
    world["clock"].advance(minutes=1)
    await queue(db, world["clock"], [Push(key="other", text="另一个群", chat_ref=d2)])
    for _ in range(9):  # DingTalk throttles the robot for 10 minutes: no instance may try before that
        await asyncio.gather(restarted.run_once(), another.run_once())
        world["clock"].advance(minutes=1)
    assert fake.throttled == 1 and fake.received["tok-d"] == []
    world["clock"].advance(seconds=1)
    await asyncio.gather(restarted.run_once(), another.run_once())
    assert sorted(m["text"]["content"] for m in fake.received["tok-d"]) == [
        "另一个群",
        "消息0",
        "消息1",
        "消息2",
    ]


async def test_a_retried_push_holds_back_the_rest_of_its_chat(world: Any) -> None:
    a = world["chats"][0]
    fake = world["fake"]
    fake.modes["key-a"] = "busy"
    await queue(world["db"], world["clock"], [Push(key="first", text="第一条", chat_ref=a)])
    await world["worker"].run_once()
    fake.modes["key-a"] = "ok"
    await queue(
        world["db"], world["clock"], [Push(key=f"next{i}", text=f"后面{i}", chat_ref=a) for i in range(2)]
    )
    await world["worker"].run_once()
    assert fake.received["key-a"] == []  # the first is waiting for its retry: the others wait behind it
    world["clock"].advance(seconds=10)
    await world["worker"].run_once()
    assert [m["text"]["content"] for m in fake.received["key-a"]] == ["第一条", "后面0", "后面1"]


async def test_the_budget_row_holds_no_robot_key_in_clear(world: Any, db: Database) -> None:
    a = world["chats"][0]
    await queue(db, world["clock"], [Push(key="k", text="一条", chat_ref=a)])
    await world["worker"].run_once()
    async with db.transaction() as s:
        rows = (await s.scalars(select(SendBudget))).all()
    assert [r.kind for r in rows] == ["robot:wecom"] and len(rows[0].sent) == 1
    assert "key-a" not in repr([(r.bucket, r.kind, r.sent) for r in rows])


async def test_a_line_slower_than_the_lease_stays_in_one_workers_hands(world: Any) -> None:
    a = world["chats"][0]
    await queue(
        world["db"], world["clock"], [Push(key=f"s{i}", text=f"慢{i}", chat_ref=a) for i in range(20)]
    )
    fake, other, asked = world["fake"], other_worker(world, "w2"), []

    async def slow_platform(key: str) -> None:
        world["clock"].advance(seconds=10)  # every send takes 10 s: the line outlasts the 2-minute lease
        if len(fake.received[key]) == 14 and not asked:
            asked.append(key)
            await other.run_once()  # another instance looks for work 150 s after the claim

    fake.before_send = slow_platform
    await world["worker"].run_once()
    assert asked and [m["text"]["content"] for m in fake.received["key-a"]] == [f"慢{i}" for i in range(20)]
    assert set(await states(world["db"])) == {"sent"}


async def test_a_push_longer_than_a_minutes_budget_goes_out_over_two_minutes(world: Any) -> None:
    """More than 20 parts (over ~40 KB) never fits one window: 20 now, the rest a minute later, each part once."""
    a = world["chats"][0]
    text = "\n".join(f"第{i}行:" + "托管日报内容" * 30 for i in range(80))
    parts = len(world["worker"].messengers["wecom"].robot.bodies(Outgoing("long", text)))
    assert parts > 20
    await queue(
        world["db"],
        world["clock"],
        [Push(key="long", text=text, chat_ref=a), Push(key="after", text="之后的通知", chat_ref=a)],
    )
    for _ in range(20):
        await world["worker"].run_once()
        world["clock"].advance(seconds=10)
    fake = world["fake"]
    shown = [m["text"]["content"] for m in fake.received["key-a"]]
    assert fake.throttled == 0
    numbered = [re.search(r"\((\d+)/(\d+)\)$", part) for part in shown[:-1]]
    assert [(int(m[1]), int(m[2])) for m in numbered if m] == [
        (n, parts) for n in range(1, parts + 1)
    ]  # each once
    body = "".join(re.sub(r"\(\d+/\d+\)$", "", part) for part in shown[:-1])
    assert re.sub(r"\s", "", body) == re.sub(r"\s", "", text)  # nothing lost or cut
    assert shown[-1] == "之后的通知"  # the line waited behind it
    assert busiest_minute(fake.shown_at["key-a"]) == 20
    assert set(await states(world["db"])) == {"sent"}
