"""Staff commands: 缺席, 到了, 全部到齐, 点名 on the in-memory unit of work."""

from __future__ import annotations

from tests.fakes.uow import guardian, teacher
from tests.unit.handlers.conftest import MON, Bot


async def test_an_unnotified_absence_is_told_to_the_guardians_privately(bot: Bot) -> None:
    said = await bot.say(teacher(bot.world), "缺席 王小明", (16, 10))
    assert bot.world.marks[(1, MON)].status == "absent"
    assert said.reply.private
    assert [p.guardian_id for p in said.pushes] == [1] and all(p.chat_ref is None for p in said.pushes)


async def test_a_child_on_leave_is_not_absent(bot: Bot) -> None:
    await bot.say(guardian(bot.world), "王小明 请假 今天")
    said = await bot.say(teacher(bot.world), "缺席 王小明", (16, 10))
    assert not bot.world.marks and "不算缺席" in said.reply.text


async def test_present_after_absent_changes_the_mark(bot: Bot) -> None:
    await bot.say(teacher(bot.world), "缺席 王小明", (16, 10))
    await bot.say(teacher(bot.world), "到了 王小明", (16, 15))
    assert bot.world.marks[(1, MON)].status == "present"


async def test_all_present_marks_the_expected_and_counts(bot: Bot) -> None:
    said = await bot.say(teacher(bot.world), "全部到齐", (16, 10))
    assert bot.world.marks[(1, MON)].status == "present"
    assert said.reply.text == "已点名: 应到 1 实到 1 请假 0 缺席 0"


async def test_roll_call_counts_and_keeps_names_off_the_group(bot: Bot) -> None:
    await bot.say(guardian(bot.world), "王小明 请假 今天")
    said = await bot.say(teacher(bot.world), "点名", (16, 20))
    assert said.reply.text.splitlines()[0] == "应到 1 实到 0 请假 1 缺席 0"
    assert said.reply.private


async def test_a_third_unnotified_absence_is_flagged_to_head_teacher_and_principal(bot: Bot) -> None:
    from datetime import date

    for day in (date(2026, 11, 23), date(2026, 11, 24), date(2026, 11, 25)):
        said = await bot.say(teacher(bot.world), "缺席 王小明", (16, 10), day=day)
    flagged = {p.staff_id for p in said.pushes if "第3次未请假缺席" in p.text}
    assert flagged == {1, 2}


async def test_a_teacher_of_another_class_is_refused(bot: Bot) -> None:
    other = teacher(bot.world, staff_id=9, user_id="teacher-x", name="周老师")
    said = await bot.say(other, "缺席 王小明", (16, 10))
    assert said.reply.refused == "not_allowed" and not bot.world.marks
