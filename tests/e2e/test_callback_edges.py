"""Callbacks under attack: deeply nested JSON, a DingTalk sign replayed with another body, foreign robots and
corps, late replies aimed at hosts other than the platforms' own (SQLite and PostgreSQL)."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from prometheus_client.parser import text_string_to_metric_families

from bot.app import create_app
from bot.clock import FixedClock, SystemClock
from bot.demo import load_demo
from bot.platforms import wecom
from bot.settings import load_settings
from bot.store.db import Database

TOKEN, AES_KEY = "edge-token", "eWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2D"
DING_SECRET = "edge-ding-secret"
CRYPTO = wecom.WecomCrypto(TOKEN, AES_KEY, "")
Client = Callable[..., Awaitable[TestClient]]
DEEP = 20_000  # far past Python's recursion limit, within max_body_bytes even encrypted


@pytest.fixture
async def client(db: Database, aiohttp_client: Client) -> TestClient:
    settings = load_settings(
        wecom={"token": TOKEN, "encoding_aes_key": AES_KEY},
        dingtalk={"app_secret": DING_SECRET},
        server={"max_body_bytes": 256 * 1024},
    )
    await load_demo(db, settings, SystemClock())
    return await aiohttp_client(create_app(settings, db=db))


async def rejected(client: TestClient, platform: str, status: str) -> float:
    resp = await client.get("/metrics")
    for family in text_string_to_metric_families(await resp.text()):
        for sample in family.samples:
            if sample.name == "tuoguan_callbacks_rejected_total" and sample.labels == {
                "platform": platform,
                "status": status,
            }:
                return sample.value
    return 0.0


def ding_headers(ts_ms: int | None = None) -> dict[str, str]:
    from bot.platforms import dingtalk

    ts = str(ts_ms if ts_ms is not None else int(time.time() * 1000))
    return {"timestamp": ts, "sign": dingtalk.sign(ts, DING_SECRET)}


def wecom_query(plaintext: str) -> tuple[dict[str, str], str]:
    sealed = CRYPTO.encrypt(plaintext, str(int(time.time())))
    return (
        {"msg_signature": sealed["msgsignature"], "timestamp": sealed["timestamp"], "nonce": sealed["nonce"]},
        sealed["encrypt"],
    )


@pytest.mark.parametrize("opener", ["[", '{"a":'])
async def test_deeply_nested_json_is_a_counted_rejection(
    client: TestClient, caplog: pytest.LogCaptureFixture, opener: str
) -> None:
    caplog.set_level(logging.WARNING)
    deep = opener * DEEP
    query, _ = wecom_query("{}")
    outer = '{"encrypt": "x", "a": ' + deep
    resp = await client.post("/wecom/callback", params=query, data=outer)  # before the signature check
    assert resp.status == 400
    resp = await client.post("/dingtalk/callback", headers=ding_headers(), data=deep)
    assert resp.status == 400
    # Nested inside a correctly signed and encrypted WeCom message too.
    query, sealed = wecom_query('{"msgid": "deep", "x": ' + deep)
    resp = await client.post("/wecom/callback", params=query, data=json.dumps({"encrypt": sealed}))
    assert resp.status == 400
    assert await rejected(client, "wecom", "400") == 2
    assert await rejected(client, "dingtalk", "400") == 1
    lines = [r.getMessage() for r in caplog.records if "callback rejected" in r.getMessage()]
    assert len(lines) == 3 and all("nested" in line for line in lines), lines


async def test_reasonably_nested_json_still_parses(client: TestClient) -> None:
    body: dict[str, Any] = {
        "msgtype": "text",
        "text": {"content": "查询"},
        "msgId": "ok-nest",
        "conversationType": "1",
        "conversationId": "c",
        "senderStaffId": "u",
        "extra": json.loads("[" * 30 + "]" * 30),
        "note": '[[[[ {{{{ \\" [[[[',
    }
    resp = await client.post("/dingtalk/callback", headers=ding_headers(), data=json.dumps(body))
    assert resp.status == 200


def ding_body(text: str, msg_id: str, **extra: Any) -> bytes:
    body = {
        "msgtype": "text",
        "text": {"content": f" {text}"},
        "msgId": msg_id,
        "conversationType": "2",
        "conversationId": "demo-ding",
        "senderStaffId": "ding-wang",
        "isInAtList": True,
        **extra,
    }
    return json.dumps(body, ensure_ascii=False).encode()


async def test_a_dingtalk_sign_serves_only_the_messages_of_its_moment(
    db: Database, aiohttp_client: Client
) -> None:
    # DingTalk signs only the timestamp (ms): two messages sent in the same millisecond share the headers and
    # both go through; another body under those headers after the moment of their first use is a replay.
    settings = load_settings(dingtalk={"app_secret": DING_SECRET})
    clock = FixedClock(datetime.now(UTC))
    await load_demo(db, settings, clock)
    client = await aiohttp_client(create_app(settings, db=db, clock=clock))
    headers = ding_headers(int(clock.now().timestamp() * 1000))
    first = await client.post("/dingtalk/callback", headers=headers, data=ding_body("查询", "d-1"))
    assert first.status == 200
    twin = await client.post("/dingtalk/callback", headers=headers, data=ding_body("查询", "d-same-ms"))
    assert twin.status == 200  # sent in the same millisecond: the same headers, another message
    clock.advance(seconds=6)
    again = await client.post("/dingtalk/callback", headers=headers, data=ding_body("查询", "d-1"))
    assert again.status == 200  # the platform retrying the same message
    forged = await client.post("/dingtalk/callback", headers=headers, data=ding_body("全部已接走", "d-evil"))
    assert forged.status == 401
    # A second instance on the same database agrees.
    other_db = Database(db.url.render_as_string(hide_password=False))
    try:
        other = await aiohttp_client(create_app(settings, db=other_db, clock=clock))
        assert (
            await other.post("/dingtalk/callback", headers=headers, data=ding_body("日报", "d-evil2"))
        ).status == 401
        fresh = ding_headers(int(clock.now().timestamp() * 1000) - 1)
        assert (
            await other.post("/dingtalk/callback", headers=fresh, data=ding_body("查询", "d-2"))
        ).status == 200
    finally:
        await other_db.dispose()
    assert await rejected(client, "dingtalk", "401") == 1


@pytest.mark.parametrize(
    ("extra", "status"),
    [
        ({}, 403),
        ({"robotCode": "ding-other", "chatbotCorpId": "corp-a"}, 403),
        ({"robotCode": "ding-robot", "chatbotCorpId": "corp-b"}, 403),
        ({"robotCode": "ding-robot", "chatbotCorpId": "corp-a"}, 200),
    ],
)
async def test_dingtalk_robot_and_corp_must_match_where_set(
    db: Database, aiohttp_client: Client, extra: dict[str, str], status: int
) -> None:
    settings = load_settings(
        dingtalk={"app_secret": DING_SECRET, "robot_code": "ding-robot", "corp_id": "corp-a"}
    )
    client = await aiohttp_client(create_app(settings, db=db))
    resp = await client.post(
        "/dingtalk/callback", headers=ding_headers(), data=ding_body("查询", "d-rc", **extra)
    )
    assert resp.status == status


async def test_late_replies_go_to_the_platforms_own_hosts_only(
    db: Database,
    aiohttp_client: Client,
    aiohttp_server: Any,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Handling that ends past the budget: every answer goes late, through the outbox; to api_base's host it
    arrives, elsewhere it is never posted."""

    import aiohttp
    from aiohttp import web

    from bot.app import SERVICES
    from bot.outbox.worker import OutboxWorker

    hits: dict[str, list[str]] = {"platform": [], "attacker": []}

    def recorder(name: str) -> web.Application:
        async def take(request: web.Request) -> web.Response:
            hits[name].append(request.path)
            return web.json_response({"errcode": 0})

        fake = web.Application()
        fake.router.add_post("/{tail:.*}", take)
        return fake

    platform = await aiohttp_server(recorder("platform"))
    attacker = await aiohttp_server(recorder("attacker"))
    base = str(platform.make_url("")).rstrip("/")
    settings = load_settings(
        wecom={"token": TOKEN, "encoding_aes_key": AES_KEY, "api_base": base},
        dingtalk={"app_secret": DING_SECRET, "api_base": base},
        server={"reply_budget_seconds": 0.05},
    )
    await load_demo(db, settings, SystemClock())
    app = create_app(settings, db=db)
    services = app[SERVICES]
    decide = services.pipeline._decide

    async def slow(*args: Any) -> Any:
        time.sleep(0.1)  # noqa: ASYNC251 (the unit holds the loop past the budget, as a slow one does)
        return await decide(*args)

    monkeypatch.setattr(services.pipeline, "_decide", slow)
    client = await aiohttp_client(app)
    caplog.set_level(logging.WARNING)
    for name, server in (("own", platform), ("evil", attacker)):
        payload = {
            "msgid": f"w-{name}",
            "chatid": "demo-3-2",
            "chattype": "group",
            "from": {"userid": "parent-wang"},
            "response_url": str(server.make_url(f"/resp/{name}")),
            "msgtype": "text",
            "text": {"content": "@托管助手 查询"},
        }
        query, sealed = wecom_query(json.dumps(payload, ensure_ascii=False))
        resp = await client.post("/wecom/callback", params=query, data=json.dumps({"encrypt": sealed}))
        assert resp.status == 200
        body = ding_body("查询", f"d-{name}", sessionWebhook=str(server.make_url(f"/session/{name}")))
        resp = await client.post(
            "/dingtalk/callback", headers=ding_headers(int(time.time() * 1000) - len(name)), data=body
        )
        assert resp.status == 200
    await services.inbox.drain(10)
    async with aiohttp.ClientSession() as http:
        await OutboxWorker(db, settings, services.clock, http, services.metrics).run_once()
    assert sorted(hits["platform"]) == ["/resp/own", "/session/own"]
    assert hits["attacker"] == []
    assert "WeCom response_url refused" in caplog.text and "DingTalk sessionWebhook refused" in caplog.text


def test_parsers_keep_only_platform_reply_urls_and_set_route_kind_and_expiry() -> None:
    from datetime import UTC, datetime, timedelta

    from bot.platforms import dingtalk
    from bot.settings import DingtalkSettings

    now = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)
    ai = {
        "msgid": "m",
        "chattype": "group",
        "chatid": "c",
        "from": {"userid": "u"},
        "msgtype": "text",
        "text": {"content": "查询"},
    }
    for url, kept in (
        ("https://qyapi.weixin.qq.com/cgi-bin/aibot/response?response_code=x", True),
        ("https://qyapi.weixin.qq.com.evil.example/r", False),
        ("http://qyapi.weixin.qq.com/r", False),
        ("https://evil@qyapi.weixin.qq.com/r", False),
        ("http://127.0.0.1:8080/r", False),
        ("javascript:alert(1)", False),
    ):
        msg = wecom.parse_ai_bot(json.dumps({**ai, "response_url": url}), now, "托管助手").message
        assert msg is not None and msg.reply_kind == "wecom_ai_bot"
        assert (msg.reply_url, msg.reply_expires_at) == (
            (url, now + timedelta(hours=1)) if kept else (None, None)
        )
    xml = (
        "<xml><WebhookUrl>{}</WebhookUrl><MsgId>9</MsgId><ChatId>wrC</ChatId><ChatType>group</ChatType>"
        "<From><UserId>u1</UserId></From><MsgType>text</MsgType><Text><Content>@托管助手 查询</Content></Text></xml>"
    )
    for hook in (
        "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k",
        "http://in.qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k",
    ):  # as WeCom's callbacks name it
        robot = wecom.parse_group_robot(xml.format(hook), now, "托管助手")
        assert robot.message is not None and robot.message.reply_kind == "wecom_group_robot"
        assert robot.reply_to == robot.message.reply_url == hook and robot.message.reply_expires_at is None
    for hook in ("http://in.qyapi.weixin.qq.com:8080/x", "http://evil.in.qyapi.weixin.qq.com/x"):
        assert wecom.parse_group_robot(xml.format(hook), now, "托管助手").reply_to is None
    evil = wecom.parse_group_robot(xml.format("https://hooks.example/send"), now, "托管助手")
    assert evil.message is not None and evil.message.reply_url is None and evil.reply_to is None
    ding = DingtalkSettings()
    expiry = int((now + timedelta(minutes=90)).timestamp() * 1000)
    inbound = dingtalk.parse(
        ding_body(
            "查询",
            "x",
            sessionWebhook="https://oapi.dingtalk.com/robot/sendBySession?session=s",
            sessionWebhookExpiredTime=expiry,
        ),
        now,
        ding,
    )
    assert inbound.message is not None and inbound.message.reply_kind == "dingtalk"
    assert inbound.message.reply_expires_at == now + timedelta(minutes=90)
    inbound = dingtalk.parse(
        ding_body("查询", "x", sessionWebhook="https://oapi.dingtalk.com.evil.example/s"), now, ding
    )
    assert (
        inbound.message is not None and inbound.message.reply_url is None and inbound.session_webhook is None
    )
