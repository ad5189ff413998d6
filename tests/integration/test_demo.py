"""The demo school: loads through the roster import, twice without change, and people can talk."""

from __future__ import annotations

from sqlalchemy import func, select

from bot.bootstrap import bootstrap
from bot.clock import FixedClock
from bot.demo import CHAT_32, load_demo
from bot.domain.messages import IncomingMessage, Platform
from bot.settings import load_settings
from bot.store.db import Database
from bot.store.tables import Course, Student
from tests.conftest import shanghai

NOW = shanghai(2026, 11, 23, 16)


async def test_demo_loads_once_and_is_idempotent(db: Database) -> None:
    settings = load_settings()
    info = await load_demo(db, settings, FixedClock(NOW))
    assert info.result is not None and info.result.ok and info.result.changed
    assert "tuoguan say --chat demo-3-2 --user parent-wang 查询" in info.render()
    again = await load_demo(db, settings, FixedClock(NOW))
    assert again.result is not None and not again.result.changed
    skipped = await load_demo(db, settings, FixedClock(NOW), only_if_empty=True)
    assert skipped.skipped
    async with db.transaction() as s:
        assert await s.scalar(select(func.count()).select_from(Student)) == 20
        assert (
            await s.scalar(select(func.count()).select_from(Student).where(Student.left_behind != "none"))
            == 1
        )
        categories = sorted((await s.scalars(select(Course.category))).all())
        assert categories == ["1", "X", "X"]


async def test_demo_people_are_recognised(db: Database) -> None:
    settings = load_settings()
    await load_demo(db, settings, FixedClock(NOW))
    services = bootstrap(settings, clock=FixedClock(NOW), db=db)
    for user, expected in [
        ("parent-wang", "王小红"),
        ("teacher-li", "三年级2班 班主任"),
        ("principal-zhao", "全校 校长"),
        ("parent-zhang-grandma", "张一一(三年级2班,奶奶"),
    ]:
        msg = IncomingMessage(Platform.WECOM, CHAT_32, user, "查询", f"m-{user}", NOW)
        out = await services.pipeline.handle_message(msg)
        assert expected in out.reply.text, out.reply.text
        assert "留守" not in out.reply.text and "广东" not in out.reply.text
