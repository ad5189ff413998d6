"""`tuoguan check` against the local fakes: every configured platform verified, Chinese fixes, non-zero on problems."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from bot.cli.check import run_check
from bot.clock import SystemClock
from bot.settings import Settings, load_settings
from bot.store.db import Database
from bot.store.leases import DbLease
from tests.fakes.dingtalk_stream import FakeDingtalk, dingtalk_server
from tests.fakes.wecom_ws import FakeWecomWs, wecom_ws_server

BOT_SECRET, DING_SECRET = "bot-secret-7f3a", "app-secret-9c1d"


@pytest.fixture
async def fakes() -> AsyncIterator[tuple[FakeWecomWs, str, FakeDingtalk]]:
    wecom, ding = FakeWecomWs("bot-1", BOT_SECRET), FakeDingtalk("app-key", DING_SECRET)
    async with wecom_ws_server(wecom) as url, dingtalk_server(ding):
        yield wecom, url, ding


def configured(db: Database, url: str, ding: FakeDingtalk, **over: Any) -> Settings:
    wecom = {"bot_id": "bot-1", "bot_secret": BOT_SECRET, "ws_url": url} | over.get("wecom", {})
    dingtalk = {
        "app_key": "app-key",
        "app_secret": DING_SECRET,
        "openapi_base": ding.base,
        "api_base": ding.base,
    } | over.get("dingtalk", {})
    return load_settings(
        database={"url": db.engine.url.render_as_string(hide_password=False)}, wecom=wecom, dingtalk=dingtalk
    )


async def test_all_good_exits_zero(db: Database, fakes: Any, capsys: pytest.CaptureFixture[str]) -> None:
    wecom, url, ding = fakes
    assert await run_check(configured(db, url, ding)) == 0
    out = capsys.readouterr().out
    assert "订阅成功" in out and "获取 accessToken 成功" in out and "Stream 长连接: 可以建立" in out
    assert wecom.subscribes == 1 and ding.opens == 1 and "全部正常" in out


async def test_wrong_secrets_are_told_in_chinese_and_exit_non_zero(
    db: Database, fakes: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    _, url, ding = fakes
    settings = configured(db, url, ding, wecom={"bot_secret": "wrong"}, dingtalk={"app_secret": "wrong"})
    assert await run_check(settings) == 1
    out = capsys.readouterr().out
    assert "企业微信拒绝了长连接订阅 (errcode 40058" in out and "TUOGUAN_WECOM__BOT_SECRET" in out
    assert "钉钉应用获取令牌失败" in out and "发现 2 个问题" in out
    assert "wrong" not in out


async def test_half_a_configuration_is_a_problem(db: Database, capsys: pytest.CaptureFixture[str]) -> None:
    settings = load_settings(
        database={"url": db.engine.url.render_as_string(hide_password=False)},
        wecom={"bot_id": "bot-1"},
        dingtalk={"mode": "stream"},
    )
    assert await run_check(settings) == 1
    out = capsys.readouterr().out
    assert "缺少 wecom.bot_secret" in out and "dingtalk.mode = stream" in out


async def test_a_serving_instance_is_not_kicked_off(
    db: Database, fakes: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    wecom, url, ding = fakes
    assert await DbLease(db, SystemClock(), "wecom-bot:bot-1", "serving-host", 60).acquire()
    assert await run_check(configured(db, url, ding)) == 0
    assert wecom.subscribes == 0 and "正由运行中的 tuoguan serve 持有" in capsys.readouterr().out
