"""Staff commands from a group chat not in the roster are refused privately; private chats keep working."""

from __future__ import annotations

from itertools import count

import pytest
from sqlalchemy import func, select

from bot.bootstrap import Services
from bot.clock import FixedClock
from bot.domain.messages import IncomingMessage, Platform
from bot.pipeline import Outcome
from bot.store.care_tables import Attendance, Pickup
from bot.store.db import Database
from bot.store.outbox_tables import OutboxMessage
from tests.conftest import shanghai
from tests.integration.care_day import demo_services

ROSTER_WORDS = ("刘洋", "陈思远", "王小明", "应到")
_ids = count(1)


async def send(services: Services, user: str, text: str, chat: str, *, group: bool = True) -> Outcome:
    assert isinstance(services.clock, FixedClock)
    services.clock.instant = shanghai(2026, 11, 23, 16, 30)
    msg = IncomingMessage(
        Platform.WECOM, chat, user, text, f"unknown-chat-{next(_ids)}", services.clock.instant, is_group=group
    )
    return await services.pipeline.handle_message(msg)


async def written(db: Database) -> list[int]:
    async with db.transaction() as s:
        counts = [await s.scalar(select(func.count()).select_from(t)) or 0 for t in (Attendance, Pickup)]
        pushes = await s.scalar(
            select(func.count())
            .select_from(OutboxMessage)
            .where(~OutboxMessage.key.startswith("private-reply:"))
        )
        return [*counts, pushes or 0]


async def private_answers(db: Database) -> list[tuple[int | None, str]]:
    async with db.transaction() as s:
        return [
            tuple(r)
            for r in (
                await s.execute(
                    select(OutboxMessage.staff_id, OutboxMessage.text).where(
                        OutboxMessage.key.startswith("private-reply:")
                    )
                )
            ).all()
        ]


@pytest.mark.parametrize(
    ("user", "text"),
    [
        ("teacher-li", "点名"),
        ("teacher-li", "刘洋没来"),
        ("teacher-li", "全部已接走"),
        ("teacher-li", "未接走"),
        ("principal-zhao", "点名"),
        ("principal-zhao", "日报"),
        ("teacher-zhou", "陈思远 已接走"),
    ],
)
async def test_staff_commands_from_an_unknown_group_are_refused_privately(
    db: Database, user: str, text: str
) -> None:
    services = await demo_services(db)
    before = await written(db)
    out = await send(services, user, text, "stranger-group-1")
    assert out.result == "refused"
    assert out.reply.private  # the group sees only a short note
    assert "班级" in out.reply.text and "群ID" in out.reply.text and "tuoguan roster import" in out.reply.text
    assert "stranger-group-1" in out.reply.text  # the id to write into the 班级 sheet
    assert not any(word in out.reply.text for word in ROSTER_WORDS)
    assert not out.pushes
    assert await written(db) == before  # nothing recorded, nothing queued for that group
    answers = await private_answers(db)  # the refusal itself goes to the sender one-to-one
    assert len(answers) == 1 and answers[0][0] is not None and answers[0][1] == out.reply.text


async def test_help_and_whoami_still_answer_in_an_unknown_group(db: Database) -> None:
    services = await demo_services(db)
    assert (await send(services, "teacher-li", "帮助", "stranger-group-1")).result == "ok"
    assert (await send(services, "teacher-li", "查询", "stranger-group-1")).result == "ok"


async def test_staff_in_a_private_chat_still_act_on_their_class(db: Database) -> None:
    services = await demo_services(db)
    out = await send(services, "teacher-li", "点名", "teacher-li", group=False)
    assert out.result == "ok" and out.reply.text.startswith("应到")


async def test_guardians_own_child_commands_work_in_a_private_chat(db: Database) -> None:
    services = await demo_services(db)
    out = await send(services, "parent-li", "请假 明天", "parent-li", group=False)
    assert out.result == "ok" and "李华" in out.reply.text


async def test_a_known_class_group_still_works(db: Database) -> None:
    services = await demo_services(db)
    out = await send(services, "teacher-li", "点名", "demo-3-2")
    assert out.result == "ok" and out.reply.text.startswith("应到")
