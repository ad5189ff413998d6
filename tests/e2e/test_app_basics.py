"""The web app's own endpoints: /healthz and /metrics (Prometheus text with the pipeline's counters)."""

from __future__ import annotations

from pathlib import Path

from aiohttp.test_utils import TestClient

from bot.app import SERVICES, create_app
from bot.domain.messages import IncomingMessage, Platform
from bot.settings import load_settings
from tests.conftest import shanghai


async def test_healthz_and_metrics(aiohttp_client, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    settings = load_settings(database={"url": f"sqlite+aiosqlite:///{tmp_path / 'app.db'}"})
    client: TestClient = await aiohttp_client(create_app(settings))
    resp = await client.get("/healthz")
    assert resp.status == 200 and (await resp.json()) == {"status": "ok"}

    pipeline = client.app[SERVICES].pipeline
    msg = IncomingMessage(Platform.WECOM, "c", "u", "查询", "m1", shanghai(2026, 11, 23, 16))
    await pipeline.handle_message(msg)

    resp = await client.get("/metrics")
    assert resp.status == 200
    body = await resp.text()
    assert 'tuoguan_messages_total{command="查询",outcome="ok"} 1.0' in body
    assert "tuoguan_reply_seconds_count 1.0" in body
    assert "tuoguan_outbox_depth" in body
