"""Callbacks under attack: deeply nested JSON, a DingTalk sign replayed with another body, foreign robots and
corps, late replies aimed at hosts other than the platforms' own (SQLite and PostgreSQL)."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from prometheus_client.parser import text_string_to_metric_families

from bot.app import create_app
from bot.clock import SystemClock
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
    settings = load_settings(wecom={"token": TOKEN, "encoding_aes_key": AES_KEY},
                             dingtalk={"app_secret": DING_SECRET}, server={"max_body_bytes": 256 * 1024})
    await load_demo(db, settings, SystemClock())
    return await aiohttp_client(create_app(settings, db=db))


async def rejected(client: TestClient, platform: str, status: str) -> float:
    resp = await client.get("/metrics")
    for family in text_string_to_metric_families(await resp.text()):
        for sample in family.samples:
            if sample.name == "tuoguan_callbacks_rejected_total" and sample.labels == {
                    "platform": platform, "status": status}:
                return sample.value
    return 0.0


def ding_headers(ts_ms: int | None = None) -> dict[str, str]:
    from bot.platforms import dingtalk

    ts = str(ts_ms if ts_ms is not None else int(time.time() * 1000))
    return {"timestamp": ts, "sign": dingtalk.sign(ts, DING_SECRET)}


def wecom_query(plaintext: str) -> tuple[dict[str, str], str]:
    sealed = CRYPTO.encrypt(plaintext, str(int(time.time())))
    return ({"msg_signature": sealed["msgsignature"], "timestamp": sealed["timestamp"], "nonce": sealed["nonce"]},
            sealed["encrypt"])


@pytest.mark.parametrize("opener", ["[", '{"a":'])
async def test_deeply_nested_json_is_a_counted_rejection(client: TestClient, caplog: pytest.LogCaptureFixture,
                                                          opener: str) -> None:
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
    body: dict[str, Any] = {"msgtype": "text", "text": {"content": "查询"}, "msgId": "ok-nest",
                            "conversationType": "1", "conversationId": "c", "senderStaffId": "u",
                            "extra": json.loads("[" * 30 + "]" * 30), "note": "[[[[ {{{{ \\\" [[[["}
    resp = await client.post("/dingtalk/callback", headers=ding_headers(), data=json.dumps(body))
    assert resp.status == 200
