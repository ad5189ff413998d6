"""Pushes from the outbox to local fake platforms: rate limits, retries, backoff, broken chats, crashes."""

from __future__ import annotations

from typing import Any

import aiohttp
import pytest
from sqlalchemy import select, update

from bot.clock import FixedClock
from bot.demo import load_demo
from bot.domain.messages import Push
from bot.metrics import Metrics
from bot.outbox.worker import OutboxWorker
from bot.platforms.dingtalk.robot import UNBOUND_GUARDIANS
from bot.settings import Settings, load_settings
from bot.store.db import Database
from bot.store.outbox import enqueue
from bot.store.outbox_tables import OutboxMessage
from bot.store.tables import Chat
from tests.conftest import shanghai
from tests.fakes.platforms import FakePlatforms


@pytest.fixture
async def world(db: Database, aiohttp_server: Any) -> Any:
    clock = FixedClock(shanghai(2026, 11, 23, 17, 0))
    fake = FakePlatforms(clock, wecom_keys={"key-a", "key-b"}, dingtalk_secrets={"tok-d": "SECret"})
    server = await aiohttp_server(fake.app())
    base = str(server.make_url("")).rstrip("/")
    settings = load_settings(wecom={"api_base": base}, dingtalk={"api_base": base})
    await load_demo(db, settings, clock)
    async with db.transaction() as s:
        chats = (await s.scalars(select(Chat).order_by(Chat.id))).all()
        chats[0].webhook, chats[1].webhook = "key-a", "key-b"
        s.add(
            Chat(
                class_group_id=chats[0].class_group_id,
                platform="dingtalk",
                chat_id="cid-d",
                webhook="tok-d",
                webhook_secret="SECret",
            )
        )
    async with db.transaction() as s:
        ids = list((await s.scalars(select(Chat.id).order_by(Chat.id))).all())
    http = aiohttp.ClientSession()
    worker = OutboxWorker(db, settings, clock, http, Metrics(), instance="w1")
    yield {
        "db": db,
        "clock": clock,
        "fake": fake,
        "worker": worker,
        "chats": ids,
        "settings": settings,
        "http": http,
    }
    await http.close()


async def queue(db: Database, clock: FixedClock, pushes: list[Push]) -> None:
    async with db.transaction() as s:
        await enqueue(s, pushes, clock.now())


async def states(db: Database) -> list[str]:
    async with db.transaction() as s:
        return list((await s.scalars(select(OutboxMessage.state).order_by(OutboxMessage.id))).all())


async def drain(world: Any, minutes: int) -> None:
    for _ in range(minutes * 6):
        await world["worker"].run_once()
        world["clock"].advance(seconds=10)


async def test_two_robots_at_20_per_minute_each_in_parallel_never_throttled(world: Any) -> None:
    a, b, _ = world["chats"]
    pushes = [Push(key=f"a{i}", text=f"通知 {i}", chat_ref=a) for i in range(45)]
    pushes += [Push(key=f"b{i}", text=f"通知 {i}", chat_ref=b) for i in range(45)]
    await queue(world["db"], world["clock"], pushes)
    await world["worker"].run_once()
    fake = world["fake"]
    assert len(fake.received["key-a"]) == 20 and len(fake.received["key-b"]) == 20  # both progress at once
    await drain(world, 3)
    assert fake.throttled == 0
    assert [m["text"]["content"] for m in fake.received["key-a"]] == [
        f"通知 {i}" for i in range(45)
    ]  # in order
    assert set(await states(world["db"])) == {"sent"}


async def test_mentions_markdown_and_splitting(world: Any) -> None:
    a, _, d = world["chats"]
    long_text = "\n".join(f"第{i}行 王小明 已接走" for i in range(300))
    await queue(
        world["db"],
        world["clock"],
        [
            Push(
                key="m1",
                text="请接孩子",
                chat_ref=a,
                mention_user_ids=("parent-wang",),
                mention_phones=("13800001111",),
            ),
            Push(key="m2", text=long_text, chat_ref=a),
            Push(key="m3", text="**日报**\n应到 9", chat_ref=a, markdown=True),
            Push(key="d1", text="请接孩子", chat_ref=d, mention_phones=("13800001111",)),
        ],
    )
    await drain(world, 1)
    got = world["fake"].received["key-a"]
    assert got[0]["text"]["mentioned_list"] == ["parent-wang"] and got[0]["text"][
        "mentioned_mobile_list"
    ] == ["13800001111"]
    parts = [m for m in got if m["msgtype"] == "text"][1:]
    assert len(parts) > 1 and all(len(p["text"]["content"].encode()) <= 2048 for p in parts)
    assert "".join(p["text"]["content"].rsplit("\n", 1)[0] + "\n" for p in parts).count("王小明") == 300
    assert got[-1]["msgtype"] == "markdown"
    ding = world["fake"].received["tok-d"][0]
    # No phone in a DingTalk group's text: a guardian without an account is not @-mentioned by number.
    assert "at" not in ding and "13800001111" not in ding["text"]["content"]
    assert ding["text"]["content"] == f"请接孩子\n{UNBOUND_GUARDIANS}"
    assert ding["msgUuid"] == "d1"


async def test_busy_and_5xx_are_retried_with_backoff(world: Any) -> None:
    a = world["chats"][0]
    world["fake"].modes["key-a"] = "busy"
    await queue(world["db"], world["clock"], [Push(key="r1", text="重试我", chat_ref=a)])
    await world["worker"].run_once()
    assert await states(world["db"]) == ["queued"]
    world["fake"].modes["key-a"] = "5xx"
    world["clock"].advance(seconds=7)
    await world["worker"].run_once()
    world["fake"].modes["key-a"] = "ok"
    await world["worker"].run_once()  # backoff not over yet: nothing sent
    assert world["fake"].received["key-a"] == []
    world["clock"].advance(seconds=15)
    await world["worker"].run_once()
    assert await states(world["db"]) == ["sent"] and len(world["fake"].received["key-a"]) == 1


async def test_frequency_limit_backs_off_a_minute(world: Any) -> None:
    a = world["chats"][0]
    fake = world["fake"]
    fake._window["key-a"].extend([world["clock"].now()] * 20)  # another sender used the robot's quota
    await queue(world["db"], world["clock"], [Push(key=f"f{i}", text=str(i), chat_ref=a) for i in range(3)])
    await world["worker"].run_once()
    assert fake.throttled == 1 and set(await states(world["db"])) == {"queued"}
    world["clock"].advance(seconds=30)
    await world["worker"].run_once()
    assert fake.throttled == 1  # still paused: not even tried
    world["clock"].advance(seconds=31)
    await world["worker"].run_once()
    assert [m["text"]["content"] for m in fake.received["key-a"]] == ["0", "1", "2"]


async def test_removed_robot_marks_the_chat_broken_and_tells_the_admins(world: Any) -> None:
    a = world["chats"][0]
    world["fake"].modes["key-a"] = "broken"
    await queue(world["db"], world["clock"], [Push(key=f"x{i}", text="hi", chat_ref=a) for i in range(3)])
    await world["worker"].run_once()
    assert world["fake"].attempts["key-a"] == 1  # not retried
    async with world["db"].transaction() as s:
        chat = await s.get(Chat, a)
        assert chat is not None and chat.broken_reason and chat.broken_reason.startswith("93000")
        rows = (await s.scalars(select(OutboxMessage).order_by(OutboxMessage.id))).all()
    assert [r.state for r in rows[:3]] == ["failed"] * 3
    notices = [r for r in rows if r.key.startswith("chat-broken")]
    assert notices and all(r.staff_id and r.state == "private" for r in notices)
    await queue(world["db"], world["clock"], [Push(key="later", text="hi", chat_ref=a)])
    await world["worker"].run_once()
    assert world["fake"].attempts["key-a"] == 1


async def test_a_worker_dying_mid_delivery_loses_nothing(world: Any) -> None:
    d = world["chats"][2]
    await queue(
        world["db"], world["clock"], [Push(key=f"c{i}", text=f"消息{i}", chat_ref=d) for i in range(5)]
    )
    # A worker claimed everything, sent the first two and died before recording anything.
    async with world["db"].transaction() as s:
        await s.execute(
            update(OutboxMessage).values(
                state="sending",
                claimed_by="dead",
                claimed_until=world["clock"].now() + __import__("datetime").timedelta(minutes=2),
            )
        )
    robot = world["worker"].messengers["dingtalk"].robot
    for i in range(2):
        body = robot.bodies(
            __import__("bot.platforms.base", fromlist=["Outgoing"]).Outgoing(f"c{i}", f"消息{i}")
        )[0]
        await robot.send_body("tok-d", "SECret", body, f"c{i}", world["clock"].now())
    await world["worker"].run_once()
    assert len(world["fake"].received["tok-d"]) == 2  # the lease has not expired yet
    world["clock"].advance(minutes=3)
    await world["worker"].run_once()
    contents = [m["text"]["content"] for m in world["fake"].received["tok-d"]]
    assert contents == [f"消息{i}" for i in range(5)]  # nothing lost, nothing shown twice (msgUuid)
    assert set(await states(world["db"])) == {"sent"}


async def test_two_workers_on_one_database_send_each_push_once(world: Any, db: Database) -> None:
    if db.is_sqlite:
        pytest.skip("row claims with SKIP LOCKED are the PostgreSQL multi-instance path")
    import asyncio

    a, b, d = world["chats"]
    pushes = [Push(key=f"p{i}", text=f"第{i}条", chat_ref=(a, b, d)[i % 3]) for i in range(200)]
    await queue(world["db"], world["clock"], pushes)
    other = OutboxWorker(db, world["settings"], world["clock"], world["http"], Metrics(), instance="w2")
    # The two share each robot's 20/min budget (in the database), so the platform never throttles them,
    # and each chat's pushes go out in id order. Every push goes out once.
    for _ in range(150):
        await asyncio.gather(world["worker"].run_once(), other.run_once())
        world["clock"].advance(seconds=10)
    fake = world["fake"]
    texts = [m["text"]["content"] for robot in ("key-a", "key-b", "tok-d") for m in fake.received[robot]]
    assert sorted(texts) == sorted(f"第{i}条" for i in range(200))
    assert set(await states(db)) == {"sent"}
    assert fake.throttled == 0
    for index, robot in enumerate(("key-a", "key-b", "tok-d")):
        assert [m["text"]["content"] for m in fake.received[robot]] == [
            f"第{i}条" for i in range(index, 200, 3)
        ]


async def test_chats_without_a_robot_go_to_the_simulator(world: Any, db: Database) -> None:
    a = world["chats"][0]
    async with db.transaction() as s:
        await s.execute(update(Chat).where(Chat.id == a).values(webhook=""))
    await queue(db, world["clock"], [Push(key="sim", text="模拟器里看", chat_ref=a)])
    await world["worker"].run_once()
    assert await states(db) == ["sent"] and world["fake"].attempts == {}


def test_settings_type(world: Any) -> None:
    assert isinstance(world["settings"], Settings)
