"""请假 and 销假, run by the real handlers on the in-memory unit of work."""

from __future__ import annotations

from datetime import date

from bot.domain.children import Child
from bot.store.care import GuardianContact
from tests.fakes.uow import guardian, teacher
from tests.unit.handlers.conftest import MON, Bot

TUE, WED = date(2026, 11, 24), date(2026, 11, 25)


async def test_a_leave_is_recorded_and_the_head_teacher_hears_the_reason(bot: Bot) -> None:
    said = await bot.say(guardian(bot.world), "王小明 请假 明天 发烧")
    leave = bot.world.leaves[(1, TUE)]
    assert leave.reason == "发烧" and leave.cancelled_at is None and not leave.late_notice
    assert "发烧" not in said.reply.text and "已为王小明请假" in said.reply.text
    [push] = said.pushes
    assert push.staff_id == 1 and "发烧" in push.text and push.chat_ref is None
    assert [a["action"] for a in bot.world.audits] == ["leave"]


async def test_a_range_records_each_day(bot: Bot) -> None:
    await bot.say(guardian(bot.world), "王小明 请假 明天到后天")
    assert {d for (sid, d) in bot.world.leaves if sid == 1} == {TUE, WED}


async def test_asking_twice_writes_one_leave(bot: Bot) -> None:
    await bot.say(guardian(bot.world), "王小明 请假 明天")
    await bot.say(guardian(bot.world), "王小明 请假 明天", (8, 5))
    assert len(bot.world.leaves) == 1


async def test_a_leave_after_care_started_is_a_late_notice(bot: Bot) -> None:
    said = await bot.say(guardian(bot.world), "王小明 请假 今天", (16, 0))
    assert bot.world.leaves[(1, MON)].late_notice
    assert "记为迟报" in said.reply.text


async def test_a_past_day_is_refused_and_nothing_written(bot: Bot) -> None:
    said = await bot.say(guardian(bot.world), "王小明 请假 昨天")
    assert said.reply.refused and not bot.world.leaves and not said.pushes


async def test_two_children_and_no_name_asks_which_then_the_answer_carries_it_out(bot: Bot) -> None:
    parent = guardian(bot.world)
    said = await bot.say(parent, "请假 明天")
    assert said.reply.refused and not bot.world.leaves
    assert "1." in said.reply.text and "2." in said.reply.text
    said = await bot.say(parent, "2", (8, 1))
    assert said.command == "确认" and list(bot.world.leaves) == [(2, TUE)]


async def test_another_familys_child_is_refused(bot: Bot) -> None:
    bot.world.kids[3] = Child(3, "李华", 1, 3, True)
    bot.world.guardians[3] = [GuardianContact(2, "李强", "父亲", "13800002222", True, ())]
    said = await bot.say(guardian(bot.world), "李华 请假 明天")
    assert said.reply.refused == "not_allowed" and not bot.world.leaves


async def test_a_teacher_records_leave_for_a_pupil_of_the_class(bot: Bot) -> None:
    said = await bot.say(teacher(bot.world), "请假 王小明 明天")
    assert (1, TUE) in bot.world.leaves
    assert not said.pushes  # the head teacher is the sender: nobody else to tell


async def test_cancelling_a_leave_tells_the_head_teacher(bot: Bot) -> None:
    parent = guardian(bot.world)
    await bot.say(parent, "王小明 请假 明天")
    said = await bot.say(parent, "销假 王小明 明天", (9, 0))
    assert bot.world.leaves[(1, TUE)].cancelled_at is not None
    assert any(p.staff_id == 1 and "已销假" in p.text for p in said.pushes)


async def test_a_leave_asked_again_after_cancelling_stands_again(bot: Bot) -> None:
    parent = guardian(bot.world)
    await bot.say(parent, "王小明 请假 明天 发烧")
    await bot.say(parent, "销假 王小明 明天", (9, 0))
    await bot.say(parent, "王小明 请假 明天 看牙", (9, 5))
    leave = bot.world.leaves[(1, TUE)]
    assert leave.cancelled_at is None and leave.reason == "看牙"


async def test_a_bare_cancel_of_several_days_asks_first(bot: Bot) -> None:
    parent = guardian(bot.world)
    await bot.say(parent, "王小明 请假 明天到后天")
    said = await bot.say(parent, "销假 王小明", (9, 0))
    assert said.reply.refused and "11月24日" in said.reply.text and "11月25日" in said.reply.text
    assert all(row.cancelled_at is None for row in bot.world.leaves.values())
    await bot.say(parent, "是", (9, 1))
    assert all(row.cancelled_at is not None for row in bot.world.leaves.values())


async def test_nothing_to_cancel_says_so(bot: Bot) -> None:
    said = await bot.say(guardian(bot.world), "销假 王小明 明天")
    assert "没有可以销的假" in said.reply.text and not said.pushes
