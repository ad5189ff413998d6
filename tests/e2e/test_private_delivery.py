"""One-to-one pushes through the platforms' app APIs (local fakes): tokens, refresh, limits, no channel, crashes."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import aiohttp
import pytest
from sqlalchemy import select

from bot.clock import FixedClock
from bot.demo import load_demo
from bot.domain.messages import Push
from bot.metrics import Metrics
from bot.outbox.worker import OutboxWorker
from bot.settings import Settings, load_settings
from bot.store.db import Database
from bot.store.outbox import enqueue
from bot.store.outbox_tables import OutboxMessage
from bot.store.tables import Guardian, Identity, School
from tests.conftest import shanghai
from tests.fakes.apps import FakeApps
from tests.fakes.platforms import FakePlatforms

WECOM_APP = {"corp_id": "corp-1", "corp_secret": "corp-SECRET", "agent_id": 1000002}
DING_APP = {"app_key": "ding-app-key", "app_secret": "ding-APP-secret"}


class World:
    def __init__(
        self, db: Database, clock: FixedClock, apps: FakeApps, base: str, http: aiohttp.ClientSession
    ):
        self.db, self.clock, self.apps, self.base, self.http = db, clock, apps, base, http
        self.people: dict[str, tuple[str, int]] = {}
        self.robots: FakePlatforms | None = None

    def settings(self, wecom_app: bool = True, ding_app: bool = True) -> Settings:
        wecom = {"api_base": self.base, **(WECOM_APP if wecom_app else {})}
        ding = {"api_base": self.base, "openapi_base": self.base, **(DING_APP if ding_app else {})}
        return load_settings(wecom=wecom, dingtalk=ding)

    def worker(self, settings: Settings | None = None, name: str = "w1") -> OutboxWorker:
        return OutboxWorker(
            self.db, settings or self.settings(), self.clock, self.http, Metrics(), instance=name
        )

    def push(self, key: str, user: str, text: str, **extra: Any) -> Push:
        kind, person = self.people[user]
        return Push(key=key, text=text, **{f"{kind}_id": person}, **extra)

    async def queue(self, *pushes: Push) -> None:
        async with self.db.transaction() as s:
            await enqueue(s, list(pushes), self.clock.now())

    async def rows(self) -> list[OutboxMessage]:
        async with self.db.transaction() as s:
            return list((await s.scalars(select(OutboxMessage).order_by(OutboxMessage.id))).all())

    async def states(self) -> list[str]:
        return [r.state for r in await self.rows()]


@pytest.fixture
async def world(db: Database, aiohttp_server: Any) -> Any:
    clock = FixedClock(shanghai(2026, 11, 23, 17, 0))
    apps = FakeApps(
        clock, wecom_users={"teacher-li", "parent-li", "principal-zhao"}, dingtalk_users={"ding-zhao"}
    )
    robots = FakePlatforms(clock, wecom_keys={"key-a"}, dingtalk_secrets={"tok-d": "SECret"})
    server = await aiohttp_server(apps.install(robots.app()))
    async with aiohttp.ClientSession() as http:
        w = World(db, clock, apps, str(server.make_url("")).rstrip("/"), http)
        w.robots = robots
        await load_demo(db, w.settings(), clock)
        async with db.transaction() as s:
            for user, staff, guardian in (
                await s.execute(select(Identity.user_id, Identity.staff_id, Identity.guardian_id))
            ).all():
                w.people[user] = ("staff", staff) if staff else ("guardian", guardian)
            principal = w.people["principal-zhao"][1]
            s.add(
                Identity(platform="dingtalk", user_id="ding-zhao", staff_id=principal, bound_at=clock.now())
            )
            school = await s.scalar(select(School.id))
            lonely = Guardian(school_id=school, name="无账号家长", phone="13800009999")
            s.add(lonely)
            await s.flush()
            w.people["nobody"] = ("guardian", lonely.id)
        yield w


async def test_wecom_app_messages_reach_each_person_with_one_cached_token(world: World) -> None:
    worker = world.worker()
    await world.queue(
        world.push("p1", "teacher-li", "王小明 明天请假"),
        world.push("p2", "parent-li", "**费用**\n本月已缴清", markdown=True),
        world.push("p3", "teacher-li", "李华 已接走"),
    )
    assert await world.states() == ["private"] * 3
    assert await worker.run_once() == 3
    got = world.apps.received
    assert [m["text"]["content"] for m in got["teacher-li"]] == ["王小明 明天请假", "李华 已接走"]  # in order
    assert got["parent-li"][0]["msgtype"] == "markdown" and got["parent-li"][0]["agentid"] == 1000002
    assert await world.states() == ["sent"] * 3 and world.apps.token_calls["wecom"] == 1
    world.clock.advance(minutes=30)
    await world.queue(world.push("p4", "teacher-li", "未接走 0 人"))
    await worker.run_once()
    assert world.apps.token_calls["wecom"] == 1  # still the cached token
    world.clock.advance(hours=2)  # past expires_in: fetched again before use, never refused
    await world.queue(world.push("p5", "teacher-li", "明日提醒"))
    await worker.run_once()
    assert world.apps.token_calls["wecom"] == 2 and world.apps.refused == []
    assert len(got["teacher-li"]) == 4


@pytest.mark.parametrize("how, code", [("revoked", "42001"), ("garbage", "40014")])
async def test_a_refused_wecom_token_is_refreshed_once_and_the_push_retried(
    world: World, how: str, code: str
) -> None:
    worker = world.worker()
    await world.queue(world.push("warm", "teacher-li", "预热"))
    await worker.run_once()
    if how == "revoked":
        world.apps.revoke_tokens()
    else:
        worker.messengers["wecom"].app.token.value = "not-a-token"
    await world.queue(world.push("t1", "teacher-li", "令牌过期后仍送达"))
    await worker.run_once()
    assert world.apps.refused == [code] and world.apps.token_calls["wecom"] == 2
    assert [m["text"]["content"] for m in world.apps.received["teacher-li"]] == ["预热", "令牌过期后仍送达"]
    assert await world.states() == ["sent", "sent"]


async def test_wrong_app_secret_fails_clearly_without_sending(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    settings = world.settings()
    settings.wecom.corp_secret = type(settings.wecom.corp_secret)("wrong")
    await world.queue(world.push("s1", "teacher-li", "不会送达"))
    await world.worker(settings).run_once()
    rows = await world.rows()
    assert rows[0].state == "failed" and rows[0].last_error and rows[0].last_error.startswith("40001")
    assert "check wecom.corp_id / corp_secret" in caplog.text and "wrong" not in caplog.text


async def test_dingtalk_app_robot_sends_one_to_one_with_its_own_token(world: World) -> None:
    worker = world.worker(world.settings(wecom_app=False))
    await world.queue(
        world.push("d1", "principal-zhao", "**日报**\n应到 9 实到 8", markdown=True),
        world.push("d2", "principal-zhao", "晚接 1 人"),
    )
    assert await worker.run_once() == 2
    got = world.apps.received["ding-zhao"]
    assert got == [
        {"msgKey": "sampleMarkdown", "title": "**日报**", "text": "**日报**\n应到 9 实到 8"},
        {"msgKey": "sampleText", "content": "晚接 1 人"},
    ]
    world.apps.revoke_tokens()
    await world.queue(world.push("d3", "principal-zhao", "令牌换新"))
    await worker.run_once()
    assert world.apps.refused == ["InvalidAuthentication"] and world.apps.token_calls["dingtalk"] == 2
    assert got[-1]["content"] == "令牌换新" and await world.states() == ["sent"] * 3


async def test_no_account_or_no_app_ends_as_no_channel_logged_and_counted(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    worker = world.worker(world.settings(wecom_app=False, ding_app=False))
    await world.queue(world.push("n1", "nobody", "没有账号"), world.push("n2", "teacher-li", "应用未配置"))
    assert await worker.run_once() == 0
    rows = await world.rows()
    assert [(r.state, r.last_error) for r in rows] == [
        ("no_channel", "无平台账号"),
        ("no_channel", "应用未配置: wecom"),
    ]
    assert "private push n1 has no channel" in caplog.text
    assert (
        worker.metrics.registry.get_sample_value(
            "tuoguan_pushes_total", {"platform": "none", "result": "no_channel"}
        )
        == 2
    )
    await worker.run_once()
    assert world.apps.received == {} and await world.states() == ["no_channel"] * 2  # terminal: not retried


async def test_wecom_frequency_limit_backs_off_a_minute_then_delivers(world: World) -> None:
    worker = world.worker()
    world.apps.fill_quota("teacher-li")
    await world.queue(*(world.push(f"f{i}", "teacher-li", f"消息{i}") for i in range(3)))
    await worker.run_once()
    assert world.apps.refused == ["45009"] and await world.states() == ["private"] * 3
    world.clock.advance(seconds=45)
    await worker.run_once()
    assert world.apps.refused == ["45009"]  # paused: not even tried
    world.clock.advance(seconds=20)
    await worker.run_once()
    assert [m["text"]["content"] for m in world.apps.received["teacher-li"]] == ["消息0", "消息1", "消息2"]


async def test_5xx_is_retried_with_backoff_and_an_unknown_user_is_not(world: World) -> None:
    worker = world.worker()
    world.apps.wecom_users.discard("parent-li")
    world.apps.modes["wecom"] = "5xx"
    await world.queue(world.push("r1", "teacher-li", "稍后送达"), world.push("r2", "parent-li", "查无此人"))
    await worker.run_once()
    assert await world.states() == ["private", "private"]
    world.apps.modes.clear()
    world.clock.advance(seconds=10)
    await worker.run_once()
    rows = await world.rows()
    assert [r.state for r in rows] == ["sent", "failed"] and rows[1].last_error.startswith("81013")  # type: ignore[union-attr]
    assert len(world.apps.received["teacher-li"]) == 1


@pytest.mark.parametrize("platform", ["wecom", "dingtalk"])
async def test_a_worker_killed_mid_send_does_not_send_twice_after_restart(
    world: World, platform: str
) -> None:
    user, shown_as = ("teacher-li", "teacher-li") if platform == "wecom" else ("principal-zhao", "ding-zhao")
    settings = world.settings(wecom_app=platform == "wecom")
    world.apps.modes[platform] = "hang"  # the platform takes the message, the answer never comes back
    await world.queue(world.push("k1", user, "只发一次"), world.push("k2", user, "第二条"))
    first = asyncio.create_task(world.worker(settings, "dies").run_once())
    for _ in range(200):
        await asyncio.sleep(0.01)
        if world.apps.received[shown_as]:
            break
    first.cancel()  # the process is killed here: nothing recorded after the send
    with pytest.raises(asyncio.CancelledError):
        await first
    assert await world.states() == ["sending", "sending"]
    world.apps.modes.clear()
    restarted = world.worker(settings, "restarted")
    await restarted.run_once()
    assert len(world.apps.received[shown_as]) == 1  # the lease of the dead worker still holds
    world.clock.advance(minutes=3)
    await restarted.run_once()
    texts = [
        m.get("text", {}).get("content") if platform == "wecom" else m["content"]
        for m in world.apps.received[shown_as]
    ]
    assert texts == ["只发一次", "第二条"]  # nothing twice, nothing lost
    expected = "sent" if platform == "wecom" else "unsure"  # WeCom drops the resend; DingTalk cannot
    assert await world.states() == [expected, "sent"]
    if platform == "dingtalk":
        assert (
            restarted.metrics.registry.get_sample_value(
                "tuoguan_pushes_total", {"platform": "dingtalk", "result": "unsure"}
            )
            == 1
        )


async def test_a_send_cut_off_longer_ago_than_the_dedupe_window_is_not_resent(world: World) -> None:
    world.apps.modes["wecom"] = "hang"
    await world.queue(world.push("old", "teacher-li", "断电很久"))
    first = asyncio.create_task(world.worker(name="dies").run_once())
    for _ in range(200):
        await asyncio.sleep(0.01)
        if world.apps.received["teacher-li"]:
            break
    first.cancel()
    with pytest.raises(asyncio.CancelledError):
        await first
    world.apps.modes.clear()
    world.clock.advance(minutes=45)  # down longer than WeCom's 30-minute duplicate check
    await world.worker(name="restarted").run_once()
    assert len(world.apps.received["teacher-li"]) == 1 and await world.states() == ["unsure"]


async def test_two_workers_on_postgresql_send_each_private_push_once(world: World) -> None:
    if world.db.is_sqlite:
        pytest.skip("row claims with SKIP LOCKED are the PostgreSQL multi-instance path")
    users = ["teacher-li", "parent-li", "principal-zhao"]
    await world.queue(*(world.push(f"m{i}", users[i % 3], f"第{i}条") for i in range(90)))
    one, two = world.worker(name="w1"), world.worker(name="w2")
    for _ in range(40):
        await asyncio.gather(one.run_once(), two.run_once())
        world.clock.advance(seconds=10)
    texts = sorted(m["text"]["content"] for u in users for m in world.apps.received[u])
    assert texts == sorted(f"第{i}条" for i in range(90))
    assert set(await world.states()) == {"sent"}
    assert world.apps.refused == []  # one shared 20/min window per person: never over the platform's limit
    for index, user in enumerate(users):  # each person's pushes in id order
        assert [m["text"]["content"] for m in world.apps.received[user]] == [
            f"第{i}条" for i in range(index, 90, 3)
        ]
