"""/metrics moves when it should: messages by command and outcome, latency, rejections, outbox, pushes, jobs."""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC
from typing import Any

import aiohttp
import pytest
from aiohttp.test_utils import TestClient
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import select

from bot.app import SERVICES, create_app
from bot.bootstrap import Services
from bot.clock import FixedClock
from bot.demo import load_demo
from bot.domain.messages import Push
from bot.jobs import build_jobs
from bot.jobs.runner import run_job
from bot.outbox.worker import OutboxWorker
from bot.platforms import dingtalk, wecom
from bot.settings import load_settings
from bot.store.db import Database
from bot.store.outbox import enqueue
from bot.store.tables import Chat
from tests.conftest import shanghai
from tests.fakes.platforms import FakePlatforms

TOKEN, AES_KEY = "metrics-token", "mWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2E"
DING_SECRET = "metrics-ding-secret"
CRYPTO = wecom.WecomCrypto(TOKEN, AES_KEY, "")
MONDAY = shanghai(2026, 11, 23, 16, 0)
Client = Callable[..., Awaitable[TestClient]]


@pytest.fixture
async def world(db: Database, aiohttp_client: Client, aiohttp_server: Any) -> Any:
    clock = FixedClock(MONDAY.astimezone(UTC))  # the Clock contract: aware UTC (SQLite keeps it naive)
    fake = FakePlatforms(clock, wecom_keys={"key-m"}, dingtalk_secrets={"tok-m": "SEC-m"})
    base = str((await aiohttp_server(fake.app())).make_url("")).rstrip("/")
    settings = load_settings(
        wecom={"token": TOKEN, "encoding_aes_key": AES_KEY, "api_base": base},
        dingtalk={"app_secret": DING_SECRET, "api_base": base},
    )
    await load_demo(db, settings, clock)
    async with db.transaction() as s:
        chat = (await s.scalars(select(Chat).order_by(Chat.id))).first()
        assert chat is not None
        chat.webhook = "key-m"
        s.add(
            Chat(
                class_group_id=chat.class_group_id,
                platform="dingtalk",
                chat_id="cid-m",
                webhook="tok-m",
                webhook_secret="SEC-m",
            )
        )
    client = await aiohttp_client(create_app(settings, clock=clock, db=db))
    async with db.transaction() as s:
        chats = {
            c.platform: c.id
            for c in (await s.scalars(select(Chat).where(Chat.webhook.in_(("key-m", "tok-m"))))).all()
        }
    return {"client": client, "clock": clock, "fake": fake, "chats": chats, "db": db}


async def scrape(client: TestClient) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    resp = await client.get("/metrics")
    assert resp.status == 200
    values = {}
    for family in text_string_to_metric_families(await resp.text()):
        for sample in family.samples:
            values[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return values


def value(values: dict[Any, float], name: str, **labels: str) -> float:
    return values.get((name, tuple(sorted(labels.items()))), 0.0)


async def say_wecom(world: Any, text: str, msgid: str, user: str = "parent-wang", **query: str) -> int:
    payload = {
        "msgid": msgid,
        "chatid": "demo-3-2",
        "chattype": "group",
        "from": {"userid": user},
        "msgtype": "text",
        "text": {"content": f"@托管助手 {text}"},
    }
    sealed = CRYPTO.encrypt(
        json.dumps(payload, ensure_ascii=False), str(int(world["clock"].now().timestamp()))
    )
    params = {
        "msg_signature": sealed["msgsignature"],
        "timestamp": sealed["timestamp"],
        "nonce": sealed["nonce"],
        **query,
    }
    resp = await world["client"].post(
        "/wecom/callback", params=params, data=json.dumps({"encrypt": sealed["encrypt"]})
    )
    return int(resp.status)


async def test_messages_by_command_and_outcome_with_latency(
    world: Any, caplog: pytest.LogCaptureFixture
) -> None:
    client = world["client"]
    caplog.set_level(logging.INFO, logger="bot.pipeline")
    assert await say_wecom(world, "查询", "m-1") == 200
    assert await say_wecom(world, "查询", "m-1") == 200  # a platform retry
    assert await say_wecom(world, "点名", "m-2") == 200  # a guardian may not
    assert await say_wecom(world, "请假 明天", "m-3", user="stranger") == 200
    assert await say_wecom(world, "随便说说", "m-4") == 200
    assert await say_wecom(world, "请假 明天", "m-5") == 200  # two children: which one? (refused)
    assert await say_wecom(world, "刘洋 已接走", "m-6") == 200  # another family's child (not allowed)
    values = await scrape(client)
    assert value(values, "tuoguan_messages_total", command="查询", outcome="ok") == 1
    assert value(values, "tuoguan_messages_total", command="查询", outcome="duplicate") == 1
    assert value(values, "tuoguan_messages_total", command="点名", outcome="not_allowed") == 1
    assert value(values, "tuoguan_messages_total", command="请假", outcome="unknown_sender") == 1
    assert value(values, "tuoguan_messages_total", command="unknown", outcome="not_understood") == 1
    assert value(values, "tuoguan_messages_total", command="请假", outcome="refused") == 1
    assert value(values, "tuoguan_messages_total", command="已接走", outcome="not_allowed") == 1
    assert value(values, "tuoguan_messages_total", command="已接走", outcome="ok") == 0
    assert value(values, "tuoguan_reply_seconds_count") == 7
    assert 0 < value(values, "tuoguan_reply_seconds_sum") < 7
    assert value(values, "tuoguan_reply_seconds_bucket", le="+Inf") == 7
    handled = {r.message_id: r for r in caplog.records if r.getMessage() == "message handled"}  # type: ignore[attr-defined]
    assert set(handled) == {"m-1", "m-2", "m-3", "m-4", "m-5", "m-6"}
    assert all(isinstance(r.duration_ms, float) and r.command and r.outcome for r in handled.values())  # type: ignore[attr-defined]


async def test_rejected_callbacks_are_counted_by_platform_and_status(world: Any) -> None:
    client = world["client"]
    assert await say_wecom(world, "查询", "m-9", msg_signature="0" * 40) == 403
    ts = str(int(world["clock"].now().timestamp() * 1000) - 2 * 3600 * 1000)
    resp = await client.post(
        "/dingtalk/callback", data=b"{}", headers={"timestamp": ts, "sign": dingtalk.sign(ts, DING_SECRET)}
    )
    assert resp.status == 401
    values = await scrape(client)
    assert value(values, "tuoguan_callbacks_rejected_total", platform="wecom", status="403") == 1
    assert value(values, "tuoguan_callbacks_rejected_total", platform="dingtalk", status="401") == 1
    assert value(values, "tuoguan_messages_total", command="查询", outcome="ok") == 0


async def test_outbox_depth_age_and_pushes_by_platform(world: Any) -> None:
    client, clock, db, chats = world["client"], world["clock"], world["db"], world["chats"]
    services: Services = client.app[SERVICES]
    assert await say_wecom(world, "王小明 请假 明天", "m-leave") == 200  # tells the head teacher privately
    async with db.transaction() as s:
        await enqueue(
            s,
            [
                Push(key="w1", text="通知一", chat_ref=chats["wecom"]),
                Push(key="w2", text="通知二", chat_ref=chats["wecom"]),
                Push(key="d1", text="通知三", chat_ref=chats["dingtalk"]),
            ],
            clock.now(),
        )
    clock.advance(seconds=90)
    values = await scrape(client)
    assert value(values, "tuoguan_outbox_depth", state="queued", platform="wecom") == 2
    assert value(values, "tuoguan_outbox_depth", state="queued", platform="dingtalk") == 1
    assert value(values, "tuoguan_outbox_depth", state="private", platform="none") >= 1
    assert value(values, "tuoguan_outbox_oldest_seconds", state="queued", platform="wecom") == 90

    world["fake"].modes["tok-m"] = "5xx"
    async with aiohttp.ClientSession() as http:
        worker = OutboxWorker(db, services.settings, clock, http, services.metrics, instance="m")
        assert await worker.run_once() == 2
    values = await scrape(client)
    assert value(values, "tuoguan_pushes_total", platform="wecom", result="ok") == 2
    assert value(values, "tuoguan_pushes_total", platform="dingtalk", result="retry") == 1
    assert (
        value(values, "tuoguan_outbox_depth", state="queued", platform="wecom") == 0
    )  # emptied: 0, not gone
    assert value(values, "tuoguan_outbox_depth", state="queued", platform="dingtalk") == 1

    async with db.transaction() as s:  # a chat without a robot: shown in the simulator only
        bare = (await s.scalars(select(Chat.id).where(Chat.webhook == ""))).first()
        await enqueue(s, [Push(key="sim1", text="通知四", chat_ref=bare)], clock.now())
    world["fake"].modes["tok-m"] = "broken"
    clock.advance(seconds=600)
    async with aiohttp.ClientSession() as http:
        await OutboxWorker(db, services.settings, clock, http, services.metrics, instance="m").run_once()
    values = await scrape(client)
    assert value(values, "tuoguan_pushes_total", platform="dingtalk", result="broken") == 1
    assert value(values, "tuoguan_pushes_total", platform="wecom", result="simulator") == 1
    assert value(values, "tuoguan_outbox_depth", state="queued", platform="dingtalk") == 0


async def test_job_runs_by_job_and_result(world: Any) -> None:
    client = world["client"]
    services: Services = client.app[SERVICES]
    spec = next(j for j in build_jobs() if j.name == "pickup-reminder")
    await run_job(services, spec, shanghai(2026, 11, 23, 17, 15), instance="a")  # Monday: runs
    await run_job(services, spec, shanghai(2026, 11, 23, 17, 15), instance="b")  # the same fire: taken
    await run_job(services, spec, shanghai(2026, 11, 22, 17, 15), instance="a")  # Sunday: no care
    values = await scrape(client)
    assert value(values, "tuoguan_job_runs_total", job="pickup-reminder", status="done") == 1
    assert value(values, "tuoguan_job_runs_total", job="pickup-reminder", status="taken") == 1
    assert value(values, "tuoguan_job_runs_total", job="pickup-reminder", status="skipped") == 1
