"""Signed and encrypted platform callbacks over HTTP against a real database (SQLite and PostgreSQL)."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient
from sqlalchemy import func, select

from bot.app import SERVICES, create_app
from bot.clock import SystemClock
from bot.demo import load_demo
from bot.domain.privacy import has_phone
from bot.handlers import texts
from bot.outbox.worker import OutboxWorker
from bot.platforms import dingtalk, wecom
from bot.settings import load_settings
from bot.store.care_tables import Leave
from bot.store.db import Database
from bot.store.outbox_tables import OutboxMessage
from bot.store.people import identify

TOKEN, AES_KEY = "tuoguan-token", "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C"
DING_SECRET = "ding-app-secret"
Client = Callable[..., Awaitable[TestClient]]


@pytest.fixture
async def client(db: Database, aiohttp_client: Client) -> TestClient:
    settings = load_settings(
        wecom={"token": TOKEN, "encoding_aes_key": AES_KEY},
        dingtalk={"app_secret": DING_SECRET},
        server={"max_body_bytes": 16 * 1024},
    )
    await load_demo(db, settings, SystemClock())
    return await aiohttp_client(create_app(settings, db=db))


CRYPTO = wecom.WecomCrypto(TOKEN, AES_KEY, "")


def ai_bot_body(text: str, msgid: str, user: str = "parent-wang", **extra: Any) -> tuple[dict[str, str], str]:
    payload = {
        "msgid": msgid,
        "aibotid": "bot1",
        "chatid": "demo-3-2",
        "chattype": "group",
        "from": {"userid": user},
        "response_url": extra.pop("response_url", "http://127.0.0.1:9/none"),
        "msgtype": "text",
        "text": {"content": f"@托管助手 {text}"},
        **extra,
    }
    sealed = CRYPTO.encrypt(json.dumps(payload, ensure_ascii=False), str(int(time.time())))
    query = {
        "msg_signature": sealed["msgsignature"],
        "timestamp": sealed["timestamp"],
        "nonce": sealed["nonce"],
    }
    return query, json.dumps({"encrypt": sealed["encrypt"]})


def open_reply(body: dict[str, str]) -> dict[str, Any]:
    return json.loads(CRYPTO.decrypt(body["encrypt"], body["msgsignature"], body["timestamp"], body["nonce"]))


async def test_ai_bot_message_gets_an_encrypted_stream_reply(client: TestClient) -> None:
    query, body = ai_bot_body("查询", "ai-1")
    resp = await client.post("/wecom/callback", params=query, data=body)
    assert resp.status == 200
    reply = open_reply(await resp.json())
    assert reply["msgtype"] == "stream" and reply["stream"]["finish"] is True
    assert "王小明(三年级2班" in reply["stream"]["content"]


async def test_a_retried_callback_records_once_and_answers_the_same(client: TestClient, db: Database) -> None:
    query, body = ai_bot_body("王小明 请假 明天 发烧", "ai-retry")
    first = open_reply(await (await client.post("/wecom/callback", params=query, data=body)).json())
    again = open_reply(await (await client.post("/wecom/callback", params=query, data=body)).json())
    assert first["stream"]["content"] == again["stream"]["content"]
    assert "发烧" not in first["stream"]["content"]
    async with db.transaction() as s:
        assert await s.scalar(select(func.count()).select_from(Leave)) == 1


async def test_racing_identical_callbacks_record_once_and_answer_the_same(
    client: TestClient, db: Database
) -> None:
    query, body = ai_bot_body("王小明 请假 明天", "ai-race")
    answers = await asyncio.gather(
        *(client.post("/wecom/callback", params=query, data=body) for _ in range(2))
    )
    assert [r.status for r in answers] == [200, 200]
    first, second = [open_reply(await r.json())["stream"]["content"] for r in answers]
    assert first == second
    async with db.transaction() as s:
        assert await s.scalar(select(func.count()).select_from(Leave)) == 1


async def test_a_private_answer_to_a_group_message_is_queued_for_the_sender(
    client: TestClient, db: Database
) -> None:
    """The private answer is queued in the message's own unit of work: a retry queues nothing more."""
    query, body = ai_bot_body("费用", "ai-private")
    for _ in range(2):
        resp = await client.post("/wecom/callback", params=query, data=body)
        assert open_reply(await resp.json())["stream"]["content"] == texts.PRIVATE_IN_GROUP
    async with db.transaction() as s:
        actor = await identify(s, "wecom", "parent-wang")
        rows = (
            await s.execute(select(OutboxMessage.guardian_id, OutboxMessage.key, OutboxMessage.state))
        ).all()
    assert [tuple(r) for r in rows] == [(actor.guardian_id, "private-reply:wecom:ai-private", "private")]


async def test_group_robot_xml_callback(client: TestClient) -> None:
    inner = (
        "<xml><WebhookUrl>http://127.0.0.1:9/hook</WebhookUrl><MsgId>r-1</MsgId><ChatId>demo-3-2</ChatId>"
        "<ChatType>group</ChatType><From><UserId>teacher-li</UserId><Name>李梅</Name></From>"
        "<MsgType>text</MsgType><Text><Content>@托管助手 点名</Content></Text></xml>"
    )
    sealed = CRYPTO.encrypt(inner, str(int(time.time())))
    query = {
        "msg_signature": sealed["msgsignature"],
        "timestamp": sealed["timestamp"],
        "nonce": sealed["nonce"],
    }
    resp = await client.post(
        "/wecom/callback", params=query, data=f"<xml><Encrypt>{sealed['encrypt']}</Encrypt></xml>"
    )
    assert resp.status == 200
    from defusedxml import ElementTree

    envelope = ElementTree.fromstring(await resp.text())
    plain = CRYPTO.decrypt(
        envelope.findtext("Encrypt") or "",
        envelope.findtext("MsgSignature") or "",
        envelope.findtext("TimeStamp") or "",
        envelope.findtext("Nonce") or "",
    )
    assert "应到" in (ElementTree.fromstring(plain).findtext("Text/Content") or "")


async def test_url_verification(client: TestClient) -> None:
    now = str(int(time.time()))
    sealed = CRYPTO.encrypt("echo-12345", now)
    query = {
        "msg_signature": sealed["msgsignature"],
        "timestamp": now,
        "nonce": sealed["nonce"],
        "echostr": sealed["encrypt"],
    }
    resp = await client.get("/wecom/callback", params=query)
    assert resp.status == 200 and await resp.text() == "echo-12345"


@pytest.mark.parametrize(
    ("mutate", "status"),
    [
        (lambda q, b: ({**q, "msg_signature": "0" * 40}, b), 403),
        (lambda q, b: ({k: v for k, v in q.items() if k != "nonce"}, b), 400),
        (lambda q, b: (q, "{not json"), 400),
        (lambda q, b: (q, json.dumps({"encrypt": 12})), 400),
        (lambda q, b: (q, json.dumps(["encrypt"])), 400),
        (lambda q, b: (q, "plain text"), 400),
        (lambda q, b: (q, '<!DOCTYPE x [<!ENTITY a "b">]><xml><Encrypt>&a;</Encrypt></xml>'), 400),
        (lambda q, b: (q, "x" * 20_000), 413),
    ],
    ids=[
        "bad-signature",
        "missing-nonce",
        "malformed-json",
        "wrong-type",
        "json-array",
        "not-json-or-xml",
        "xml-entities",
        "oversize",
    ],
)
async def test_wecom_rejections(
    client: TestClient, mutate: Any, status: int, caplog: pytest.LogCaptureFixture
) -> None:
    query, body = ai_bot_body("查询", "ai-bad")
    query, body = mutate(query, body)
    resp = await client.post("/wecom/callback", params=query, data=body)
    assert resp.status == status
    assert any("wecom callback rejected" in r.getMessage() for r in caplog.records)
    assert TOKEN not in caplog.text and AES_KEY not in caplog.text


@pytest.mark.parametrize("age", [2 * 3600, -2 * 3600])
async def test_wecom_stale_timestamp_is_refused_even_when_signed(client: TestClient, age: int) -> None:
    payload = {
        "msgid": "ai-old",
        "chatid": "demo-3-2",
        "chattype": "group",
        "from": {"userid": "parent-wang"},
        "msgtype": "text",
        "text": {"content": "@托管助手 查询"},
    }
    sealed = CRYPTO.encrypt(json.dumps(payload, ensure_ascii=False), str(int(time.time()) - age))
    query = {
        "msg_signature": sealed["msgsignature"],
        "timestamp": sealed["timestamp"],
        "nonce": sealed["nonce"],
    }
    resp = await client.post("/wecom/callback", params=query, data=json.dumps({"encrypt": sealed["encrypt"]}))
    assert resp.status == 401
    fresh = CRYPTO.encrypt(json.dumps(payload, ensure_ascii=False), str(int(time.time())))
    query = {"msg_signature": fresh["msgsignature"], "timestamp": fresh["timestamp"], "nonce": fresh["nonce"]}
    assert (
        await client.post("/wecom/callback", params=query, data=json.dumps({"encrypt": fresh["encrypt"]}))
    ).status == 200


def ding_headers(ts_ms: int | None = None, secret: str = DING_SECRET) -> dict[str, str]:
    ts = str(ts_ms if ts_ms is not None else int(time.time() * 1000))
    return {"timestamp": ts, "sign": dingtalk.sign(ts, secret), "Content-Type": "application/json"}


def ding_body(text: str, msg_id: str, **extra: Any) -> str:
    return json.dumps(
        {
            "msgtype": "text",
            "text": {"content": f" {text}"},
            "msgId": msg_id,
            "conversationType": "2",
            "conversationId": "cidDEMO",
            "senderStaffId": "ding-user",
            "senderNick": "某家长",
            "isInAtList": True,
            "sessionWebhook": "http://127.0.0.1:9/s",
            **extra,
        },
        ensure_ascii=False,
    )


async def test_dingtalk_signed_callback_is_answered_in_the_response(client: TestClient) -> None:
    resp = await client.post("/dingtalk/callback", headers=ding_headers(), data=ding_body("查询", "d-1"))
    assert resp.status == 200
    body = await resp.json()
    assert body["msgtype"] == "text" and "绑定" in body["text"]["content"]  # an unknown sender gets the hint
    again = await client.post("/dingtalk/callback", headers=ding_headers(), data=ding_body("查询", "d-1"))
    assert (await again.json()) == body


async def test_dingtalk_group_message_not_for_the_bot(client: TestClient) -> None:
    resp = await client.post(
        "/dingtalk/callback", headers=ding_headers(), data=ding_body("大家好", "d-2", isInAtList=False)
    )
    assert (await resp.json()) == {"msgtype": "empty"}


@pytest.mark.parametrize(
    ("headers", "body", "status"),
    [
        (lambda: ding_headers(secret="forged"), None, 403),
        (lambda: ding_headers(int(time.time() * 1000) - 2 * 3600 * 1000), None, 401),
        (lambda: {"timestamp": str(int(time.time() * 1000))}, None, 401),
        (ding_headers, "{oops", 400),
        (ding_headers, json.dumps({"msgId": 1}), 400),
        (ding_headers, "y" * 20_000, 413),
    ],
    ids=["forged", "stale", "missing-sign", "malformed", "wrong-types", "oversize"],
)
async def test_dingtalk_rejections(client: TestClient, headers: Any, body: str | None, status: int) -> None:
    resp = await client.post("/dingtalk/callback", headers=headers(), data=body or ding_body("查询", "d-x"))
    assert resp.status == status


async def test_dingtalk_fails_closed_without_a_secret(db: Database, aiohttp_client: Client) -> None:
    client = await aiohttp_client(create_app(load_settings(), db=db))
    resp = await client.post("/dingtalk/callback", headers=ding_headers(), data=ding_body("查询", "d-3"))
    assert resp.status == 403
    resp = await client.get("/wecom/callback", params={"echostr": "x"})
    assert resp.status == 403


async def _slow_callback(
    db: Database,
    aiohttp_client: Client,
    monkeypatch: pytest.MonkeyPatch,
    msgid: str,
    resp_url: str,
    one_step: bool = True,
) -> tuple[TestClient, Any]:
    """A 查询 whose handling ends after the reply budget, so the callback is answered 200 empty: the late path.

    One step: the handler takes longer than the budget (it holds the loop, as a slow unit does). Two steps:
    the handling is held until the callback has been answered."""
    base = resp_url.rsplit("/", 1)[0]  # the fake platform's host: late replies go only there
    settings = load_settings(
        wecom={"token": TOKEN, "encoding_aes_key": AES_KEY, "api_base": base},
        server={"reply_budget_seconds": 0.05},
        inbox={"one_step": one_step},
    )
    await load_demo(db, settings, SystemClock())
    app = create_app(settings, db=db)
    services = app[SERVICES]
    release = asyncio.Event()
    handle, decide = services.pipeline._once, services.pipeline._decide

    async def held(*args: Any) -> Any:
        await release.wait()
        return await handle(*args)

    async def slow(*args: Any) -> Any:
        time.sleep(0.1)  # noqa: ASYNC251 (the unit holds the loop past the budget, as a slow one does)
        return await decide(*args)

    if one_step:
        monkeypatch.setattr(services.pipeline, "_decide", slow)
    else:
        monkeypatch.setattr(services.pipeline, "_once", held)
    client = await aiohttp_client(app)
    query, body = ai_bot_body("查询", msgid, response_url=resp_url)
    resp = await client.post("/wecom/callback", params=query, data=body)
    assert resp.status == 200 and await resp.text() == ""
    release.set()
    await services.inbox.drain(5)
    return client, services


@pytest.mark.parametrize("one_step", [True, False])
async def test_slow_answers_go_to_response_url(
    db: Database, aiohttp_client: Client, aiohttp_server: Any, monkeypatch: pytest.MonkeyPatch, one_step: bool
) -> None:
    received: list[dict[str, Any]] = []

    async def response_url(request: web.Request) -> web.Response:
        received.append(await request.json())
        return web.json_response({"errcode": 0})

    fake = web.Application()
    fake.router.add_post("/resp", response_url)
    server = await aiohttp_server(fake)
    _, services = await _slow_callback(
        db, aiohttp_client, monkeypatch, "ai-slow", str(server.make_url("/resp")), one_step
    )
    async with (
        aiohttp.ClientSession() as http
    ):  # the late reply was queued with the change: the outbox posts it
        await OutboxWorker(db, services.settings, services.clock, http, services.metrics).run_once()
    assert len(received) == 1
    assert received[0]["msgtype"] == "markdown" and "王小明" in received[0]["markdown"]["content"]


async def test_a_late_reply_refused_with_an_errcode_is_not_taken_as_sent(
    db: Database, aiohttp_client: Client, aiohttp_server: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The platforms answer HTTP 200 even when they refuse (45009 too fast): the refusal is not taken as sent."""

    async def throttled(request: web.Request) -> web.Response:
        await request.read()
        return web.json_response({"errcode": 45009, "errmsg": "api freq out of limit"})

    fake = web.Application()
    fake.router.add_post("/resp", throttled)
    server = await aiohttp_server(fake)
    _, services = await _slow_callback(
        db, aiohttp_client, monkeypatch, "ai-throttled", str(server.make_url("/resp"))
    )
    async with aiohttp.ClientSession() as http:
        await OutboxWorker(db, services.settings, services.clock, http, services.metrics).run_once()
    async with db.transaction() as s:
        row = (
            await s.execute(
                select(OutboxMessage.state, OutboxMessage.last_error).where(
                    OutboxMessage.key == "late-reply:wecom:ai-throttled"
                )
            )
        ).one()
    assert tuple(row) == ("queued", "45009")  # waits for another try (in the class group's line)


async def test_no_phone_number_in_a_group_reply(client: TestClient, caplog: pytest.LogCaptureFixture) -> None:
    hint = await client.post("/dingtalk/callback", headers=ding_headers(), data=ding_body("查询", "d-p1"))
    content = (await hint.json())["text"]["content"]
    assert "绑定 张小华" in content and not has_phone(
        content
    )  # the unknown sender's hint, read by the whole group
    bad = await client.post(
        "/dingtalk/callback", headers=ding_headers(), data=ding_body("绑定 13800001111", "d-p2")
    )
    content = (await bad.json())["text"]["content"]
    assert "绑定" in content and not has_phone(content)
    assert "13800001111" not in caplog.text


async def test_storing_and_answering_share_one_reply_budget(
    db: Database, aiohttp_client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A slow intake leaves less time to wait for the answer: the callback never takes two budgets."""
    from bot import inbox as inbox_module

    settings = load_settings(
        wecom={"token": TOKEN, "encoding_aes_key": AES_KEY},
        server={"reply_budget_seconds": 1.0},
        inbox={"one_step": False},  # the answer is waited for after the intake (one step: no wait at all)
    )
    await load_demo(db, settings, SystemClock())
    app = create_app(settings, db=db)
    services = app[SERVICES]
    receive, waited = services.inbox.receive, []

    async def slow_receive(msg: Any, store_within: float | None = None) -> Any:
        await asyncio.sleep(0.4)  # the database is slow to take the message in
        return await receive(msg, store_within)

    answer = inbox_module._Live.answer

    async def recording_answer(self: Any, within: float) -> Any:
        waited.append(within)
        return await answer(self, within)

    monkeypatch.setattr(services.inbox, "receive", slow_receive)
    monkeypatch.setattr(inbox_module._Live, "answer", recording_answer)
    client = await aiohttp_client(app)
    query, body = ai_bot_body("查询", "ai-budget")
    assert (await client.post("/wecom/callback", params=query, data=body)).status == 200
    assert len(waited) == 1 and waited[0] <= 0.6 + 0.05  # what is left of the 1.0 s, not a fresh 1.0 s
