"""Issue 13: the measured failures of understanding, through the pipeline of the demo school (Monday 2026-11-23)."""

from __future__ import annotations

from sqlalchemy import func, select

from bot.bootstrap import bootstrap
from bot.store.care_tables import Leave, PickupPlan
from bot.store.db import Database
from bot.store.tables import AuditEntry, Student
from tests.integration.care_day import demo_services, sayer


async def writes(db: Database) -> int:
    async with db.transaction() as s:
        return int(
            await s.scalar(select(func.count()).select_from(AuditEntry).where(AuditEntry.actor != "roster"))
            or 0
        )


async def leave_days(db: Database, name: str) -> list[str]:
    async with db.transaction() as s:
        rows = await s.scalars(
            select(Leave.day)
            .join(Student, Student.id == Leave.student_id)
            .where(Student.name == name, Leave.cancelled_at.is_(None))
            .order_by(Leave.day)
        )
        return [d.isoformat() for d in rows]


# 1. A question is never a command.


async def test_questions_never_write(db: Database) -> None:
    say = sayer(await demo_services(db))
    before = await writes(db)
    for text in [
        "李华明天请假吗",
        "李华下周二请假了吗？",
        "请问怎么请假",
        "请假需要提前多久？",
        "今天谁来接李华呢",
        "明天能请假么",
        "请假了没",
        "可以请假吗",
        "明天请假是否需要写原因",
        "有没有请假",
    ]:
        out = await say("parent-li", text, (8, 0))
        assert out.command == "问答", (text, out.command, out.reply.text)
        assert "没看懂" not in out.reply.text
    assert await writes(db) == before


async def test_a_question_about_leave_answers_the_childs_status(db: Database) -> None:
    say = sayer(await demo_services(db))
    out = await say("parent-li", "李华明天请假吗", (8, 0))
    assert "李华" in out.reply.text and "没有请假" in out.reply.text and out.reply.private
    await say("parent-li", "请假 明天 看牙", (8, 1))
    out = await say("parent-li", "李华明天请假了吗?", (8, 2))
    assert "11月24日(周二)已请假" in out.reply.text and out.reply.private


async def test_how_to_questions_get_the_rule_and_an_example(db: Database) -> None:
    say = sayer(await demo_services(db))
    out = await say("parent-li", "请问怎么请假", (8, 0))
    assert "请假 明天" in out.reply.text
    out = await say("parent-li", "请假需要提前多久？", (8, 0))
    assert "托管开始前" in out.reply.text


# 2. Dates resolve to concrete care days, or are refused with the reason.


async def test_past_days_are_refused(db: Database) -> None:
    say = sayer(await demo_services(db))
    out = await say("parent-li", "请假 昨天", (8, 0))
    assert "11月22日(周日)已经过去" in out.reply.text and out.reply.refused
    assert await leave_days(db, "李华") == []


async def test_a_week_without_days_asks_which(db: Database) -> None:
    say = sayer(await demo_services(db))
    out = await say("parent-li", "请假 下周", (8, 0), day=27)
    assert "下周哪几天" in out.reply.text and await leave_days(db, "李华") == []


async def test_ranges_record_every_day_and_name_the_skipped_ones(db: Database) -> None:
    say = sayer(await demo_services(db))
    out = await say("teacher-li", "下周一到周三 王小明 请假", (8, 0))
    assert "11月30日(周一)、12月1日(周二)、12月2日(周三)" in out.reply.text
    assert await leave_days(db, "王小明") == ["2026-11-30", "2026-12-01", "2026-12-02"]
    async with db.transaction() as s:
        reasons = set((await s.scalars(select(Leave.reason))).all())
    assert reasons == {""}
    out = await say("parent-li", "周四周五请假两天", (8, 1))
    assert "11月26日(周四)、11月27日(周五)" in out.reply.text
    out = await say("parent-li", "请假 11月30日至12月4日", (8, 2))
    assert "12月4日(周五)" in out.reply.text
    out = await say("parent-chen", "周五起请3天假", (8, 3))
    assert "11月27日(周五)、11月30日(周一)、12月1日(周二)" in out.reply.text
    assert "11月28日(周六)、11月29日(周日)没有托管,已跳过" in out.reply.text
    out = await say("parent-liu", "请3天假", (8, 4))
    assert "11月24日(周二)、11月25日(周三)、11月26日(周四)" in out.reply.text


# 3. Names are matched against the sender's children, then the roster; never absorbed.


async def test_a_name_that_is_not_the_senders_child_is_refused(db: Database) -> None:
    say = sayer(await demo_services(db))
    for text, word in [
        ("思远 请假 明天", "思远"),
        ("陈思远 请假 明天", "陈思远"),
        ("帮方明请下周一的假", "方明"),
    ]:
        out = await say("parent-li", text, (8, 0))
        assert f"您的孩子中没有「{word}」" in out.reply.text, (text, out.reply.text)
    assert await leave_days(db, "李华") == [] and await leave_days(db, "陈思远") == []


async def test_names_in_any_form_of_the_senders_children(db: Database) -> None:
    say = sayer(await demo_services(db))
    out = await say("parent-wang", "小明 后天请假 看牙", (8, 0))
    assert "已为王小明请假: 11月25日(周三)" in out.reply.text
    out = await say("parent-wang", "王 小红明天请事假", (8, 1))
    assert "已为王小红请假: 11月24日(周二)" in out.reply.text
    out = await say("parent-li", "小华明天请病假", (8, 2))
    assert "已为李华请假: 11月24日(周二)" in out.reply.text
    async with db.transaction() as s:
        reasons = sorted((await s.scalars(select(Leave.reason))).all())
    assert reasons == ["事假", "病假", "看牙"]


# 4. Ask when unsure, and remember the answer (stored: a restart keeps it).


async def test_a_short_name_is_proposed_and_yes_carries_it_out_after_a_restart(db: Database) -> None:
    services = await demo_services(db)
    out = await sayer(services)("teacher-li", "小明 后天请假 看牙", (8, 0))
    assert "是「王小明」吗?" in out.reply.text and await leave_days(db, "王小明") == []
    restarted = bootstrap(services.settings, clock=services.clock, db=db)  # a new process, the same database
    say = sayer(restarted)
    out = await say("parent-li", "是", (8, 1))  # someone else's 是 is not the answer
    assert await leave_days(db, "王小明") == []
    out = await say(
        "teacher-li",
        "是",
        (8, 2),
    )
    assert "已为王小明请假: 11月25日(周三)" in out.reply.text
    assert await leave_days(db, "王小明") == ["2026-11-25"]
    async with db.transaction() as s:
        assert (await s.scalars(select(Leave.reason))).all() == ["看牙"]
    out = await say("teacher-li", "是", (8, 3))  # answered once only
    assert await leave_days(db, "王小明") == ["2026-11-25"] and "没看懂" not in out.reply.text


async def test_anything_else_or_ten_minutes_drops_the_proposal(db: Database) -> None:
    say = sayer(await demo_services(db))
    await say("teacher-li", "小明 后天请假", (8, 0))
    await say("teacher-li", "点名", (8, 1))
    await say("teacher-li", "是", (8, 2))
    await say("teacher-li", "小明 后天请假", (9, 0))
    await say("teacher-li", "对", (9, 11))
    assert await leave_days(db, "王小明") == []
    await say("teacher-li", "王晓明 后天请假", (9, 20))
    out = await say("teacher-li", "确认", (9, 29))
    assert await leave_days(db, "王小明") == ["2026-11-25"], out.reply.text


async def test_which_child_is_answered_by_a_number(db: Database) -> None:
    say = sayer(await demo_services(db))
    out = await say("parent-wang", "请假 明天 发烧", (8, 0))
    assert "1. 王小明\n2. 王小红" in out.reply.text
    out = await say("parent-wang", "2", (8, 1))
    assert "已为王小红请假: 11月24日(周二)" in out.reply.text
    assert await leave_days(db, "王小红") == ["2026-11-24"] and await leave_days(db, "王小明") == []


async def test_a_bare_cancel_of_several_days_asks_first(db: Database) -> None:
    say = sayer(await demo_services(db))
    await say("parent-li", "请假 明天到周四", (8, 0))
    out = await say("parent-li", "销假", (8, 1))
    assert (
        "11月24日(周二)、11月25日(周三)、11月26日(周四)" in out.reply.text and "回复「是」" in out.reply.text
    )
    assert await leave_days(db, "李华") == ["2026-11-24", "2026-11-25", "2026-11-26"]
    out = await say("parent-li", "是", (8, 2))
    assert "已为李华销假" in out.reply.text and await leave_days(db, "李华") == []
    await say("parent-li", "请假 明天", (8, 3))
    out = await say("parent-li", "销假", (8, 4))  # one day: no need to ask
    assert "已为李华销假: 11月24日(周二)" in out.reply.text


# 5. Natural phrasings for the commands parents use; polite chatter is never "没看懂".


async def test_natural_enrollment(db: Database) -> None:
    say = sayer(await demo_services(db))
    out = await say("parent-wang", "帮王小红报一下书法班", (8, 0))
    assert "王小红" in out.reply.text and "书法" in out.reply.text and out.command == "报名", out.reply.text
    out = await say("parent-wang", "王小明 报名 书法", (8, 1))
    assert "王小明" in out.reply.text and "书法" in out.reply.text and not out.reply.refused, out.reply.text
    out = await say("parent-li", "我想给孩子报个美术", (8, 2))
    assert "美术" in out.reply.text and out.reply.refused  # understood; the school has no such course
    before = await writes(db)
    out = await say("parent-li", "帮王小红报一下书法班", (8, 3))
    assert "您的孩子中没有「王小红」" in out.reply.text and await writes(db) == before


async def test_natural_reads(db: Database) -> None:
    say = sayer(await demo_services(db))
    out = await say("parent-li", "有哪些课", (8, 0))
    assert "篮球" in out.reply.text and "书法" in out.reply.text
    out = await say("parent-li", "课程", (8, 0))
    assert "可报名的课程" in out.reply.text
    for text in ["交了多少钱", "还欠多少", "我交了多少钱了？"]:
        out = await say("parent-li", text, (8, 1))
        assert out.reply.private and "费用明细" in out.reply.text, text


async def test_natural_pickups_keep_the_persons_name(db: Database) -> None:
    say = sayer(await demo_services(db))
    out = await say("parent-chen", "老师，陈思远今天由他姑姑陈红来接，麻烦了", (15, 0))
    assert "姑姑陈红" in out.reply.text
    out = await say("parent-li", "今天他舅舅来接，叫李明", (15, 1))
    assert "舅舅李明" in out.reply.text
    async with db.transaction() as s:
        people = sorted((await s.scalars(select(PickupPlan.person))).all())
    assert people == ["姑姑陈红", "舅舅李明"]
    out = await say("parent-li", "孩子我已经接到啦😊", (17, 20))
    assert out.command == "已接走"


async def test_polite_chatter_gets_a_short_answer(db: Database) -> None:
    say = sayer(await demo_services(db))
    before = await writes(db)
    for text in ["谢谢老师", "好的", "收到", "👍👍", "老师辛苦了！", "好的，谢谢"]:
        out = await say("parent-li", text, (8, 0))
        assert out.command == "闲聊" and "没看懂" not in out.reply.text and len(out.reply.text) <= 40, text
    assert await writes(db) == before


# Rules the corpus found.


async def test_children_in_different_clauses_are_not_given_one_command(db: Database) -> None:
    say = sayer(await demo_services(db))
    before = await writes(db)
    out = await say("parent-wang", "小明今天外婆接，小红还是我来接", (8, 0))
    assert "分开发" in out.reply.text and await writes(db) == before
    out = await say("teacher-li", "刘洋没来，陈思远到了", (16, 20))
    assert "分开发" in out.reply.text and await writes(db) == before
    out = await say("teacher-li", "刘洋，陈思远 已接走", (17, 40))  # a list of names is one clause
    assert "刘洋" in out.reply.text and "陈思远" in out.reply.text and await writes(db) > before


async def test_a_mistyped_command_word_is_proposed(db: Database) -> None:
    say = sayer(await demo_services(db))
    out = await say("parent-li", "清假 明天", (8, 0))
    assert "您是想「请假 明天」吗?" in out.reply.text and await leave_days(db, "李华") == []
    await say("parent-li", "是", (8, 1))
    assert await leave_days(db, "李华") == ["2026-11-24"]


async def test_i_will_pick_up_names_the_sender(db: Database) -> None:
    say = sayer(await demo_services(db))
    out = await say("parent-zhang-grandma", "一一今天我来接我是她奶奶", (8, 0))
    assert "张一一 11月23日(周一)由奶奶张奶奶接" in out.reply.text  # the day is always said


async def test_which_days_is_answered_by_the_days(db: Database) -> None:
    say = sayer(await demo_services(db))
    out = await say("parent-li", "下周都请假 回老家", (8, 0), day=27)
    assert "下周哪几天" in out.reply.text
    out = await say("parent-li", "是", (8, 1), day=27)  # 是 is not an answer to "which days"
    assert await leave_days(db, "李华") == []
    out = await say("parent-li", "下周一到周三", (8, 2), day=27)
    assert "11月30日(周一)、12月1日(周二)、12月2日(周三)" in out.reply.text
    assert await leave_days(db, "李华") == ["2026-11-30", "2026-12-01", "2026-12-02"]
    out = await say("parent-li", "周五", (8, 3), day=27)  # nothing asked: not a command by itself
    assert out.reply.refused and await leave_days(db, "李华") == ["2026-11-30", "2026-12-01", "2026-12-02"]
