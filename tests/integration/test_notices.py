"""Notices with read confirmation (通知 / 收到 / 通知情况 / notice-reminder / daily summary), on the demo
school, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import select

from bot.bootstrap import Services
from bot.demo import CHAT_32, CHAT_51
from bot.jobs import build_jobs
from bot.jobs.runner import run_job
from bot.reports import daily_summary
from bot.settings import load_settings
from bot.store.calendar import school_ids
from bot.store.db import Database
from bot.store.notice_tables import Notice, NoticeTarget
from bot.store.notices import as_utc
from bot.store.outbox_tables import OutboxMessage
from bot.store.tables import AuditEntry, Chat, Student
from tests.conftest import shanghai
from tests.integration.care_day import demo_services, sayer

JOBS = {spec.name: spec for spec in build_jobs()}
CLASS_32_NAMES = ["王小明", "李华", "张一一", "刘洋", "陈思远", "杨雨涵", "赵子轩", "黄欣怡", "周博文", "吴佳琪"]
ALL_NAMES = [*CLASS_32_NAMES, "王小红", "孙浩然", "马诗琪", "朱俊杰", "胡梓萱", "郭宇航", "何雨桐", "林子豪", "罗梦洁",
             "高天宇"]


async def outbox(db: Database, prefix: str) -> list[OutboxMessage]:
    async with db.transaction() as s:
        return list((await s.scalars(select(OutboxMessage).where(OutboxMessage.key.startswith(prefix))
                                     .order_by(OutboxMessage.id))).all())


async def chat_refs(db: Database) -> dict[str, int]:
    async with db.transaction() as s:
        return dict((await s.execute(select(Chat.chat_id, Chat.id))).all())  # type: ignore[arg-type]


async def confirmed_names(db: Database, notice_id: int) -> set[str]:
    async with db.transaction() as s:
        return set((await s.scalars(
            select(Student.name).join(NoticeTarget, NoticeTarget.student_id == Student.id)
            .where(NoticeTarget.notice_id == notice_id, NoticeTarget.confirmed_at.is_not(None)))).all())


async def notice_ids(db: Database) -> list[int]:
    async with db.transaction() as s:
        return list((await s.scalars(select(Notice.id).order_by(Notice.id))).all())


def assert_group_safe(pushes: list[OutboxMessage]) -> None:
    """No child's name, no phone number in any group text."""
    for p in pushes:
        assert p.chat_ref is not None
        assert not any(name in p.text for name in ALL_NAMES), p.text
        assert "138" not in p.text


async def fire(services: Services, name: str, at: datetime) -> str:
    services.clock.instant = at  # type: ignore[attr-defined]
    return str((await run_job(services, JOBS[name], at))[0].detail)


async def test_head_teacher_notice_goes_to_their_class_and_any_guardian_confirms_the_child(db: Database) -> None:
    services = await demo_services(db)
    say = sayer(services)
    out = await say("teacher-li", "通知 周五下午3点开家长会,请准时参加", (9, 0))
    assert out.command == "通知" and "应确认 10 名" in out.reply.text and "三年级2班" in out.reply.text
    pushes = await outbox(db, "notice:")
    chats = await chat_refs(db)
    assert [p.chat_ref for p in pushes] == [chats[CHAT_32]]
    assert "周五下午3点开家长会" in pushes[0].text and "收到" in pushes[0].text and "李梅老师" in pushes[0].text
    assert_group_safe(pushes)
    (notice_id,) = await notice_ids(db)

    assert (await say("parent-li", "收到", (9, 5))).reply.text == "已确认收到通知,谢谢您!"
    await say("parent-wang-dad", "收到,谢谢老师", (9, 6))  # 王小明 (and 王小红, reached by no notice)
    again = await say("parent-wang", "收到", (9, 7))  # the other guardian of 王小明: already confirmed
    assert again.command == "闲聊" and again.reply.text == "好的👌"
    assert await confirmed_names(db, notice_id) == {"李华", "王小明"}

    status = await say("teacher-li", "通知情况", (10, 0))
    assert status.reply.private and "已确认 2 / 应确认 10(20%)" in status.reply.text
    assert "未确认 8 人" in status.reply.text and "张一一" in status.reply.text
    assert "李华" not in status.reply.text and "王小明" not in status.reply.text
    # The private answer reaches the sender one-to-one; the group only learns that it did.
    private = await outbox(db, "private-reply:")
    assert private[-1].staff_id is not None and "已确认 2" in private[-1].text

    other = await say("teacher-chen", "通知情况", (10, 1), chat=CHAT_51)  # another teacher's notice is not theirs
    assert "没有未结束的通知" in other.reply.text


async def test_principal_school_and_grade_notices_one_reply_confirms_every_open_notice(db: Database) -> None:
    services = await demo_services(db)
    say = sayer(services)
    school = await say("principal-zhao", "通知 全校 下周一起托管时间调整为17:45结束", (9, 0))
    assert "应确认 20 名" in school.reply.text
    grade = await say("principal-zhao", "通知 三年级: 周三下午体检,请穿宽松衣服", (9, 1))
    assert "应确认 10 名" in grade.reply.text
    pushes = await outbox(db, "notice:")
    assert len(pushes) == 3 and "校长 赵建国" in pushes[0].text
    assert_group_safe(pushes)
    first, second = await notice_ids(db)

    both = await say("parent-wang", "@托管助手 收到", (12, 0))
    assert both.reply.text == "已确认收到 2 条通知,谢谢您!"
    assert await confirmed_names(db, first) == {"王小明", "王小红"}
    assert await confirmed_names(db, second) == {"王小明"}

    latest = await say("principal-zhao", "通知情况", (13, 0))
    assert "体检" in latest.reply.text and "已确认 1 / 应确认 10(10%)" in latest.reply.text
    assert "通知情况 2" in latest.reply.text
    before = await say("principal-zhao", "通知情况 2", (13, 1))
    assert "托管时间调整" in before.reply.text and "已确认 2 / 应确认 20(10%)" in before.reply.text
    assert "五年级1班: 孙浩然" in before.reply.text
    assert "只有 2 条" in (await say("principal-zhao", "通知情况 3", (13, 2))).reply.text

    refused = await say("teacher-li", "通知 全校 明天放假", (13, 3))
    assert refused.reply.refused == "not_allowed" and len(await notice_ids(db)) == 2
    parent = await say("parent-li", "通知 明天不上课", (13, 4))
    assert parent.result in ("not_allowed",) and len(await notice_ids(db)) == 2
    vague = await say("principal-zhao", "通知 明天下午全校大扫除", (13, 5))  # a principal names the scope
    assert vague.reply.refused and "通知 全校" in vague.reply.text and len(await notice_ids(db)) == 2


async def test_a_notice_may_carry_a_question_and_a_question_about_notices_sends_nothing(db: Database) -> None:
    services = await demo_services(db)
    say = sayer(services)
    out = await say("teacher-li", "通知 明天春游,需要带什么请看群公告", (9, 0))
    assert out.command == "通知" and len(await notice_ids(db)) == 1
    asked = await say("teacher-li", "通知情况发一下?", (9, 1))
    assert asked.command == "通知情况"
    assert (await say("parent-li", "收到了吗?", (9, 2))).command != "闲聊"
    assert await confirmed_names(db, (await notice_ids(db))[0]) == set()


async def test_received_without_an_open_notice_is_chatter_and_writes_nothing(db: Database) -> None:
    services = await demo_services(db)
    say = sayer(services)
    out = await say("parent-li", "收到", (9, 0))
    assert out.command == "闲聊" and out.reply.text == "好的👌"
    await say("teacher-li", "通知 周五开家长会", (9, 1))
    # notices.open_days (7) later the notice is closed: 收到 is chatter again and confirms nothing.
    late = await say("parent-li", "收到", (9, 2), day=30)
    assert late.reply.text == "好的👌"
    assert await confirmed_names(db, (await notice_ids(db))[0]) == set()
    async with db.transaction() as s:
        actions = set((await s.scalars(select(AuditEntry.action))).all())
    assert "notice.confirm" not in actions and "notice.send" in actions


async def test_open_days_is_read_from_settings(db: Database) -> None:
    services = await demo_services(db, load_settings(notices={"open_days": 1, "remind_after_hours": 2}))
    say = sayer(services)
    await say("teacher-li", "通知 周五开家长会", (9, 0))
    async with db.transaction() as s:
        notice = (await s.scalars(select(Notice))).one()
    assert as_utc(notice.closes_at) == shanghai(2026, 11, 24, 9, 0)
    assert "提醒 1 个班群" in await fire(services, "notice-reminder", shanghai(2026, 11, 23, 11))


async def test_reminder_mentions_only_the_unconfirmed_once_after_the_delay(db: Database) -> None:
    services = await demo_services(db)
    say = sayer(services)
    await say("principal-zhao", "通知 全校 周五运动会,请穿运动服", (9, 0))
    await say("parent-li", "收到", (9, 30))
    for user in ("parent-wang", "parent-sun"):  # every guardian with an account in 五年级1班 ...
        await say(user, "收到", (9, 31))
    assert "提醒 0 个班群" in await fire(services, "notice-reminder", shanghai(2026, 11, 23, 20))  # 11 h: too early
    detail = await fire(services, "notice-reminder", shanghai(2026, 11, 24, 8))  # 23 h > 20 h
    assert "提醒 2 个班群" in detail
    reminders = await outbox(db, "notice-reminder:")
    chats = await chat_refs(db)
    assert_group_safe(reminders)
    by_chat = {r.chat_ref: r for r in reminders}
    users32 = set(by_chat[chats[CHAT_32]].mentions["user_ids"])
    assert users32 == {"parent-zhang-dad", "parent-zhang-grandma", "parent-liu", "parent-chen"}
    assert "13800006661" in by_chat[chats[CHAT_32]].mentions["phones"]  # 杨帆 has no account
    # ... so 五年级1班 is reminded only through the guardians without an account, never by name.
    assert by_chat[chats[CHAT_51]].mentions["user_ids"] == []
    assert "周五运动会" in reminders[0].text and "被@的家长" in reminders[0].text
    await fire(services, "notice-reminder", shanghai(2026, 11, 24, 9))
    assert len(await outbox(db, "notice-reminder:")) == 2  # once per notice and class


async def test_daily_summary_lists_open_notices_with_their_rate(db: Database) -> None:
    services = await demo_services(db)
    say = sayer(services)
    await say("teacher-li", "通知 周五下午开家长会", (9, 0))
    await say("parent-li", "收到", (9, 5))
    async with db.transaction() as s:
        (school_id,) = await school_ids(s)
        text = await daily_summary(s, school_id, date(2026, 11, 23))
        assert "未结束通知 1 条" in text and "三年级2班「周五下午开家长会」已确认 1 / 应确认 10(10%)" in text
        assert "李华" not in text
        assert "未结束通知: 无" in await daily_summary(s, school_id, date(2026, 12, 1))
