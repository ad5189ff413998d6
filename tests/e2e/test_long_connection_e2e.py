"""End to end over the long connections, with the real pipeline and database (SQLite and PostgreSQL):
a parent's text and voice message in and the reply out, a pickup reminder pushed to a class group through the
WeCom long connection / the DingTalk app robot, and the server dropping the socket mid-run with nothing lost."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest
from aiohttp.test_utils import TestClient
from sqlalchemy import select

from bot.app import create_app
from bot.clock import SystemClock
from bot.demo import CHAT_32, load_demo
from bot.domain.messages import Push
from bot.outbox.lifecycle import LINKS
from bot.serve import wire_background
from bot.settings import load_settings
from bot.store.db import Database
from bot.store.outbox import enqueue
from bot.store.outbox_tables import OutboxMessage
from bot.store.tables import Chat, Guardian, Identity
from tests.fakes.dingtalk_stream import FakeDingtalk, dingtalk_server, robot_data
from tests.fakes.wecom_ws import FakeWecomWs, text_body, wecom_ws_server

SECRET = "bot-secret-7f3a"
Client = Callable[..., Awaitable[TestClient]]
FAST = {"reconnect_min_seconds": 0.01, "reconnect_max_seconds": 0.05}


async def queue_reminder(db: Database, chat_ref: int, key: str) -> None:
    async with db.transaction() as s:
        await enqueue(
            s,
            [Push(key=key, text="托管将于17:30结束,请按时接孩子。", chat_ref=chat_ref)],
            SystemClock().now(),
        )


async def outbox_states(db: Database) -> dict[str, str]:
    async with db.transaction() as s:
        return {k: v for k, v in (await s.execute(select(OutboxMessage.key, OutboxMessage.state))).all()}


@pytest.fixture
async def wecom(db: Database, aiohttp_client: Client) -> AsyncIterator[tuple[FakeWecomWs, TestClient, int]]:
    server = FakeWecomWs("bot-1", SECRET)
    async with wecom_ws_server(server) as url:
        settings = load_settings(
            wecom={
                "bot_id": "bot-1",
                "bot_secret": SECRET,
                "ws_url": url,
                "heartbeat_seconds": 0.2,
                "lease_seconds": 3.0,
                **FAST,
            }
        )
        await load_demo(db, settings, SystemClock())
        async with db.transaction() as s:
            chat = (await s.scalars(select(Chat).where(Chat.chat_id == CHAT_32))).one()
            assert chat.webhook == ""  # a 群ID and no 推送地址: pushes go over the long connection
            chat_ref = chat.id
        app = create_app(settings, db=db)
        opened = wire_background(app, scheduler=False)
        assert opened and "企业微信智能机器人长连接" in opened[0]
        client = await aiohttp_client(app)
        await server.wait_for(lambda: server.subscribes == 1)
        yield server, client, chat_ref


async def test_wecom_text_and_voice_in_reply_out_and_a_reminder_pushed(
    wecom: tuple[FakeWecomWs, TestClient, int], db: Database
) -> None:
    server, _, chat_ref = wecom
    text_req = await server.message(text_body("e2e-1", "parent-wang", "@托管助手 查询", chatid=CHAT_32))
    voice_req = await server.message(
        text_body("e2e-2", "parent-wang", "查询", chatid=CHAT_32, msgtype="voice")
    )
    await server.wait_for(lambda: len(server.replies) == 2)
    by_req = {r["headers"]["req_id"]: r["body"]["stream"] for r in server.replies}
    assert by_req.keys() == {text_req, voice_req}
    for stream in by_req.values():
        assert stream["finish"] is True and "王小明(三年级2班" in stream["content"]
    await queue_reminder(db, chat_ref, "pickup-reminder:e2e")
    await server.wait_for(lambda: len(server.pushes) == 1)
    push = server.pushes[0]["body"]
    assert (
        push["chatid"] == CHAT_32
        and push["msgtype"] == "markdown"
        and "请按时接孩子" in push["markdown"]["content"]
    )
    for _ in range(50):
        if (await outbox_states(db)).get("pickup-reminder:e2e") == "sent":
            break
        await asyncio.sleep(0.1)
    assert (await outbox_states(db))["pickup-reminder:e2e"] == "sent"


async def test_wecom_socket_dropped_mid_run_loses_nothing(
    wecom: tuple[FakeWecomWs, TestClient, int], db: Database
) -> None:
    server, client, chat_ref = wecom
    # A push in flight when the socket drops: the platform may have it, so it is never sent twice (unsure).
    server.ack_sends = False
    await queue_reminder(db, chat_ref, "cut")
    await server.wait_for(lambda: len(server.pushes) == 1)
    server.drop_live()
    server.ack_sends = True
    await server.wait_for(lambda: server.subscribes == 2 and bool(server.live))
    # A push queued while the connection is down waits, then goes out once, after the reconnect.
    server.secret = "rotated"  # the connection stays down while the push is queued
    server.drop_live()
    await server.wait_for(lambda: server.refused >= 1)
    await queue_reminder(db, chat_ref, "while-down")
    server.secret = SECRET
    await server.wait_for(lambda: len(server.pushes) == 2, 20)
    msg_req = await server.message(text_body("after-drop", "parent-wang", "查询", chatid=CHAT_32))
    await server.wait_for(lambda: any(r["headers"]["req_id"] == msg_req for r in server.replies))
    for _ in range(100):
        states = await outbox_states(db)
        if states.get("while-down") == "sent" and states.get("cut") == "unsure":
            break
        await asyncio.sleep(0.1)
    assert states["cut"] == "unsure" and states["while-down"] == "sent"
    assert [p["body"]["markdown"]["content"] for p in server.pushes].count(
        "托管将于17:30结束,请按时接孩子。"
    ) == 2
    assert client.server.app[LINKS]["wecom"] is not None


@pytest.fixture
async def ding(db: Database, aiohttp_client: Client) -> AsyncIterator[tuple[FakeDingtalk, TestClient, int]]:
    server = FakeDingtalk("app-key", "app-secret-9c1d")
    async with dingtalk_server(server) as base:
        settings = load_settings(
            dingtalk={
                "app_key": "app-key",
                "app_secret": "app-secret-9c1d",
                "openapi_base": base,
                "api_base": base,
                **FAST,
            }
        )
        await load_demo(db, settings, SystemClock())
        async with db.transaction() as s:
            demo = (await s.scalars(select(Chat).where(Chat.chat_id == CHAT_32))).one()
            chat = Chat(class_group_id=demo.class_group_id, platform="dingtalk", chat_id="cid-class-1")
            s.add(chat)
            mum = (await s.scalars(select(Guardian).where(Guardian.phone == "13800001111"))).one()
            s.add(
                Identity(
                    platform="dingtalk", user_id="staff-mum", guardian_id=mum.id, bound_at=SystemClock().now()
                )
            )
            await s.flush()
            chat_ref = chat.id
        app = create_app(settings, db=db)
        opened = wire_background(app, scheduler=False)
        assert opened and "钉钉 Stream" in opened[0]
        client = await aiohttp_client(app)
        await server.wait_for(lambda: len(server.live) == 1)
        yield server, client, chat_ref


async def test_dingtalk_text_and_audio_in_reply_out_and_a_reminder_pushed(
    ding: tuple[FakeDingtalk, TestClient, int], db: Database
) -> None:
    server, _, chat_ref = ding
    hook = server.session_url()
    text = await server.robot_message(robot_data("t1", "查询", group=False, webhook=hook))
    await server.wait_for(lambda: server.acked(text) is not None and len(server.session_posts) == 1)
    await server.robot_message(robot_data("a1", "查询", group=False, msgtype="audio", webhook=hook))
    await server.wait_for(lambda: len(server.session_posts) == 2)
    answers = [p["text"]["content"] for p in server.session_posts]
    assert all("王小明" in a for a in answers), answers
    await queue_reminder(db, chat_ref, "pickup-reminder:ding")
    await server.wait_for(lambda: len(server.group_sends) == 1)
    sent = server.group_sends[0]
    assert sent["openConversationId"] == "cid-class-1" and sent["robotCode"] == "app-key"
    assert "请按时接孩子" in json.loads(sent["msgParam"])["content"]


async def test_dingtalk_socket_dropped_mid_run_loses_nothing(
    ding: tuple[FakeDingtalk, TestClient, int],
) -> None:
    server, _, _ = ding
    hook = server.session_url()
    first = await server.robot_message(robot_data("x1", "查询", webhook=hook))
    await server.wait_for(lambda: server.acked(first) is not None)
    server.drop_live()
    await server.wait_for(lambda: server.opens == 2 and len(server.live) == 1)
    second = await server.robot_message(robot_data("x2", "查询", webhook=hook))
    await server.wait_for(lambda: server.acked(second) is not None and len(server.session_posts) == 2)


async def test_wecom_private_push_goes_over_the_long_connection_without_an_app(
    wecom: tuple[FakeWecomWs, TestClient, int], db: Database
) -> None:
    server, _, _ = wecom
    async with db.transaction() as s:
        mum = (
            await s.scalars(
                select(Identity.guardian_id).where(
                    Identity.platform == "wecom", Identity.user_id == "parent-wang"
                )
            )
        ).one()
        await enqueue(
            s, [Push(key="private:e2e", text="王小明 今日已签到", guardian_id=mum)], SystemClock().now()
        )
    await server.wait_for(lambda: len(server.pushes) == 1)
    body = server.pushes[0]["body"]
    assert body["chatid"] == "parent-wang" and body["markdown"]["content"] == "王小明 今日已签到"
    for _ in range(50):
        if (await outbox_states(db)).get("private:e2e") == "sent":
            break
        await asyncio.sleep(0.1)
    assert (await outbox_states(db))["private:e2e"] == "sent"


async def test_wecom_private_push_cut_before_its_ack_is_unsure_like_a_group_push(
    wecom: tuple[FakeWecomWs, TestClient, int], db: Database
) -> None:
    """One delivery loop for chats and persons: a one-to-one push whose socket drops before the ack may have been
    shown, so it is `unsure` and never resent (it was `failed` before the loops were one)."""
    server, _, _ = wecom
    server.ack_sends = False
    async with db.transaction() as s:
        mum = (
            await s.scalars(
                select(Identity.guardian_id).where(
                    Identity.platform == "wecom", Identity.user_id == "parent-wang"
                )
            )
        ).one()
        await enqueue(
            s, [Push(key="private:cut", text="王小明 今日已签到", guardian_id=mum)], SystemClock().now()
        )
    await server.wait_for(lambda: len(server.pushes) == 1)
    server.drop_live()
    server.ack_sends = True
    await server.wait_for(lambda: server.subscribes == 2 and bool(server.live))
    for _ in range(50):
        if (await outbox_states(db)).get("private:cut") != "sending":
            break
        await asyncio.sleep(0.1)
    await asyncio.sleep(0.5)  # a resend would come within a few worker passes
    assert (await outbox_states(db))["private:cut"] == "unsure"
    assert len(server.pushes) == 1


async def test_wecom_frame_recovered_after_a_crash_is_answered_in_its_chat(
    db: Database, aiohttp_client: Client
) -> None:
    """Its req_id died with the socket: the answer goes as aibot_send_msg to the class group."""
    from datetime import timedelta

    from bot.domain.messages import to_record
    from bot.platforms.wecom.frames import message_from_frame

    server = FakeWecomWs("bot-1", SECRET)
    async with wecom_ws_server(server) as url:
        settings = load_settings(
            wecom={
                "bot_id": "bot-1",
                "bot_secret": SECRET,
                "ws_url": url,
                "heartbeat_seconds": 0.2,
                "lease_seconds": 3.0,
                **FAST,
            },
            inbox={"recover_every_seconds": 0.2},
        )
        await load_demo(db, settings, SystemClock())
        now = SystemClock().now()
        msg = message_from_frame(
            text_body("lost-1", "parent-wang", "@托管助手 查询", chatid=CHAT_32), now, "托管助手"
        )
        assert msg is not None
        async with db.unit_of_work() as uow:  # taken in by a process that died before handling it
            await uow.inbox.take_in(
                "wecom",
                "lost-1",
                to_record(msg),
                now - timedelta(minutes=1),
                "dead-host",
                timedelta(seconds=1),
            )
        app = create_app(settings, db=db)
        wire_background(app, scheduler=False)
        await aiohttp_client(app)
        await server.wait_for(lambda: any(p["body"]["chatid"] == CHAT_32 for p in server.pushes), 30)
    push = next(p["body"] for p in server.pushes if p["body"]["chatid"] == CHAT_32)
    assert "王小明(三年级2班" in push["markdown"]["content"]
