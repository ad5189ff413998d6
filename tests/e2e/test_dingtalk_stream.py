"""DingTalk Stream mode and the app robot against the local fake OpenAPI and stream."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import aiohttp
import pytest
from pydantic import SecretStr

from bot.clock import FixedClock, SystemClock
from bot.domain.messages import Accepted, IncomingMessage, Reply
from bot.platforms.base import Outgoing
from bot.platforms.content import CAN_DO
from bot.platforms.dingtalk.openapi import DingtalkAppRobot
from bot.platforms.dingtalk.stream import DingtalkReplies, DingtalkStream
from bot.settings import DingtalkSettings
from tests.e2e.test_wecom_long_connection import Answered, Inbox
from tests.fakes.dingtalk_stream import FakeDingtalk, dingtalk_server, robot_data

KEY, SECRET = "app-key", "app-secret-9c1d"


def settings(base: str, **over: Any) -> DingtalkSettings:
    values: dict[str, Any] = {
        "app_key": KEY,
        "app_secret": SecretStr(SECRET),
        "openapi_base": base,
        "api_base": base,
        "reconnect_min_seconds": 0.01,
        "reconnect_max_seconds": 0.05,
    }
    return DingtalkSettings(**(values | over))


@pytest.fixture
async def fake() -> AsyncIterator[FakeDingtalk]:
    server = FakeDingtalk(KEY, SECRET)
    async with dingtalk_server(server):
        yield server


class Running:
    def __init__(self, http: aiohttp.ClientSession, conf: DingtalkSettings, receive: Any) -> None:
        clock = SystemClock()
        self.robot = DingtalkAppRobot(http, clock, conf)
        self.client = DingtalkStream(
            http, conf, receive, clock, DingtalkReplies(http, conf, self.robot, clock)
        )
        self.stop = asyncio.Event()
        self.task = asyncio.create_task(self.client.run(self.stop))

    async def close(self) -> None:
        self.stop.set()
        await asyncio.wait_for(self.task, 10)


async def test_wrong_secret_is_refused_and_logged(
    fake: FakeDingtalk, caplog: pytest.LogCaptureFixture
) -> None:
    async with aiohttp.ClientSession() as http:
        run = Running(http, settings(fake.base, app_secret=SecretStr("wrong")), Inbox().receive)
        await fake.wait_for(lambda: fake.refused_opens >= 2)
        await run.close()
    assert fake.opens == 0 and "connections/open refused: HTTP 400 invalidClientId" in caplog.text


async def test_system_ping_is_echoed(fake: FakeDingtalk) -> None:
    async with aiohttp.ClientSession() as http:
        run = Running(http, settings(fake.base), Inbox().receive)
        await asyncio.wait_for(run.client.connected.wait(), 10)
        ping = await fake.ping()
        await fake.wait_for(lambda: fake.acked(ping) is not None)
        await run.close()
    ack = fake.acked(ping)
    assert ack is not None and ack["code"] == 200 and json.loads(ack["data"])["opaque"]


@pytest.mark.parametrize(("msgtype", "group"), [("text", True), ("audio", True), ("richText", False)])
async def test_text_audio_and_rich_text_are_acked_and_answered_on_the_session_webhook(
    fake: FakeDingtalk, msgtype: str, group: bool
) -> None:
    inbox = Inbox()
    async with aiohttp.ClientSession() as http:
        run = Running(http, settings(fake.base), inbox.receive)
        await asyncio.wait_for(run.client.connected.wait(), 10)
        mid = await fake.robot_message(
            robot_data("d1", "请假 明天", group=group, msgtype=msgtype, webhook=fake.session_url())
        )
        await fake.wait_for(lambda: len(fake.session_posts) == 1)
        await run.close()
    msg = inbox.messages[0]
    assert (msg.text, msg.is_group, msg.chat_id, msg.sender_id) == (
        "请假 明天",
        group,
        "cid-class-1",
        "staff-mum",
    )
    ack = fake.acked(mid)
    assert ack is not None and ack["code"] == 200
    assert fake.session_posts[0]["text"]["content"] == "收到: 请假 明天"


async def test_the_ack_waits_until_receive_has_stored_the_message(fake: FakeDingtalk) -> None:
    stored = asyncio.Event()
    entered = asyncio.Event()

    async def slow_receive(msg: IncomingMessage) -> Accepted:
        entered.set()
        await stored.wait()
        return Answered(Reply("好"))

    async with aiohttp.ClientSession() as http:
        run = Running(http, settings(fake.base), slow_receive)
        await asyncio.wait_for(run.client.connected.wait(), 10)
        mid = await fake.robot_message(robot_data("d2", "已接走", webhook=fake.session_url()))
        await asyncio.wait_for(entered.wait(), 10)
        ping = await fake.ping()  # frames after it are acked, so the socket has been read past the message
        await fake.wait_for(lambda: fake.acked(ping) is not None)
        assert fake.acked(mid) is None
        stored.set()
        await fake.wait_for(lambda: fake.acked(mid) is not None)
        await run.close()


@pytest.mark.parametrize("why", ["expired", "foreign host", "one-to-one"])
async def test_without_a_usable_session_webhook_the_app_robot_answers(fake: FakeDingtalk, why: str) -> None:
    webhook = {
        "expired": fake.session_url(),
        "foreign host": "https://evil.example/robot/sendBySession?session=1",
        "one-to-one": None,
    }[why]
    data = robot_data("d3", "查询", group=why != "one-to-one", webhook=webhook, expires_ms=1000)
    async with aiohttp.ClientSession() as http:
        run = Running(http, settings(fake.base), Inbox().receive)
        await asyncio.wait_for(run.client.connected.wait(), 10)
        await fake.robot_message(data)
        await fake.wait_for(lambda: bool(fake.group_sends or fake.private_sends))
        await run.close()
    assert fake.session_posts == []
    if why == "one-to-one":
        assert fake.private_sends[0]["userIds"] == ["staff-mum"]
    else:
        sent = fake.group_sends[0]
        assert (sent["openConversationId"], sent["robotCode"], sent["msgKey"]) == (
            "cid-class-1",
            KEY,
            "sampleText",
        )
        assert json.loads(sent["msgParam"]) == {"content": "收到: 查询"}


async def test_a_picture_alone_gets_what_the_bot_can_do(fake: FakeDingtalk) -> None:
    inbox = Inbox()
    async with aiohttp.ClientSession() as http:
        run = Running(http, settings(fake.base), inbox.receive)
        await asyncio.wait_for(run.client.connected.wait(), 10)
        await fake.robot_message(robot_data("d4", "", msgtype="picture", webhook=fake.session_url()))
        await fake.wait_for(lambda: len(fake.session_posts) == 1)
        await run.close()
    assert inbox.messages == [] and fake.session_posts[0]["text"]["content"] == CAN_DO


@pytest.mark.parametrize("how", ["disconnect", "drop"])
async def test_disconnect_or_a_dropped_socket_reconnects_with_a_new_ticket(
    fake: FakeDingtalk, how: str
) -> None:
    inbox = Inbox()
    async with aiohttp.ClientSession() as http:
        run = Running(http, settings(fake.base), inbox.receive)
        await fake.wait_for(lambda: len(fake.live) == 1)
        if how == "disconnect":
            await fake.disconnect()
        else:
            fake.drop_live()
        await fake.wait_for(lambda: fake.opens == 2 and len(fake.live) == 1)
        mid = await fake.robot_message(robot_data("d5", "查询", webhook=fake.session_url()))
        await fake.wait_for(lambda: fake.acked(mid) is not None and len(fake.session_posts) == 1)
        await run.close()
    assert [m.message_id for m in inbox.messages] == ["d5"]


async def test_app_robot_group_push_caches_its_token_and_reports_the_org_quota(fake: FakeDingtalk) -> None:
    async with aiohttp.ClientSession() as http:
        robot = DingtalkAppRobot(http, FixedClock(datetime(2026, 3, 2, 8, tzinfo=UTC)), settings(fake.base))
        first = await robot.send_group("cid-class-1", Outgoing("k1", "**放学提醒**", markdown=True))
        second = await robot.send_group("cid-class-1", Outgoing("k2", "x" * 30000))
        fake.group_error = (403, {"code": "Forbidden.AccessDenied.ApiCountLimitForOrg", "message": "quota"})
        quota = await robot.send_group("cid-class-1", Outgoing("k3", "x"))
    assert first.outcome == second.outcome == "ok" and fake.tokens_issued == 1
    assert fake.group_sends[0]["msgKey"] == "sampleMarkdown"
    assert len(fake.group_sends) == 4  # 30,000 bytes went as three parts under 15,000 bytes each
    assert (quota.outcome, quota.code) == ("quota", "Forbidden.AccessDenied.ApiCountLimitForOrg")


async def test_app_robot_group_push_sends_the_chart_as_an_image_after_the_text(fake: FakeDingtalk) -> None:
    png = b"\x89PNG\r\n\x1a\n" + b"chart" * 100
    async with aiohttp.ClientSession() as http:
        robot = DingtalkAppRobot(http, FixedClock(datetime(2026, 3, 2, 8, tzinfo=UTC)), settings(fake.base))
        result = await robot.send_group("cid-class-1", Outgoing("chart", "今日托管", image=png))
    assert result.outcome == "ok"
    assert [s["msgKey"] for s in fake.group_sends] == ["sampleText", "sampleImageMsg"]
    photo = json.loads(fake.group_sends[1]["msgParam"])["photoURL"]
    assert fake.media[photo] == png


@pytest.mark.parametrize("how", ["stop", "disconnect"])
async def test_a_message_being_stored_is_still_acked_on_shutdown_or_disconnect(
    fake: FakeDingtalk, how: str
) -> None:
    stored, entered = asyncio.Event(), asyncio.Event()

    async def slow_receive(msg: IncomingMessage) -> Accepted:
        entered.set()
        await stored.wait()
        return Answered(Reply("好"))

    async with aiohttp.ClientSession() as http:
        run = Running(http, settings(fake.base), slow_receive)
        await asyncio.wait_for(run.client.connected.wait(), 10)
        mid = await fake.robot_message(robot_data("d9", "已接走", webhook=fake.session_url()))
        await asyncio.wait_for(entered.wait(), 10)
        if how == "stop":
            run.stop.set()
        else:
            await fake.disconnect()
        # Code that closed the socket at once would have done so by now (and its ack would then be lost).
        with contextlib.suppress(TimeoutError):
            await fake.wait_for(lambda: not fake.live, 0.5)
        stored.set()
        await fake.wait_for(lambda: fake.acked(mid) is not None)
        await run.close()


async def test_an_unreachable_openapi_is_a_network_problem_not_wrong_credentials(
    caplog: pytest.LogCaptureFixture,
) -> None:
    import socket

    with socket.socket() as probe:  # a free port, closed again: nothing listens there
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    conf = settings(f"http://127.0.0.1:{port}")
    async with aiohttp.ClientSession() as http:
        clock = SystemClock()
        robot = DingtalkAppRobot(http, clock, conf)
        client = DingtalkStream(http, conf, Inbox().receive, clock, DingtalkReplies(http, conf, robot, clock))
        assert await client._session(asyncio.Event()) == "lost"
    assert "unreachable" in caplog.text and "Check dingtalk.app_key" not in caplog.text
