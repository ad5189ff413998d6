"""No secret in the logs: callbacks and outbox deliveries run at DEBUG with known secrets configured."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Awaitable, Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import aiohttp
import pytest
from aiohttp.test_utils import TestClient
from sqlalchemy import select

from bot.app import SERVICES, create_app
from bot.bootstrap import configure_logging
from bot.clock import FixedClock
from bot.demo import load_demo
from bot.domain.messages import Push
from bot.outbox.worker import OutboxWorker
from bot.platforms import dingtalk, wecom
from bot.settings import load_settings
from bot.store.db import Database
from bot.store.outbox import enqueue
from bot.store.tables import Chat
from tests.fakes.platforms import FakePlatforms

TOKEN, AES_KEY = "SeCrEtToKeN42", "sWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2F"
APP_SECRET = "DingAppSecret-Kq8"
ROBOT_KEY, BROKEN_KEY = "wecom-robot-key-93f1", "wecom-broken-key-77c2"
DING_TOKEN, DING_ROBOT_SECRET = "ding-access-token-5d0e", "SECding-robot-secret-1a2b"
SECRETS = (TOKEN, AES_KEY, APP_SECRET, ROBOT_KEY, BROKEN_KEY, DING_TOKEN, DING_ROBOT_SECRET)
Client = Callable[..., Awaitable[TestClient]]


def settings_with_secrets(api_base: str = "http://127.0.0.1:9") -> Any:
    return load_settings(
        wecom={"token": TOKEN, "encoding_aes_key": AES_KEY, "api_base": api_base},
        dingtalk={"app_secret": APP_SECRET, "api_base": api_base},
        log={"level": "DEBUG"},
    )


def leaked(text: str) -> list[str]:
    return [s for s in SECRETS if s in text]


async def test_callbacks_and_deliveries_log_no_secret(
    db: Database, aiohttp_client: Client, aiohttp_server: Any, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    logging.getLogger("aiosqlite").setLevel(logging.INFO)  # as configure_logging does (tested below)
    now = datetime.now(UTC)
    clock = FixedClock(now)
    fake = FakePlatforms(clock, wecom_keys={ROBOT_KEY}, dingtalk_secrets={DING_TOKEN: DING_ROBOT_SECRET})
    base = str((await aiohttp_server(fake.app())).make_url("")).rstrip("/")
    settings = settings_with_secrets(base)
    await load_demo(db, settings, clock)
    async with db.transaction() as s:
        first = (await s.scalars(select(Chat).order_by(Chat.id))).first()
        assert first is not None
        first.webhook = f"{base}/cgi-bin/webhook/send?key={ROBOT_KEY}"  # a full URL, as some rosters carry
        extra = [
            Chat(
                class_group_id=first.class_group_id,
                platform="dingtalk",
                chat_id="cid-s",
                webhook=DING_TOKEN,
                webhook_secret=DING_ROBOT_SECRET,
            ),
            Chat(class_group_id=first.class_group_id, platform="wecom", chat_id="broken", webhook=BROKEN_KEY),
            Chat(
                class_group_id=first.class_group_id,
                platform="dingtalk",
                chat_id="down",
                webhook="http://127.0.0.1:9/robot/send?access_token=" + DING_TOKEN,
                webhook_secret=DING_ROBOT_SECRET,
            ),
        ]
        s.add_all(extra)
        await s.flush()
        chat_ids = [first.id, *(c.id for c in extra)]
    client = await aiohttp_client(create_app(settings, clock=clock, db=db))

    crypto = wecom.WecomCrypto(TOKEN, AES_KEY)
    payload = {
        "msgid": "s-1",
        "chatid": "demo-3-2",
        "chattype": "group",
        "from": {"userid": "parent-wang"},
        "msgtype": "text",
        "text": {"content": "@托管助手 王小明 请假 明天 发烧"},
    }
    sealed = crypto.encrypt(json.dumps(payload, ensure_ascii=False), str(int(now.timestamp())))
    query = {
        "msg_signature": sealed["msgsignature"],
        "timestamp": sealed["timestamp"],
        "nonce": sealed["nonce"],
    }
    assert (
        await client.post("/wecom/callback", params=query, data=json.dumps({"encrypt": sealed["encrypt"]}))
    ).status == 200
    bad = {**query, "msg_signature": "f" * 40}
    assert (
        await client.post("/wecom/callback", params=bad, data=json.dumps({"encrypt": sealed["encrypt"]}))
    ).status == 403
    assert (await client.get("/wecom/callback", params={**query, "echostr": "bad=="})).status in (400, 403)
    ts = str(int(now.timestamp() * 1000))
    ding = {
        "msgtype": "text",
        "text": {"content": "查询"},
        "msgId": "s-2",
        "conversationType": "1",
        "conversationId": "c",
        "senderStaffId": "u",
    }
    for sign in (dingtalk.sign(ts, APP_SECRET), dingtalk.sign(ts, "wrong")):
        await client.post("/dingtalk/callback", headers={"timestamp": ts, "sign": sign}, json=ding)

    async with db.transaction() as s:
        await enqueue(
            s, [Push(key=f"p{i}", text="放学通知", chat_ref=c) for i, c in enumerate(chat_ids)], clock.now()
        )
    fake.modes[DING_TOKEN] = "5xx"
    services = client.app[SERVICES]
    async with aiohttp.ClientSession() as http:
        worker = OutboxWorker(db, services.settings, clock, http, services.metrics, instance="s")
        await worker.run_once()
        fake.modes[DING_TOKEN] = "broken"
        clock.advance(seconds=3600)
        await worker.run_once()
    assert fake.received[ROBOT_KEY] and fake.attempts[BROKEN_KEY] and fake.attempts[DING_TOKEN] >= 2

    assert caplog.records, "nothing was logged: the test would prove nothing"
    assert any("rejected" in r.getMessage() for r in caplog.records)
    assert any("marked broken" in r.getMessage() for r in caplog.records)
    # The fake platform's own access log (it stands in for Tencent's/DingTalk's servers) is not the bot's.
    ours = [r for r in caplog.records if not (r.name == "aiohttp.access" and "/send?" in r.getMessage())]
    text = "\n".join(logging.Formatter().format(r) for r in ours)
    assert leaked(text) == []
    assert "发烧" not in text  # a leave reason is private: not in the logs either


@pytest.fixture
def root_stream() -> Iterator[io.StringIO]:
    """configure_logging's own handler, writing into a string (root restored afterwards)."""
    root = logging.getLogger()
    saved, level = root.handlers[:], root.level
    configure_logging(settings_with_secrets())
    stream = io.StringIO()
    handler = root.handlers[0]
    assert isinstance(handler, logging.StreamHandler)
    handler.setStream(stream)
    yield stream
    root.handlers[:], root.level = saved, level


def test_the_filter_masks_secrets_in_messages_tracebacks_and_webhook_urls(root_stream: io.StringIO) -> None:
    log = logging.getLogger("bot.test")
    log.warning("config: token=%s key=%s secret=%s", TOKEN, AES_KEY, APP_SECRET)
    try:
        raise ValueError(f"cannot post to https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key={ROBOT_KEY}")
    except ValueError:
        log.exception("push failed")
    logging.getLogger("aiohttp.client").error(
        "GET https://oapi.dingtalk.com/robot/send?access_token=%s&timestamp=1&sign=abc%%2B failed", DING_TOKEN
    )
    out = root_stream.getvalue()
    assert "push failed" in out and "Traceback" in out and "token=***" in out
    assert leaked(out) == [] and "sign=abc" not in out, out


def test_debug_logging_keeps_sql_parameters_out(root_stream: io.StringIO) -> None:
    assert logging.getLogger().level == logging.DEBUG
    assert not logging.getLogger("aiosqlite").isEnabledFor(logging.DEBUG)
    assert not logging.getLogger("sqlalchemy.engine").isEnabledFor(logging.INFO)


async def test_database_errors_do_not_carry_parameters(db: Database) -> None:
    assert db.engine.sync_engine.hide_parameters  # an IntegrityError logged by the pipeline shows no values


def test_the_long_connection_and_app_secrets_are_masked_too() -> None:
    from bot.settings import load_settings

    bot_secret, corp_secret = "wecom-bot-secret-51c9", "wecom-corp-secret-0d3e"
    root = logging.getLogger()
    saved, level = root.handlers[:], root.level
    try:
        configure_logging(load_settings(wecom={"bot_secret": bot_secret, "corp_secret": corp_secret}))
        stream = io.StringIO()
        handler = root.handlers[0]
        assert isinstance(handler, logging.StreamHandler)
        handler.setStream(stream)
        logging.getLogger("bot.test").error(
            "subscribe body %s / corp %s", {"secret": bot_secret}, corp_secret
        )
    finally:
        root.handlers[:], root.level = saved, level
    out = stream.getvalue()
    assert bot_secret not in out and corp_secret not in out and "***" in out
