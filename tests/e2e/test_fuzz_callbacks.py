"""Hypothesis against both callback endpoints over HTTP: signed-but-malformed, oversize and unsigned garbage.

Whatever arrives: never a 5xx, never an escaped exception, a refusal is a 4xx that writes nothing, and a
handled message gets a Chinese answer (no pipeline error is counted in /metrics).
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.app import create_app
from bot.clock import SystemClock
from bot.demo import load_demo
from bot.domain.text import normalise
from bot.platforms import clean_text
from bot.settings import load_settings
from bot.store.db import Database
from tests.e2e.fuzzing import (
    AES_KEY,
    CHINESE,
    DING_SECRET,
    JSON,
    MAX_BODY,
    TOKEN,
    XML_ATTACKS,
    Answer,
    ding_headers,
    in_loop,
    open_wecom_reply,
    overrides,
    post,
    row_counts,
    run_hypothesis,
    wecom_seal,
)

Client = Callable[..., Awaitable[TestClient]]
FUZZ = settings(
    max_examples=100,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
IDS = itertools.count(1)
AI_BASE = {
    "msgid": "x",
    "aibotid": "bot1",
    "chatid": "demo-3-2",
    "chattype": "group",
    "from": {"userid": "parent-wang"},
    "response_url": "http://127.0.0.1:9/none",
    "msgtype": "text",
    "text": {"content": "@托管助手 查询"},
}
DING_BASE = {
    "msgtype": "text",
    "text": {"content": " 查询"},
    "msgId": "x",
    "conversationType": "2",
    "conversationId": "cidDEMO",
    "senderStaffId": "ding-user",
    "senderNick": "某家长",
    "isInAtList": True,
    "sessionWebhook": "http://127.0.0.1:9/s",
}
CONTENT_TYPES = st.sampled_from(
    [
        "application/json",
        "application/xml",
        "text/plain",
        "text/xml",
        "multipart/form-data; boundary=x",
        "application/x-www-form-urlencoded",
        "application/octet-stream",
        "",
        "application/json; charset=gbk",
    ]
)
GARBAGE = st.one_of(
    st.binary(max_size=2000),
    st.text(max_size=2000).map(str.encode),
    JSON.map(lambda v: json.dumps(v).encode()),
    st.sampled_from(XML_ATTACKS).map(str.encode),
)


@pytest.fixture
async def client(db: Database, aiohttp_client: Client) -> TestClient:
    settings = load_settings(
        wecom={"token": TOKEN, "encoding_aes_key": AES_KEY},
        dingtalk={"app_secret": DING_SECRET},
        # The answer is read from the HTTP response: a long budget keeps a loaded machine
        # from turning it into a later post (the budget itself is tested in test_callbacks).
        server={"max_body_bytes": MAX_BODY, "reply_budget_seconds": 30.0},
    )
    await load_demo(db, settings, SystemClock())
    return await aiohttp_client(create_app(settings, db=db))


def check(answer: Answer, before: dict[str, int] | None, after: dict[str, int] | None) -> None:
    assert answer.status < 500, answer
    if answer.status >= 400:
        assert before == after, "a refused callback wrote something"
    else:
        assert answer.status == 200


async def no_pipeline_errors(client: TestClient) -> None:
    metrics = await (await client.get("/metrics")).text()
    assert 'outcome="error"' not in metrics, [line for line in metrics.splitlines() if "error" in line]


def unique(payload: dict[str, Any], field: str) -> dict[str, Any]:
    if isinstance(payload.get(field), str):
        payload[field] = f"{payload[field]}-{next(IDS)}"
    return payload


async def test_wecom_ai_bot_signed_with_malformed_payloads(client: TestClient, db: Database) -> None:
    call = in_loop(asyncio.get_running_loop())
    fields = list(AI_BASE)

    @FUZZ
    @given(
        st.one_of(
            overrides(AI_BASE, fields).map(lambda p: json.dumps(unique(p, "msgid"), ensure_ascii=False)),
            JSON.map(json.dumps),
            st.text(max_size=300),
        )
    )
    def run(plaintext: str) -> None:
        query, sealed = wecom_seal(plaintext)
        before = call(row_counts(db))
        answer = call(
            post(client, "/wecom/callback", params=query, data=json.dumps({"encrypt": sealed["encrypt"]}))
        )
        check(answer, before, call(row_counts(db)) if answer.status >= 400 else None)
        if answer.status == 200 and answer.text:
            assert CHINESE.search(json.loads(open_wecom_reply(answer.text))["stream"]["content"])

    await run_hypothesis(run)
    await no_pipeline_errors(client)


def robot_xml(msgid: str, user: str, chat: str, kind: str, content: str) -> str:
    return (
        f"<xml><WebhookUrl>http://127.0.0.1:9/hook</WebhookUrl><MsgId>{msgid}</MsgId><ChatId>{chat}</ChatId>"
        f"<ChatType>{kind}</ChatType><From><UserId>{user}</UserId></From>"
        f"<MsgType>text</MsgType><Text><Content>{content}</Content></Text></xml>"
    )


XML_TEXT = st.text(max_size=40)
ROBOT_PLAIN = st.one_of(
    st.tuples(XML_TEXT, XML_TEXT, XML_TEXT, XML_TEXT, XML_TEXT).map(lambda t: robot_xml(*t)),  # unescaped
    st.tuples(st.sampled_from(["teacher-li", "parent-wang", "nobody"]), st.text(max_size=60)).map(
        lambda t: robot_xml(
            f"r-{next(IDS)}",
            t[0],
            "demo-3-2",
            "group",
            "@托管助手 " + t[1].replace("&", "&amp;").replace("<", "&lt;"),
        )
    ),
    st.sampled_from(XML_ATTACKS),
    st.text(max_size=300),
)


async def test_wecom_group_robot_signed_with_malformed_xml(client: TestClient, db: Database) -> None:
    call = in_loop(asyncio.get_running_loop())

    @FUZZ
    @given(ROBOT_PLAIN, st.booleans())
    def run(plaintext: str, envelope_xml: bool) -> None:
        query, sealed = wecom_seal(plaintext)
        body = (
            f"<xml><Encrypt><![CDATA[{sealed['encrypt']}]]></Encrypt></xml>"
            if envelope_xml
            else json.dumps({"encrypt": sealed["encrypt"]})
        )
        before = call(row_counts(db))
        answer = call(post(client, "/wecom/callback", params=query, data=body))
        check(answer, before, call(row_counts(db)) if answer.status >= 400 else None)

    await run_hypothesis(run)
    await no_pipeline_errors(client)


async def test_wecom_any_text_from_known_senders_gets_a_chinese_answer(
    client: TestClient, db: Database
) -> None:
    call = in_loop(asyncio.get_running_loop())
    answered: set[str] = set()

    @FUZZ
    @given(
        st.sampled_from(["parent-wang", "parent-li", "teacher-li", "principal-zhao", "stranger"]),
        st.one_of(st.text(max_size=200), st.text(max_size=3).map(lambda t: t * 2000)),
    )
    def run(user: str, text: str) -> None:
        payload = {**AI_BASE, "msgid": f"t-{next(IDS)}", "from": {"userid": user}, "text": {"content": text}}
        query, sealed = wecom_seal(json.dumps(payload, ensure_ascii=False))
        answer = call(
            post(client, "/wecom/callback", params=query, data=json.dumps({"encrypt": sealed["encrypt"]}))
        )
        if len(json.dumps({"encrypt": sealed["encrypt"]})) > MAX_BODY:
            assert answer.status == 413
            return
        assert answer.status == 200, answer
        assert CHINESE.search(json.loads(open_wecom_reply(answer.text))["stream"]["content"])
        # An empty message is answered with a hint and not recorded; the edge turns NUL into U+FFFD first
        # (PostgreSQL text cannot hold NUL), so a text of NULs is not empty to the pipeline.
        if normalise(clean_text(text)):
            answered.add(payload["msgid"])

    await run_hypothesis(run)
    await no_pipeline_errors(client)
    assert len(answered) >= 40  # the search really went through the pipeline
    assert (await row_counts(db))["processed_messages"] == len(answered)


async def test_wecom_unsigned_garbage_and_wrong_content_types(client: TestClient, db: Database) -> None:
    call = in_loop(asyncio.get_running_loop())
    before = await row_counts(db)

    @FUZZ
    @given(
        GARBAGE,
        CONTENT_TYPES,
        st.dictionaries(
            st.sampled_from(["msg_signature", "timestamp", "nonce", "echostr"]),
            st.text(max_size=50),
            max_size=4,
        ),
        st.booleans(),
    )
    def run(body: bytes, content_type: str, query: dict[str, str], fresh: bool) -> None:
        if fresh:
            query = {**query, "timestamp": str(int(time.time()))}
        headers = {"Content-Type": content_type} if content_type else {}
        answer = call(post(client, "/wecom/callback", params=query, data=body, headers=headers))
        assert 400 <= answer.status < 500, answer
        get = call(client.get("/wecom/callback", params=query))
        assert 400 <= get.status < 500
        get.release()

    await run_hypothesis(run)
    assert await row_counts(db) == before


async def test_oversize_bodies_are_413_even_when_signed(client: TestClient, db: Database) -> None:
    call = in_loop(asyncio.get_running_loop())
    before = await row_counts(db)

    @settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
    @given(st.integers(MAX_BODY + 1, 8 * MAX_BODY), CONTENT_TYPES, st.sampled_from(["{", "<", "x"]))
    def run(size: int, content_type: str, lead: str) -> None:
        query, _ = wecom_seal("{}")
        body = (lead + "a" * size).encode()
        headers = {"Content-Type": content_type} if content_type else {}
        assert call(post(client, "/wecom/callback", params=query, data=body, headers=headers)).status == 413
        assert (
            call(post(client, "/dingtalk/callback", headers={**ding_headers(), **headers}, data=body)).status
            == 413
        )

    await run_hypothesis(run)
    assert await row_counts(db) == before


async def test_dingtalk_signed_with_malformed_payloads(client: TestClient, db: Database) -> None:
    call = in_loop(asyncio.get_running_loop())
    fields = list(DING_BASE)

    @FUZZ
    @given(
        st.one_of(
            overrides(DING_BASE, fields).map(lambda p: json.dumps(unique(p, "msgId"), ensure_ascii=False)),
            JSON.map(json.dumps),
            st.text(max_size=300),
            st.sampled_from(XML_ATTACKS),
        ),
        CONTENT_TYPES,
    )
    def run(body: str, content_type: str) -> None:
        before = call(row_counts(db))
        headers = {**ding_headers(), "Content-Type": content_type}
        answer = call(post(client, "/dingtalk/callback", headers=headers, data=body.encode()))
        check(answer, before, call(row_counts(db)) if answer.status >= 400 else None)
        if answer.status == 200:
            reply = json.loads(answer.text)
            assert reply == {"msgtype": "empty"} or CHINESE.search(reply["text"]["content"])

    await run_hypothesis(run)
    await no_pipeline_errors(client)


async def test_dingtalk_unsigned_garbage(client: TestClient, db: Database) -> None:
    call = in_loop(asyncio.get_running_loop())
    before = await row_counts(db)

    @FUZZ
    @given(
        GARBAGE,
        st.dictionaries(
            st.sampled_from(["timestamp", "sign"]),
            st.text(st.characters(min_codepoint=33, max_codepoint=126), max_size=60),
            max_size=2,
        ),
        st.booleans(),
    )
    def run(body: bytes, headers: dict[str, str], fresh: bool) -> None:
        if fresh:
            headers = {**headers, "timestamp": str(int(time.time() * 1000))}
        answer = call(post(client, "/dingtalk/callback", headers=headers, data=body))
        assert 400 <= answer.status < 500, answer

    await run_hypothesis(run)
    assert await row_counts(db) == before


@pytest.mark.parametrize("field", ["msgid", "userid", "chatid", "content"])
@pytest.mark.parametrize("value", ["a\x00b", "\ud800", "x" * 5000, "王\x1b[31m"])
async def test_wecom_ids_with_nul_surrogates_or_huge(
    client: TestClient, db: Database, field: str, value: str
) -> None:
    payload: dict[str, Any] = {**AI_BASE, "msgid": f"odd-{next(IDS)}"}
    if field == "userid":
        payload["from"] = {"userid": value}
    elif field == "content":
        payload["text"] = {"content": value}
    else:
        payload[field] = value
    query, sealed = wecom_seal(json.dumps(payload))  # \\ud800 travels as a JSON escape
    before = await row_counts(db)
    answer = await post(
        client, "/wecom/callback", params=query, data=json.dumps({"encrypt": sealed["encrypt"]})
    )
    check(answer, before, await row_counts(db) if answer.status >= 400 else None)
    if answer.status == 200:
        assert CHINESE.search(json.loads(open_wecom_reply(answer.text))["stream"]["content"])
    await no_pipeline_errors(client)


@pytest.mark.parametrize("field", ["msgId", "senderStaffId", "conversationId", "senderNick", "content"])
@pytest.mark.parametrize("value", ["a\x00b", "\ud800", "x" * 5000])
async def test_dingtalk_ids_with_nul_surrogates_or_huge(
    client: TestClient, db: Database, field: str, value: str
) -> None:
    payload: dict[str, Any] = {**DING_BASE, "msgId": f"odd-{next(IDS)}"}
    if field == "content":
        payload["text"] = {"content": value}
    else:
        payload[field] = value
    before = await row_counts(db)
    answer = await post(client, "/dingtalk/callback", headers=ding_headers(), data=json.dumps(payload))
    check(answer, before, await row_counts(db) if answer.status >= 400 else None)
    if answer.status == 200:
        reply = json.loads(answer.text)
        assert reply == {"msgtype": "empty"} or CHINESE.search(reply["text"]["content"])
    await no_pipeline_errors(client)


@pytest.mark.parametrize("timestamp", ["²", "١٢٣", "9" * 5000, "-1", " 1"])
async def test_odd_timestamps_are_refused_not_crashed(client: TestClient, timestamp: str) -> None:
    query, sealed = wecom_seal("{}")
    answer = await post(
        client,
        "/wecom/callback",
        params={**query, "timestamp": timestamp},
        data=json.dumps({"encrypt": sealed["encrypt"]}),
    )
    assert answer.status == 400
    headers = {**ding_headers(), "timestamp": timestamp}
    assert (await post(client, "/dingtalk/callback", headers=headers, data=b"{}")).status == 401
