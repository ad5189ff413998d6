"""WeCom AI-bot long connection against the local fake server: subscribe, heartbeat, reconnect, kick, frames."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from pydantic import SecretStr

from bot.clock import SystemClock
from bot.domain.messages import Accepted, IncomingMessage, Reply
from bot.platforms import backoff
from bot.platforms.content import CAN_DO, WELCOME
from bot.platforms.wecom.long_connection import KICKED, WecomLongConnection
from bot.settings import WecomSettings
from tests.fakes.wecom_ws import FakeWecomWs, text_body, wecom_ws_server

SECRET = "bot-secret-7f3a"


class Answered(Accepted):
    def __init__(self, reply: Reply | None) -> None:
        self.fresh, self.reply = True, reply

    async def answer(self, within: float) -> Reply | None:
        return self.reply


class Inbox:
    """Records what `receive` was given and answers with an echo."""

    def __init__(self) -> None:
        self.messages: list[IncomingMessage] = []

    async def receive(self, msg: IncomingMessage) -> Accepted:
        self.messages.append(msg)
        return Answered(Reply(f"收到: {msg.text}"))


def settings(url: str, **over: Any) -> WecomSettings:
    values: dict[str, Any] = {
        "bot_id": "bot-1",
        "bot_secret": SecretStr(SECRET),
        "ws_url": url,
        "heartbeat_seconds": 0.05,
        "reconnect_min_seconds": 0.01,
        "reconnect_max_seconds": 0.05,
        "kicked_wait_seconds": 60.0,
    }
    return WecomSettings(**(values | over))


@pytest.fixture
async def fake() -> AsyncIterator[tuple[FakeWecomWs, str]]:
    server = FakeWecomWs("bot-1", SECRET)
    async with wecom_ws_server(server) as url:
        yield server, url


class Running:
    def __init__(self, client: WecomLongConnection) -> None:
        self.client, self.stop = client, asyncio.Event()
        self.task = asyncio.create_task(client.run(self.stop))

    async def close(self) -> None:
        self.stop.set()
        await asyncio.wait_for(self.task, 10)


async def start(url: str, inbox: Inbox, http: aiohttp.ClientSession, **over: Any) -> Running:
    return Running(WecomLongConnection(http, settings(url, **over), inbox.receive, SystemClock()))


async def test_wrong_secret_is_refused_logged_and_retried_with_backoff(
    fake: tuple[FakeWecomWs, str], caplog: pytest.LogCaptureFixture
) -> None:
    server, url = fake
    inbox = Inbox()
    async with aiohttp.ClientSession() as http:
        run = await start(url, inbox, http, bot_secret=SecretStr("wrong"))
        await server.wait_for(lambda: server.refused >= 3)
        assert not run.client.connected.is_set() and server.subscribes == 0
        await run.close()
    assert "WeCom refused the subscription: errcode 40058" in caplog.text


def test_backoff_doubles_to_the_cap_with_jitter() -> None:
    assert [backoff(n, 1, 60, lambda: 1.0) for n in (1, 2, 3, 7, 20)] == [1, 2, 4, 60, 60]
    assert backoff(3, 1, 60, lambda: 0.0) == 2


@pytest.mark.parametrize(
    ("body", "text", "group"),
    [
        (text_body("m1", "dad", "@托管助手 请假 明天", chatid="grp-1"), "请假 明天", True),
        (text_body("m2", "mum", "已接走", msgtype="voice"), "已接走", False),
        (
            {
                "msgid": "m3",
                "from": {"userid": "mum"},
                "chattype": "single",
                "msgtype": "mixed",
                "mixed": {
                    "msg_item": [
                        {"msgtype": "image", "image": {"url": "http://x"}},
                        {"msgtype": "text", "text": {"content": "查询"}},
                    ]
                },
            },
            "查询",
            False,
        ),
    ],
)
async def test_text_voice_and_mixed_messages_are_answered_on_their_req_id(
    fake: tuple[FakeWecomWs, str], body: dict[str, Any], text: str, group: bool
) -> None:
    server, url = fake
    inbox = Inbox()
    async with aiohttp.ClientSession() as http:
        run = await start(url, inbox, http)
        await asyncio.wait_for(run.client.connected.wait(), 10)
        req_id = await server.message(body)
        await server.wait_for(lambda: len(server.replies) == 1)
        await run.close()
    msg = inbox.messages[0]
    assert (msg.text, msg.is_group, msg.message_id) == (text, group, body["msgid"])
    assert msg.chat_id == (body.get("chatid") or body["from"]["userid"])
    reply = server.replies[0]
    assert reply["cmd"] == "aibot_respond_msg" and reply["headers"]["req_id"] == req_id
    assert reply["body"]["stream"] == {"id": body["msgid"], "finish": True, "content": f"收到: {text}"}


async def test_picture_alone_gets_what_the_bot_can_do_and_enter_chat_a_welcome(
    fake: tuple[FakeWecomWs, str],
) -> None:
    server, url = fake
    inbox = Inbox()
    async with aiohttp.ClientSession() as http:
        run = await start(url, inbox, http)
        await asyncio.wait_for(run.client.connected.wait(), 10)
        await server.message(
            {
                "msgid": "p1",
                "from": {"userid": "mum"},
                "chattype": "single",
                "msgtype": "image",
                "image": {"url": "http://x"},
            }
        )
        welcome_req = await server.event(server.live[-1], "enter_chat")
        await server.wait_for(lambda: len(server.replies) == 2)
        await run.close()
    assert inbox.messages == []
    by_cmd = {r["cmd"]: r for r in server.replies}
    assert by_cmd["aibot_respond_msg"]["body"]["stream"]["content"] == CAN_DO
    welcome = by_cmd["aibot_respond_welcome_msg"]
    assert welcome["headers"]["req_id"] == welcome_req and welcome["body"]["text"]["content"] == WELCOME
    assert "绑定" in WELCOME


async def test_unanswered_pings_drop_the_socket_and_it_reconnects(fake: tuple[FakeWecomWs, str]) -> None:
    server, url = fake
    server.answer_pings = False
    async with aiohttp.ClientSession() as http:
        run = await start(url, Inbox(), http)
        await server.wait_for(lambda: server.subscribes >= 2)
        server.answer_pings = True
        await run.close()
    assert server.pings >= 2


@pytest.mark.parametrize("how", ["close", "drop"])
async def test_a_clean_close_or_a_dropped_socket_is_followed_by_a_reconnect(
    fake: tuple[FakeWecomWs, str], how: str
) -> None:
    server, url = fake
    inbox = Inbox()
    async with aiohttp.ClientSession() as http:
        run = await start(url, inbox, http)
        await server.wait_for(lambda: server.subscribes == 1 and bool(server.live))
        if how == "close":
            await server.close_live()
        else:
            server.drop_live()
        await server.wait_for(lambda: server.subscribes == 2 and bool(server.live))
        await server.message(text_body("after", "mum", "查询"))
        await server.wait_for(lambda: len(server.replies) == 1)
        await run.close()
    assert [m.message_id for m in inbox.messages] == ["after"]


async def test_kicked_by_a_newer_connection_is_logged_and_not_fought_over(
    fake: tuple[FakeWecomWs, str], caplog: pytest.LogCaptureFixture
) -> None:
    server, url = fake
    async with aiohttp.ClientSession() as http:
        first = await start(url, Inbox(), http)
        await server.wait_for(lambda: server.subscribes == 1)
        second = await start(url, Inbox(), http)
        await server.wait_for(lambda: server.subscribes == 2 and first.client.last_outcome == KICKED)
        pings = server.pings
        await server.wait_for(lambda: server.pings >= pings + 5)  # the newer one keeps serving a while
        assert server.subscribes == 2 and second.client.connected.is_set()
        await first.close()
        await second.close()
    assert caplog.text.count("taken over by a newer connection") == 1


async def test_push_awaits_its_ack_and_reads_the_errcode(fake: tuple[FakeWecomWs, str]) -> None:
    server, url = fake
    async with aiohttp.ClientSession() as http:
        client = WecomLongConnection(http, settings(url), Inbox().receive, SystemClock())
        assert (await client.send_markdown("grp-1", "x")).outcome == "away"  # not connected: nothing sent
        run = Running(client)
        await asyncio.wait_for(client.connected.wait(), 10)
        ok = await client.send_markdown("grp-1", "**放学提醒**")
        server.send_errcode = 40008
        failed = await client.send_markdown("grp-1", "x")
        await run.close()
    assert ok.outcome == "ok" and (failed.outcome, failed.code) == ("failed", "40008")
    assert server.pushes[0]["body"] == {
        "chatid": "grp-1",
        "msgtype": "markdown",
        "markdown": {"content": "**放学提醒**"},
    }


async def test_a_refused_reply_is_logged(
    fake: tuple[FakeWecomWs, str], caplog: pytest.LogCaptureFixture
) -> None:
    server, url = fake
    server.reply_errcode = 846607
    caplog.set_level(logging.WARNING)
    async with aiohttp.ClientSession() as http:
        run = await start(url, Inbox(), http)
        await asyncio.wait_for(run.client.connected.wait(), 10)
        await server.message(text_body("m9", "mum", "查询"))
        await server.wait_for(lambda: len(server.replies) == 1)
        await run.close()
    assert "WeCom refused a reply (aibot_respond_msg): errcode 846607" in caplog.text


async def test_a_message_being_handled_on_shutdown_still_gets_its_reply(
    fake: tuple[FakeWecomWs, str],
) -> None:
    server, url = fake
    stored, entered = asyncio.Event(), asyncio.Event()

    async def slow_receive(msg: IncomingMessage) -> Accepted:
        entered.set()
        await stored.wait()
        return Answered(Reply("好"))

    async with aiohttp.ClientSession() as http:
        client = WecomLongConnection(http, settings(url), slow_receive, SystemClock())
        run = Running(client)
        await asyncio.wait_for(client.connected.wait(), 10)
        req = await server.message(text_body("s1", "mum", "已接走"))
        await asyncio.wait_for(entered.wait(), 10)
        run.stop.set()
        # Code that closed the socket at once would have done so by now (and the reply would then be lost).
        with contextlib.suppress(TimeoutError):
            await server.wait_for(lambda: not server.live, 0.5)
        stored.set()
        await run.close()
    assert [r["headers"]["req_id"] for r in server.replies] == [req]
