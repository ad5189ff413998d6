"""Every message a parent sends gets an answer on the HTTP callbacks: WeCom voice and mixed, DingTalk audio and
richText go through the parser like text; a picture alone gets what the bot can do; enter_chat a welcome."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from bot.platforms.content import CAN_DO, WELCOME
from tests.e2e.test_callbacks import CRYPTO, client, ding_body, ding_headers, open_reply  # noqa: F401


def ai_bot_body(msgid: str, **fields: Any) -> tuple[dict[str, str], str]:
    """A sealed AI-bot callback of any message type (a group message from a bound parent)."""
    payload = {
        "msgid": msgid,
        "aibotid": "bot1",
        "chatid": "demo-3-2",
        "chattype": "group",
        "from": {"userid": "parent-wang"},
        "response_url": "http://127.0.0.1:9/none",
        **fields,
    }
    sealed = CRYPTO.encrypt(json.dumps(payload, ensure_ascii=False), str(int(time.time())))
    query = {
        "msg_signature": sealed["msgsignature"],
        "timestamp": sealed["timestamp"],
        "nonce": sealed["nonce"],
    }
    return query, json.dumps({"encrypt": sealed["encrypt"]})


@pytest.mark.parametrize(
    "extra",
    [
        {"msgtype": "voice", "voice": {"content": "@托管助手 查询"}},
        {
            "msgtype": "mixed",
            "mixed": {
                "msg_item": [
                    {"msgtype": "image", "image": {"url": "http://127.0.0.1:9/p.png"}},
                    {"msgtype": "text", "text": {"content": "@托管助手 查询"}},
                ]
            },
        },
    ],
)
async def test_wecom_voice_and_mixed_are_answered_like_text(
    client: TestClient,  # noqa: F811
    extra: dict[str, Any],
) -> None:
    query, body = ai_bot_body(f"ai-{extra['msgtype']}", **extra)
    resp = await client.post("/wecom/callback", params=query, data=body)
    reply = open_reply(await resp.json())
    assert "王小明(三年级2班" in reply["stream"]["content"]


async def test_wecom_picture_alone_and_enter_chat(client: TestClient) -> None:  # noqa: F811
    query, body = ai_bot_body("ai-pic", msgtype="image", image={"url": "http://127.0.0.1:9/p.png"})
    picture = open_reply(await (await client.post("/wecom/callback", params=query, data=body)).json())
    assert picture["stream"]["content"] == CAN_DO
    query, body = ai_bot_body("ai-enter", msgtype="event", event={"eventtype": "enter_chat"})
    welcome = open_reply(await (await client.post("/wecom/callback", params=query, data=body)).json())
    assert welcome == {"msgtype": "text", "text": {"content": WELCOME}}


@pytest.mark.parametrize(
    "extra",
    [
        {"msgtype": "audio", "content": {"recognition": "查询", "duration": 1500}},
        {
            "msgtype": "richText",
            "content": {"richText": [{"text": "查询"}, {"type": "picture", "downloadCode": "x"}]},
        },
    ],
)
async def test_dingtalk_audio_and_rich_text_are_answered_like_text(
    client: TestClient,  # noqa: F811
    extra: dict[str, Any],
) -> None:
    resp = await client.post(
        "/dingtalk/callback", headers=ding_headers(), data=ding_body("", f"d-{extra['msgtype']}", **extra)
    )
    body = await resp.json()
    assert body["msgtype"] == "text" and "绑定" in body["text"]["content"]  # an unknown sender gets the hint


async def test_dingtalk_picture_alone_gets_what_the_bot_can_do(client: TestClient) -> None:  # noqa: F811
    resp = await client.post(
        "/dingtalk/callback",
        headers=ding_headers(),
        data=ding_body("", "d-pic", msgtype="picture", content={"downloadCode": "x"}),
    )
    assert json.loads(await resp.text()) == {"msgtype": "text", "text": {"content": CAN_DO}}
