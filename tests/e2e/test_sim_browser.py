"""The simulator page in a real headless Chromium: pick a teacher, type, read the bot's reply."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from aiohttp import web

from bot.app import create_app
from bot.clock import FixedClock
from bot.demo import load_demo
from bot.settings import load_settings
from bot.store.db import Database
from tests.conftest import shanghai

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
pytestmark = pytest.mark.skipif(
    not os.path.exists(CHROMIUM), reason="Debian chromium is not installed here (apt-get install chromium)"
)


async def test_teacher_roll_call_in_the_simulator(tmp_path: Path) -> None:
    playwright_api = pytest.importorskip(
        "playwright.async_api", reason="playwright (test extra) not installed"
    )
    settings = load_settings(
        database={"url": f"sqlite+aiosqlite:///{tmp_path / 'sim.db'}"}, server={"sim": True}
    )
    clock = FixedClock(shanghai(2026, 11, 23, 16, 30))
    db = Database(settings.database.url)
    await db.upgrade()
    await load_demo(db, settings, clock)
    runner = web.AppRunner(create_app(settings, clock=clock, db=db))
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        async with playwright_api.async_playwright() as pw:
            browser = await pw.chromium.launch(
                executable_path=CHROMIUM,
                args=[
                    "--headless",
                    "--no-sandbox",
                    "--disable-gpu",
                    "--disable-background-networking",
                    "--no-first-run",
                    "--disable-component-update",
                    "--disable-sync",
                ],
            )
            page = await browser.new_page(viewport={"width": 420, "height": 760})
            await page.goto(f"http://127.0.0.1:{port}/sim")
            await page.wait_for_selector("#user option", state="attached")
            await page.select_option("#user", "teacher-li")
            await page.fill("#text", "点名")
            await page.click("#send")
            reply = page.locator(".row.bot .bubble").last
            await reply.wait_for()
            assert (await reply.inner_text()).startswith("应到 9 实到 9 请假 0 缺席 0")
            await page.select_option("#user", "parent-li")
            await page.fill("#text", "请假 明天 发烧")
            await page.press("#text", "Enter")
            await page.wait_for_function("document.querySelectorAll('.row.bot').length >= 2")
            text = await page.locator(".row.bot .bubble").last.inner_text()
            assert "已为李华请假" in text and "发烧" not in text
            await page.screenshot(path=str(tmp_path / "sim.png"))
            if os.environ.get("TUOGUAN_SCREENSHOT"):
                await page.screenshot(path=os.environ["TUOGUAN_SCREENSHOT"])
            await browser.close()
    finally:
        await runner.cleanup()
