"""绑定: one answer for every attempt, attempts limited durably, the teacher picks one request, re-binding needs
the principal (issue 15, binding hijack)."""

from __future__ import annotations

import asyncio
from itertools import count

from sqlalchemy import func, select

from bot.bootstrap import Services, bootstrap
from bot.clock import FixedClock
from bot.demo import CHAT_32
from bot.domain.messages import IncomingMessage, Platform
from bot.handlers.care_binding import SUBMITTED, TOO_MANY
from bot.pipeline import Outcome
from bot.store.care_tables import BindingRequest
from bot.store.db import Database
from bot.store.outbox_tables import OutboxMessage
from bot.store.tables import Identity
from tests.conftest import shanghai
from tests.integration.care_day import demo_services

AUNT, FATHER = "13800004449", "13800004441"  # 刘洋's 刘小姨 (no account) and 刘伟 (bound: parent-liu)
_ids = count(1)


def sayer(services: Services, clock: FixedClock):  # type: ignore[no-untyped-def]
    async def say(user: str, text: str, at: tuple[int, int], *, day: int = 23, name: str = "") -> Outcome:
        clock.instant = shanghai(2026, 11, day, *at)
        msg = IncomingMessage(
            Platform.WECOM, CHAT_32, user, text, f"bind-{next(_ids)}", clock.instant, sender_name=name
        )
        return await services.pipeline.handle_message(msg)

    return say


async def start(db: Database) -> tuple[Services, FixedClock]:
    services = await demo_services(db)
    assert isinstance(services.clock, FixedClock)
    return services, services.clock


async def staff_id_of(db: Database, user: str) -> int:
    async with db.transaction() as s:
        staff = await s.scalar(select(Identity.staff_id).where(Identity.user_id == user))
    assert staff is not None
    return staff


async def bound(db: Database, user: str) -> int | None:
    async with db.transaction() as s:
        return await s.scalar(select(Identity.guardian_id).where(Identity.user_id == user))


async def test_the_same_answer_whether_the_phone_matches_or_not(db: Database) -> None:
    services, clock = await start(db)
    say, head = sayer(services, clock), await staff_id_of(db, "teacher-li")
    right = await say("acct-1", f"绑定 刘洋 {AUNT}", (9, 0), name="张三")
    wrong = await say("acct-2", "绑定 刘洋 13800004448", (9, 1), name="李四")
    nobody = await say("acct-3", "绑定 赵无名 13800004449", (9, 2))
    assert right.reply == wrong.reply == nobody.reply
    assert right.reply.text == SUBMITTED and right.result == wrong.result == nobody.result == "ok"
    # The head teacher hears of each attempt, privately: which account asked, and whether the phone matched.
    assert [(p.staff_id, p.chat_ref) for p in right.pushes + wrong.pushes] == [(head, None), (head, None)]
    assert right.pushes[0].text.startswith(
        "张三(wecom:acct-1)申请绑定为刘洋的家长「刘小姨」(其他),手机号与花名册一致。"
    )
    assert "同意绑定 刘洋 1" in right.pushes[0].text
    assert wrong.pushes[0].text.startswith("李四(wecom:acct-2)申请绑定为刘洋的家长,但手机号与花名册不符")
    assert not nobody.pushes
    assert not any(phone in p.text for p in right.pushes + wrong.pushes for phone in (AUNT, FATHER))


async def test_guessing_is_limited_per_account_across_restarts_and_instances(db: Database) -> None:
    services, clock = await start(db)
    other = bootstrap(services.settings, clock=clock, db=db)  # a second instance on the same database
    first, second = sayer(services, clock), sayer(other, clock)
    head = await staff_id_of(db, "teacher-li")
    replies = []
    for i in range(5):  # 13800004440 .. 13800004444 (13800004441 is the father's: matched, same answer)
        replies.append(await (first if i % 2 else second)("guesser", f"绑定 刘洋 1380000444{i}", (9, i)))
    assert [r.reply.text for r in replies] == [SUBMITTED] * 5
    over = await first("guesser", f"绑定 刘洋 {AUNT}", (9, 10))  # the right phone, but over the limit
    assert over.reply.text == TOO_MANY and over.result == "refused"
    assert [p.staff_id for p in over.pushes] == [head]
    assert over.pushes[0].text.startswith("wecom:guesser一小时内已5次尝试绑定刘洋的家长,之后的尝试已拒绝。")
    restarted = sayer(bootstrap(services.settings, clock=clock, db=db), clock)
    for minute in range(11, 20):
        assert (await restarted("guesser", f"绑定 刘洋 {AUNT}", (9, minute))).reply.text == TOO_MANY
    async with db.transaction() as s:
        requests = list(await s.scalars(select(BindingRequest.guardian_id)))
        told = await s.scalar(
            select(func.count()).select_from(OutboxMessage).where(OutboxMessage.key.like("bind-limit:%"))
        )
    assert len(requests) == 1  # only the father's phone, guessed within the limit; not the aunt's
    assert told == 1  # the head teacher is told once, not once per refused guess
    later = await restarted("guesser", f"绑定 刘洋 {AUNT}", (10, 5))  # the hour has passed
    assert later.reply.text == SUBMITTED


async def test_attempts_naming_one_child_are_limited_per_day(db: Database) -> None:
    services, clock = await start(db)
    say, head = sayer(services, clock), await staff_id_of(db, "teacher-li")
    for i in range(10):
        assert (await say(f"acct-{i}", f"绑定 刘洋 139000000{i:02d}", (9, i))).reply.text == SUBMITTED
    over = await say("acct-late", f"绑定 刘洋 {AUNT}", (20, 0), name="王五")
    assert over.reply.text == TOO_MANY
    assert [p.staff_id for p in over.pushes] == [head]
    assert "24小时内已有10次尝试绑定刘洋的家长(最近一次: 王五(wecom:acct-late))" in over.pushes[0].text
    assert (await say("acct-x", f"绑定 王小明 {AUNT}", (20, 1))).reply.text == SUBMITTED  # another child
    assert (
        await say("acct-late", f"绑定 刘洋 {AUNT}", (9, 11), day=24)
    ).reply.text == SUBMITTED  # a day later


async def test_the_teacher_approves_one_numbered_request(db: Database) -> None:
    services, clock = await start(db)
    say = sayer(services, clock)
    await say("acct-a", f"绑定 刘洋 {AUNT}", (9, 0), name="甲")
    second = await say("acct-b", f"绑定 刘洋 {AUNT}", (9, 1), name="乙")
    assert "同意绑定 刘洋 2" in second.pushes[0].text
    listing = await say("teacher-li", "同意绑定 刘洋", (9, 2))
    assert listing.result == "refused"
    assert listing.reply.text == (
        "有2个待确认的绑定申请:\n1. 刘洋: 甲(wecom:acct-a) 申请绑定为「刘小姨」\n"
        "2. 刘洋: 乙(wecom:acct-b) 申请绑定为「刘小姨」\n请回复编号,例如: 同意绑定 刘洋 1"
    )
    assert "没有第3个申请" in (await say("teacher-li", "同意绑定 刘洋 3", (9, 3))).reply.text
    assert await bound(db, "acct-a") is None and await bound(db, "acct-b") is None
    out = await say("teacher-li", "同意绑定 刘洋 2", (9, 4))
    assert out.reply.text == "已确认绑定: 刘小姨(乙(wecom:acct-b))"
    assert await bound(db, "acct-b") is not None and await bound(db, "acct-a") is None
    # 甲's request is still pending, now for a guardian bound to 乙: the head teacher may not approve it.
    out = await say("teacher-li", "同意绑定 刘洋", (9, 5))
    assert out.result == "not_allowed"
    assert out.reply.text == (
        "刘小姨已绑定账号 wecom:acct-b,再绑定新账号(甲(wecom:acct-a))需校长确认: "
        "请校长在本群发送 同意绑定 刘洋 1"
    )
    assert await bound(db, "acct-a") is None
    out = await say("teacher-li", "拒绝绑定 刘洋 1", (9, 6))
    assert out.reply.text == "已拒绝绑定: 刘小姨(甲(wecom:acct-a))"
    assert (await say("teacher-li", "同意绑定 刘洋", (9, 7))).reply.text == "没有待确认的绑定申请。"


async def test_rebinding_a_bound_guardian_needs_the_principal(db: Database) -> None:
    services, clock = await start(db)
    say = sayer(services, clock)
    father = await bound(db, "parent-liu")
    out = await say("attacker", f"绑定 刘洋 {FATHER}", (9, 0), name="刘伟")
    assert out.reply.text == SUBMITTED
    assert "注意: 刘伟已绑定账号 wecom:parent-liu,再绑定新账号需校长确认。" in out.pushes[0].text
    out = await say("teacher-li", "同意绑定 刘洋", (9, 1))
    assert out.result == "not_allowed" and "需校长确认" in out.reply.text
    assert await bound(db, "attacker") is None
    assert "绑定" in (await say("attacker", "刘洋 已接走", (17, 0))).reply.text  # still a stranger
    out = await say("principal-zhao", "同意绑定 刘洋", (17, 1))
    assert out.reply.text == (
        "已确认绑定: 刘伟(刘伟(wecom:attacker))\n"
        "注意: 刘伟此前已绑定账号 wecom:parent-liu,现在这些账号都可以使用。"
    )
    assert await bound(db, "attacker") == father == await bound(db, "parent-liu")


async def test_concurrent_attempts_do_not_exceed_the_limit(db: Database) -> None:
    services, clock = await start(db)
    clock.instant = shanghai(2026, 11, 23, 9, 0)
    instances = [services, bootstrap(services.settings, clock=clock, db=db)]
    msgs = [
        IncomingMessage(
            Platform.WECOM, CHAT_32, "racer", f"绑定 刘洋 139000001{i:02d}", f"race-{i}", clock.instant
        )
        for i in range(12)
    ]
    outs = await asyncio.gather(*(instances[i % 2].pipeline.handle_message(m) for i, m in enumerate(msgs)))
    assert sorted(o.reply.text for o in outs) == sorted([SUBMITTED] * 5 + [TOO_MANY] * 7)
