"""Notices with read confirmation (通知 / 收到 / 通知情况 / notice-reminder / daily summary) and closures told
(停课 in chat, `tuoguan calendar add 停课`), on the demo school, on SQLite and PostgreSQL."""

from __future__ import annotations

import argparse
from datetime import date, datetime
from typing import Any

from sqlalchemy import func, select

from bot.bootstrap import Services
from bot.cli.jobs import cmd_calendar
from bot.demo import CHAT_32, CHAT_51
from bot.jobs import build_jobs
from bot.jobs.runner import run_job
from bot.reports import daily_summary
from bot.settings import load_settings
from bot.store.calendar import school_calendar, school_ids
from bot.store.db import Database
from bot.store.notice_tables import Notice, NoticeTarget
from bot.store.notices import as_utc
from bot.store.outbox_tables import OutboxMessage
from bot.store.tables import AuditEntry, Chat, ClassGroup, Student
from tests.conftest import shanghai
from tests.integration.care_day import demo_services, sayer

JOBS = {spec.name: spec for spec in build_jobs()}
CLASS_32_NAMES = [
    "王小明",
    "李华",
    "张一一",
    "刘洋",
    "陈思远",
    "杨雨涵",
    "赵子轩",
    "黄欣怡",
    "周博文",
    "吴佳琪",
]
ALL_NAMES = [
    *CLASS_32_NAMES,
    "王小红",
    "孙浩然",
    "马诗琪",
    "朱俊杰",
    "胡梓萱",
    "郭宇航",
    "何雨桐",
    "林子豪",
    "罗梦洁",
    "高天宇",
]


async def outbox(db: Database, prefix: str) -> list[OutboxMessage]:
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


async def chat_refs(db: Database) -> dict[str, int]:
    async with db.transaction() as s:
        return dict((await s.execute(select(Chat.chat_id, Chat.id))).all())  # type: ignore[arg-type]


async def confirmed_names(db: Database, notice_id: int) -> set[str]:
    async with db.transaction() as s:
        return set(
            (
                await s.scalars(
                    select(Student.name)
                    .join(NoticeTarget, NoticeTarget.student_id == Student.id)
                    .where(NoticeTarget.notice_id == notice_id, NoticeTarget.confirmed_at.is_not(None))
                )
            ).all()
        )


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


async def test_head_teacher_notice_goes_to_their_class_and_any_guardian_confirms_the_child(
    db: Database,
) -> None:
    services = await demo_services(db)
    say = sayer(services)
    out = await say("teacher-li", "通知 周五下午3点开家长会,请准时参加", (9, 0))
    assert out.command == "通知" and "应确认 10 名" in out.reply.text and "三年级2班" in out.reply.text
    pushes = await outbox(db, "notice:")
    chats = await chat_refs(db)
    assert [p.chat_ref for p in pushes] == [chats[CHAT_32]]
    assert (
        "周五下午3点开家长会" in pushes[0].text and "收到" in pushes[0].text and "李梅老师" in pushes[0].text
    )
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

    other = await say(
        "teacher-chen", "通知情况", (10, 1), chat=CHAT_51
    )  # another teacher's notice is not theirs
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
    assert "提醒 0 个班群" in await fire(
        services, "notice-reminder", shanghai(2026, 11, 23, 20)
    )  # 11 h: too early
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
    async with db.unit_of_work() as uow:
        (school_id,) = await uow.calendar.school_ids()
        text = await daily_summary(uow, school_id, date(2026, 11, 23))
        assert "未结束通知 1 条" in text and "三年级2班「周五下午开家长会」已确认 1 / 应确认 10(10%)" in text
        assert "李华" not in text
        assert "未结束通知: 无" in await daily_summary(uow, school_id, date(2026, 12, 1))


async def test_principal_closure_is_told_at_once_and_that_day_has_no_pickup_jobs(db: Database) -> None:
    services = await demo_services(db)
    say = sayer(services)
    out = await say("principal-zhao", "停课 明天 运动会", (10, 0))
    assert out.command == "停课" and "11月24日(周二)" in out.reply.text and "应确认 20 名" in out.reply.text
    async with db.transaction() as s:
        (school_id,) = await school_ids(s)
        calendar = await school_calendar(s, school_id)
        notice = (await s.scalars(select(Notice))).one()
    assert not calendar.is_care_day(date(2026, 11, 24)) and calendar.why_not(date(2026, 11, 24)) == "学校停课"
    assert notice.kind == "closure" and as_utc(notice.closes_at) == shanghai(2026, 11, 25, 0, 0)
    pushes = await outbox(db, "notice:")
    assert len(pushes) == 2 and all(
        "11月24日(周二)停课(运动会)" in p.text and "收到" in p.text for p in pushes
    )
    assert_group_safe(pushes)
    assert (await say("parent-li", "收到", (12, 0))).reply.text == "已确认收到通知,谢谢您!"

    # That day: no pickup reminder, no late alert, no daily summary (the runner skips a closed day).
    for name, at in (("pickup-reminder", (17, 15)), ("late-pickup", (17, 45)), ("daily-summary", (18, 30))):
        services.clock.instant = shanghai(2026, 11, 24, *at)  # type: ignore[attr-defined]
        (result,) = await run_job(services, JOBS[name], shanghai(2026, 11, 24, *at))
        assert result.status == "skipped" and "学校停课" in result.detail
    for prefix in ("pickup-reminder", "late-pickup", "late-escalation", "daily-summary"):
        assert await outbox(db, prefix) == []
    # The day after is a care day again.
    services.clock.instant = shanghai(2026, 11, 25, 17, 15)  # type: ignore[attr-defined]
    (result,) = await run_job(services, JOBS["pickup-reminder"], shanghai(2026, 11, 25, 17, 15))
    assert result.status == "done"


async def test_closure_refusals_write_nothing(db: Database) -> None:
    services = await demo_services(db)
    say = sayer(services)
    assert (await say("principal-zhao", "停课 昨天 停电", (10, 0))).reply.refused
    assert "本来就没有托管" in (await say("principal-zhao", "停课 周六 运动会", (10, 1))).reply.text
    assert (await say("principal-zhao", "停课", (10, 2))).reply.refused
    assert (await say("teacher-li", "停课 明天 运动会", (10, 3))).result == "not_allowed"
    asked = await say("principal-zhao", "明天停课吗", (10, 4))
    assert asked.command != "停课"
    async with db.transaction() as s:
        assert await s.scalar(select(func.count()).select_from(Notice)) == 0
        (school_id,) = await school_ids(s)
        assert (await school_calendar(s, school_id)).closures == ()


async def test_closure_range_skips_days_without_care_and_is_one_notice(db: Database) -> None:
    services = await demo_services(db)
    say = sayer(services)
    out = await say(
        "principal-zhao", "停课 11月26日到11月30日 流感", (10, 0)
    )  # Thu-Mon: the weekend is skipped
    assert "11月26日(周四)、11月27日(周五)、11月30日(周一)" in out.reply.text
    async with db.transaction() as s:
        (school_id,) = await school_ids(s)
        calendar = await school_calendar(s, school_id)
    assert [(c.start, c.end) for c in calendar.closures] == [
        (date(2026, 11, 26), date(2026, 11, 27)),
        (date(2026, 11, 30), date(2026, 11, 30)),
    ]
    assert len(await outbox(db, "notice:")) == 2


def calendar_args(
    start: date, end: date | None = None, name: str = "", no_notice: bool = False
) -> argparse.Namespace:
    return argparse.Namespace(
        calendar_command="add", kind="停课", start=start, end=end, name=name, no_notice=no_notice
    )


async def test_calendar_add_closure_tells_the_classes_with_confirmation(db: Database, capsys: Any) -> None:
    services = await demo_services(db)
    services.clock.instant = shanghai(2026, 11, 23, 8)  # type: ignore[attr-defined]
    assert (
        await cmd_calendar(services, calendar_args(date(2026, 11, 25), date(2026, 11, 26), "流感停课")) == 0
    )
    printed = capsys.readouterr().out
    assert "已通知 2 个班级群,应确认 20 名学生" in printed
    pushes = await outbox(db, "notice:")
    assert len(pushes) == 2 and all("11月25日(周三)、11月26日(周四)停课(流感停课)" in p.text for p in pushes)
    assert_group_safe(pushes)
    say = sayer(services)
    assert (await say("parent-wang", "收到", (12, 0))).reply.text == "已确认收到通知,谢谢您!"
    status = await say(
        "principal-zhao", "通知情况", (12, 30)
    )  # a closure no one sent is the principal's to follow
    assert "已确认 2 / 应确认 20(10%)" in status.reply.text


async def test_calendar_add_past_or_quiet_closure_sends_nothing(db: Database, capsys: Any) -> None:
    services = await demo_services(db)
    services.clock.instant = shanghai(2026, 11, 23, 8)  # type: ignore[attr-defined]
    assert await cmd_calendar(services, calendar_args(date(2026, 11, 16))) == 0  # past
    assert await cmd_calendar(services, calendar_args(date(2026, 11, 28))) == 0  # a Saturday: no care anyway
    assert await cmd_calendar(services, calendar_args(date(2026, 11, 25), no_notice=True)) == 0
    assert "已通知" not in capsys.readouterr().out
    assert await outbox(db, "notice:") == []
    async with db.transaction() as s:
        assert await s.scalar(select(func.count()).select_from(Notice)) == 0


async def test_a_class_without_a_working_chat_is_named_to_the_sender(db: Database) -> None:
    services = await demo_services(db)
    async with db.transaction() as s:
        class51 = await s.scalar(select(ClassGroup.id).where(ClassGroup.name == "五年级1班"))
        for chat in (await s.scalars(select(Chat).where(Chat.class_group_id == class51))).all():
            chat.broken_reason = "robot removed"
    out = await sayer(services)("principal-zhao", "通知 全校 周五运动会", (9, 0))
    assert "五年级1班 没有可用的班级群" in out.reply.text and "应确认 20 名" in out.reply.text
    assert len(await outbox(db, "notice:")) == 1
