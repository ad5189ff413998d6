"""family-call and birthday-note on the demo school (张一一, 双亲外出, paired with 周静), and 已通话/谈心."""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select

from bot.demo import CHAT_32
from bot.domain.messages import IncomingMessage, Platform
from bot.jobs.family import JOBS
from bot.jobs.runner import catch_up, run_job
from bot.store.db import Database
from bot.store.family_tables import FamilyCall, PastoralTalk
from bot.store.outbox_tables import OutboxMessage
from bot.store.tables import Guardian, Identity, Staff
from tests.conftest import shanghai
from tests.integration.care_day import demo_services

FAMILY_CALL, BIRTHDAY = JOBS


async def outbox(db: Database, prefix: str = "") -> list[OutboxMessage]:
    async with db.transaction() as s:
        return list(
            (
                await s.scalars(
                    select(OutboxMessage)
                    .where(OutboxMessage.key.startswith(prefix))
                    .order_by(OutboxMessage.id)
                )
            ).all()
        )


async def fire(services: Any, spec: Any, at: datetime) -> Any:
    services.clock.instant = at
    return await run_job(services, spec, at)


async def say(services: Any, user: str, text: str, at: datetime, msg_id: str) -> Any:
    services.clock.instant = at
    msg = IncomingMessage(Platform.WECOM, CHAT_32, user, text, msg_id, at)
    return await services.pipeline.handle_message(msg)


async def ids(db: Database) -> dict[str, int]:
    async with db.transaction() as s:
        staff = dict((await s.execute(select(Staff.name, Staff.id))).all())
        guardians = dict((await s.execute(select(Guardian.name, Guardian.id))).all())
    return {**staff, **guardians}


async def test_first_school_day_prompts_parents_teachers_and_head_teacher(db: Database) -> None:
    services = await demo_services(db)
    who = await ids(db)
    results = await fire(services, FAMILY_CALL, shanghai(2026, 12, 1, 9))
    assert results[0].status == "done", results
    pushes = await outbox(db, "family-call:2026-12:prompt")
    to_guardians = [p for p in pushes if p.guardian_id]
    assert [p.guardian_id for p in to_guardians] == [
        who["张国庆"]
    ]  # the father away, not the grandma at home
    assert "张一一" in to_guardians[0].text and "已通话" in to_guardians[0].text
    assert not [p for p in pushes if p.chat_ref]  # everyone concerned has an account: nothing in the group
    lists = [p for p in pushes if p.staff_id]
    assert [p.staff_id for p in lists] == [who["周静"]]
    assert "张一一" in lists[0].text and "双亲外出" in lists[0].text and "广东东莞" in lists[0].text
    talks = await outbox(db, "pastoral-talk:2026-12")
    assert [p.staff_id for p in talks] == [who["李梅"]] and "谈心" in talks[0].text
    # a second instance, or a re-run, queues nothing new
    await fire(services, FAMILY_CALL, shanghai(2026, 12, 1, 9))
    await run_job(services, FAMILY_CALL, shanghai(2026, 12, 1, 9), "other-instance")
    assert len(await outbox(db, "family-call")) == len(pushes)


async def test_other_days_holidays_and_the_make_up_day(db: Database) -> None:
    services = await demo_services(db)
    assert (await fire(services, FAMILY_CALL, shanghai(2026, 12, 2, 9)))[0].detail.startswith("今天不是")
    holiday = await fire(services, FAMILY_CALL, shanghai(2026, 10, 1, 9))
    assert holiday[0].status == "skipped" and "法定节假日" in holiday[0].detail
    await fire(services, FAMILY_CALL, shanghai(2026, 10, 8, 9))  # first school day after the Golden Week
    assert await outbox(db, "family-call:2026-10:prompt")
    made_up = await fire(
        services, FAMILY_CALL, shanghai(2026, 10, 10, 9)
    )  # make-up Saturday, not the first day
    assert made_up[0].status == "done" and made_up[0].detail.startswith("今天不是")


async def test_parents_without_account_get_a_neutral_group_notice(db: Database) -> None:
    services = await demo_services(db)
    who = await ids(db)
    async with db.transaction() as s:
        await s.execute(delete(Identity).where(Identity.guardian_id == who["张国庆"]))
    await fire(services, FAMILY_CALL, shanghai(2026, 12, 1, 9))
    group = [p for p in await outbox(db, "family-call") if p.chat_ref]
    assert len(group) == 1
    text = group[0].text
    assert (
        "张一一" not in text
        and "留守" not in text
        and "外出" not in text
        and not group[0].mentions["user_ids"]
    )


async def test_call_recorded_follow_up_and_completion(db: Database) -> None:
    services = await demo_services(db)
    who = await ids(db)
    await fire(services, FAMILY_CALL, shanghai(2026, 12, 1, 9))
    out = await say(services, "parent-zhang-dad", "今天和孩子视频了", shanghai(2026, 12, 3, 20), "m1")
    assert out.reply.private and "张一一" in out.reply.text and "视频" in out.reply.text
    await fire(services, FAMILY_CALL, shanghai(2026, 12, 15, 9))
    assert await outbox(db, "family-call:2026-12:follow-up") == []  # done: nobody is chased
    talk = await say(
        services, "teacher-li", "谈心 张一一 最近很开朗,想爸爸妈妈", shanghai(2026, 12, 10, 16), "m2"
    )
    assert talk.reply.private and "仅教师可见" in talk.reply.text
    async with db.transaction() as s:
        note = (await s.scalars(select(PastoralTalk.note))).one()
        calls = (await s.scalars(select(FamilyCall.kind))).all()
    assert note == "最近很开朗,想爸爸妈妈" and calls == ["video"]
    assert (await fire(services, FAMILY_CALL, shanghai(2026, 12, 30, 17)))[0].detail.startswith("今天不是")
    await fire(services, FAMILY_CALL, shanghai(2026, 12, 31, 17))  # last school day, evening
    table = await outbox(db, "family-call:2026-12:completion")
    assert [p.staff_id for p in table] == [who["赵建国"]]
    assert (
        "通话 1/1 谈心 1/1" in table[0].text and "张一一(帮扶 周静): 通话 1 次(视频) 谈心 ✓" in table[0].text
    )
    assert "最近很开朗" not in table[0].text  # the talk's content stays with the teachers


async def test_follow_up_chases_only_those_not_done(db: Database) -> None:
    services = await demo_services(db)
    who = await ids(db)
    await fire(services, FAMILY_CALL, shanghai(2026, 12, 15, 9))
    chased = await outbox(db, "family-call:2026-12:follow-up")
    assert {p.guardian_id for p in chased if p.guardian_id} == {who["张国庆"]}
    assert {p.staff_id for p in chased if p.staff_id} == {who["周静"]}
    assert (
        await outbox(db, "family-call:2026-12:prompt") == []
    )  # the 15th is not the month's first school day


async def test_who_may_record(db: Database) -> None:
    services = await demo_services(db)
    at = shanghai(2026, 12, 3, 16)
    other = await say(services, "parent-li", "已通话", at, "p1")
    assert other.reply.private and "不在留守儿童名单" in other.reply.text
    stranger_teacher = await say(services, "teacher-chen", "谈心 张一一 聊了聊", at, "p2")
    assert stranger_teacher.reply.private and "张一一" not in stranger_teacher.reply.text.split("没有找到")[0]
    paired = await say(services, "teacher-zhou", "通话 张一一 书信", at, "p3")
    assert paired.reply.private and "书信" in paired.reply.text
    grandma = await say(services, "parent-zhang-grandma", "已通话", at, "p4")
    assert grandma.reply.private and "张一一" in grandma.reply.text
    unknown = await say(services, "someone-new", "已通话", at, "p5")
    assert "绑定" in unknown.reply.text
    async with db.transaction() as s:
        recorded = (await s.scalars(select(FamilyCall.recorded_by).order_by(FamilyCall.id))).all()
        talks = (await s.scalars(select(PastoralTalk.id))).all()
    assert len(recorded) == 2 and talks == []


async def test_birthday_note_goes_to_the_paired_teacher_before_a_weekend(db: Database) -> None:
    services = await demo_services(db)
    who = await ids(db)
    # 张一一 was born on 9 January 2017; 9 January 2027 is a Saturday, so Friday tells it
    await fire(services, BIRTHDAY, shanghai(2027, 1, 7, 8))
    assert await outbox(db, "birthday") == []
    await fire(services, BIRTHDAY, shanghai(2027, 1, 8, 8))
    notes = await outbox(db, "birthday")
    assert (
        [p.staff_id for p in notes] == [who["周静"]]
        and "1月9日" in notes[0].text
        and "10 岁" in notes[0].text
    )
    assert not [p for p in notes if p.chat_ref]


async def test_two_instances_racing_push_once(db: Database) -> None:
    services = await demo_services(db)
    at = shanghai(2026, 12, 1, 9)
    services.clock.instant = at
    results = await asyncio.gather(
        run_job(services, FAMILY_CALL, at, "a"), run_job(services, FAMILY_CALL, at, "b")
    )
    statuses = sorted(r[0].status for r in results)
    assert statuses == ["done", "taken"]
    keys = [p.key for p in await outbox(db, "")]
    assert len(keys) == len(set(keys)) == 3


async def test_catch_up_after_a_day_long_outage_still_sends_the_morning_prompts(db: Database) -> None:
    """Down from before 09:00 until 17:30 on the month's first school day: both missed fires are considered.

    The 09:00 fire prompts the families and the 17:00 fire closes the month: unlike late-pickup, whose fires
    look at the state of the moment, they do different work, so the latest one cannot stand for both.
    """
    services = await demo_services(db)
    services.clock.instant = shanghai(2026, 12, 1, 17, 30)
    decisions = await catch_up(services, [FAMILY_CALL])
    assert decisions == [
        "family-call 2026-12-01T09:00:00+08:00: 补执行",
        "family-call 2026-12-01T17:00:00+08:00: 补执行",
    ]
    prompts = await outbox(db, "family-call:2026-12:prompt")
    assert [p.guardian_id for p in prompts if p.guardian_id] == [(await ids(db))["张国庆"]]
    assert await catch_up(services, [FAMILY_CALL]) == []  # both recorded: a second restart does nothing


async def test_a_grandparents_letter_is_recorded_as_theirs_and_does_not_complete_the_month(
    db: Database,
) -> None:
    services = await demo_services(db)
    who = await ids(db)
    out = await say(services, "parent-zhang-grandma", "给孩子写信了", shanghai(2026, 12, 3, 20), "g1")
    assert out.reply.private and "家中监护人" in out.reply.text and "已通话" in out.reply.text
    async with db.transaction() as s:
        rows = (await s.execute(select(FamilyCall.kind, FamilyCall.by_parent_away))).all()
    assert [tuple(r) for r in rows] == [("letter", False)]
    await fire(services, FAMILY_CALL, shanghai(2026, 12, 15, 9))
    chased = await outbox(db, "family-call:2026-12:follow-up")
    assert {p.guardian_id for p in chased if p.guardian_id} == {who["张国庆"]}  # the father is still asked
    await fire(services, FAMILY_CALL, shanghai(2026, 12, 31, 17))
    table = (await outbox(db, "family-call:2026-12:completion"))[0].text
    assert "通话 0/1" in table and "通话 未完成" in table and "家中监护人联系 1 次(不计入通话)" in table
