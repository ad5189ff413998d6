"""Over HTTP: a group never sees private answers, DingTalk replays record once, stale either way is refused."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from sqlalchemy import func, select

from bot.app import create_app
from bot.clock import SystemClock
from bot.demo import load_demo
from bot.handlers import texts
from bot.platforms import dingtalk
from bot.settings import load_settings
from bot.store.care_tables import Leave
from bot.store.db import Database
from bot.store.outbox_tables import OutboxMessage
from bot.store.tables import Chat, ClassGroup, Guardian, Identity
from tests.e2e.fuzzing import AES_KEY, DING_SECRET, TOKEN, open_wecom_reply, wecom_seal

Client = Callable[..., Awaitable[TestClient]]
GROUP_NOTE = texts.PRIVATE_IN_GROUP


@pytest.fixture
async def client(db: Database, aiohttp_client: Client) -> TestClient:
    settings = load_settings(
        wecom={"token": TOKEN, "encoding_aes_key": AES_KEY}, dingtalk={"app_secret": DING_SECRET}
    )
    await load_demo(db, settings, SystemClock())
    async with db.transaction() as s:
        mother = (await s.execute(select(Guardian.id).where(Guardian.name == "刘芳"))).scalar_one()
        c32 = (await s.execute(select(ClassGroup.id).where(ClassGroup.name == "三年级2班"))).scalar_one()
        s.add(
            Identity(
                platform="dingtalk", user_id="ding-wang", guardian_id=mother, bound_at=SystemClock().now()
            )
        )
        s.add(Chat(class_group_id=c32, platform="dingtalk", chat_id="cid-3-2"))
    return await aiohttp_client(create_app(settings, db=db))


async def in_group(client: TestClient, user: str, text: str, msgid: str) -> str:
    payload = {
        "msgid": msgid,
        "chatid": "demo-3-2",
        "chattype": "group",
        "from": {"userid": user},
        "msgtype": "text",
        "text": {"content": f"@托管助手 {text}"},
    }
    query, sealed = wecom_seal(json.dumps(payload, ensure_ascii=False))
    resp = await client.post("/wecom/callback", params=query, data=json.dumps({"encrypt": sealed["encrypt"]}))
    assert resp.status == 200
    return str(json.loads(open_wecom_reply(await resp.text()))["stream"]["content"])


async def group_pushes(db: Database) -> list[str]:
    async with db.transaction() as s:
        return list(
            (await s.scalars(select(OutboxMessage.text).where(OutboxMessage.chat_ref.is_not(None)))).all()
        )


async def private_to_sender(db: Database, key: str) -> str:
    for _ in range(100):  # queued by a tracked background task right after the answer
        async with db.transaction() as s:
            text = await s.scalar(select(OutboxMessage.text).where(OutboxMessage.key == key))
        if text is not None:
            return str(text)
        await asyncio.sleep(0.02)
    raise AssertionError(f"no private reply {key}")


@pytest.mark.parametrize(
    ("user", "text", "secret"),
    [
        ("teacher-li", "缴费 王小明 160", "160"),  # a fee amount
        ("parent-wang", "费用", "费用明细"),  # a family's statement
        ("parent-zhang-dad", "已通话", "张一一"),  # who is a left-behind child
        ("teacher-zhou", "通话 张一一 视频", "亲情"),
        ("teacher-li", "谈心 张一一 父母外出很想念", "谈心"),  # a pastoral note
    ],
)
async def test_private_answers_are_not_posted_in_the_group(
    client: TestClient, db: Database, user: str, text: str, secret: str
) -> None:
    msgid = f"g-{user}"
    assert await in_group(client, user, text, msgid) == GROUP_NOTE
    assert secret in await private_to_sender(db, f"private-reply:wecom:{msgid}")
    assert not any(secret in push for push in await group_pushes(db))


async def test_a_leave_reason_stays_out_of_the_group(client: TestClient, db: Database) -> None:
    answer = await in_group(client, "parent-wang", "王小明 请假 明天 发烧", "g-leave")
    assert "王小明" in answer and "发烧" not in answer
    assert not any("发烧" in push for push in await group_pushes(db))
    async with db.transaction() as s:  # the head teacher is told the reason privately
        told = (await s.scalars(select(OutboxMessage.text).where(OutboxMessage.staff_id.is_not(None)))).all()
    assert any("发烧" in t for t in told)
    roll = await in_group(client, "teacher-li", "点名", "g-roll")
    assert "发烧" not in roll


def ding(text: str, msg_id: str, ts_ms: int) -> tuple[dict[str, str], bytes]:
    body = {
        "msgtype": "text",
        "text": {"content": f" {text}"},
        "msgId": msg_id,
        "conversationType": "2",
        "conversationId": "cid-3-2",
        "senderStaffId": "ding-wang",
        "isInAtList": True,
    }
    ts = str(ts_ms)
    return {"timestamp": ts, "sign": dingtalk.sign(ts, DING_SECRET)}, json.dumps(
        body, ensure_ascii=False
    ).encode()


async def test_a_dingtalk_replay_within_the_hour_records_nothing_twice(
    client: TestClient, db: Database
) -> None:
    now_ms = int(time.time() * 1000)
    answers = []
    for ts in (
        now_ms - 50 * 60 * 1000,
        now_ms - 10 * 60 * 1000,
        now_ms,
    ):  # the same msgId, re-signed each time
        headers, body = ding("王小明 请假 明天", "d-replay", ts)
        resp = await client.post("/dingtalk/callback", headers=headers, data=body)
        assert resp.status == 200
        answers.append(await resp.json())
    assert answers[0] == answers[1] == answers[2] and "已为王小明请假" in answers[0]["text"]["content"]
    async with db.transaction() as s:
        assert await s.scalar(select(func.count()).select_from(Leave)) == 1
        told = await s.scalar(
            select(func.count()).select_from(OutboxMessage).where(OutboxMessage.staff_id.is_not(None))
        )
    assert told == 1


@pytest.mark.parametrize("offset_minutes", [61, -61, 24 * 60])
async def test_dingtalk_stale_or_future_timestamps_are_refused(
    client: TestClient, db: Database, offset_minutes: int
) -> None:
    headers, body = ding(
        "王小明 请假 明天", f"d-stale-{offset_minutes}", int(time.time() * 1000) - offset_minutes * 60_000
    )
    assert (await client.post("/dingtalk/callback", headers=headers, data=body)).status == 401
    async with db.transaction() as s:
        assert await s.scalar(select(func.count()).select_from(Leave)) == 0


async def test_a_wecom_replay_with_a_tampered_body_is_refused(client: TestClient, db: Database) -> None:
    payload: dict[str, Any] = {
        "msgid": "w-t",
        "chatid": "demo-3-2",
        "chattype": "group",
        "from": {"userid": "parent-wang"},
        "msgtype": "text",
        "text": {"content": "@托管助手 王小明 请假 明天"},
    }
    query, _ = wecom_seal(json.dumps(payload, ensure_ascii=False))
    _, other = wecom_seal(json.dumps({**payload, "from": {"userid": "teacher-li"}}, ensure_ascii=False))
    resp = await client.post("/wecom/callback", params=query, data=json.dumps({"encrypt": other["encrypt"]}))
    assert resp.status == 403  # the signature covers the ciphertext: a swapped body fails
    async with db.transaction() as s:
        assert await s.scalar(select(func.count()).select_from(Leave)) == 0
