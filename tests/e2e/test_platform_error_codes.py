"""Error codes as the platforms define them: DingTalk 300001 (robot gone) vs 310000 (a security setting) vs
90020 (the organisation's API quota); WeCom 60020 (trusted IP missing) on app messages."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from bot.domain.messages import Push
from bot.store.outbox_tables import OutboxMessage
from bot.store.tables import Chat
from tests.e2e.test_push_delivery import queue, world  # noqa: F401  (the shared fixture)


async def _rows(world: Any) -> list[OutboxMessage]:  # noqa: F811
    async with world["db"].transaction() as s:
        return list((await s.scalars(select(OutboxMessage).order_by(OutboxMessage.id))).all())


async def test_dingtalk_310000_is_a_setting_told_to_the_admins_never_robot_removed(world: Any) -> None:  # noqa: F811
    d = world["chats"][2]
    async with world["db"].transaction() as s:
        chat = await s.get(Chat, d)
        assert chat is not None
        chat.webhook_secret = "SECwrong"  # 加签 secret that does not match the robot's
    await queue(world["db"], world["clock"], [Push(key="p1", text="放学提醒", chat_ref=d)])
    await world["worker"].run_once()
    async with world["db"].transaction() as s:
        chat = await s.get(Chat, d)
        assert chat is not None and chat.broken_reason is None  # not marked broken
    rows = await _rows(world)
    assert rows[0].state == "failed" and rows[0].last_error.startswith("310000")
    notices = [r for r in rows if r.key.startswith("chat-config")]
    assert notices and all(r.staff_id and "安全设置" in r.text and "加签" in r.text for r in notices)
    assert not any("移出" in r.text for r in rows)
    assert not [r for r in rows if r.key.startswith("chat-broken")]


async def test_dingtalk_300001_marks_the_chat_broken(world: Any) -> None:  # noqa: F811
    d = world["chats"][2]
    world["fake"].modes["tok-d"] = "broken"
    await queue(world["db"], world["clock"], [Push(key="p1", text="放学提醒", chat_ref=d)])
    await world["worker"].run_once()
    async with world["db"].transaction() as s:
        chat = await s.get(Chat, d)
        assert chat is not None and chat.broken_reason and chat.broken_reason.startswith("300001")
    assert [r for r in await _rows(world) if r.key.startswith("chat-broken")]


async def test_dingtalk_org_quota_pauses_sending_and_alerts_the_admins(world: Any) -> None:  # noqa: F811
    d = world["chats"][2]
    world["fake"].modes["tok-d"] = "quota"
    await queue(
        world["db"], world["clock"], [Push(key=f"p{i}", text=f"通知{i}", chat_ref=d) for i in range(3)]
    )
    await world["worker"].run_once()
    assert world["fake"].attempts["tok-d"] == 1
    world["clock"].advance(minutes=30)
    await world["worker"].run_once()
    assert world["fake"].attempts["tok-d"] == 1  # paused: nothing tried within the hour
    rows = await _rows(world)
    assert [r.state for r in rows[:3]] == ["queued"] * 3  # kept, in order, for later
    notices = [r for r in rows if r.key.startswith("quota:dingtalk")]
    assert notices and all("已用完" in r.text for r in notices)
    world["fake"].modes["tok-d"] = "ok"
    world["clock"].advance(minutes=31)
    await world["worker"].run_once()
    assert [b["text"]["content"] for b in world["fake"].received["tok-d"]] == ["通知0", "通知1", "通知2"]
