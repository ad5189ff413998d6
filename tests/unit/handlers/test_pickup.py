"""晚点接, 早点接, 代接 and 已接走 (with the late-batch time question), on the in-memory unit of work."""

from __future__ import annotations

from datetime import time

from bot.domain.care_day import Plan
from tests.fakes.uow import guardian, teacher
from tests.unit.handlers.conftest import MON, Bot


async def test_a_late_notice_sets_the_expected_time(bot: Bot) -> None:
    said = await bot.say(guardian(bot.world), "王小明 今天晚点接 18:10", (16, 0))
    plan = bot.world.plans[(1, MON)]
    assert plan.expected_time == time(18, 10) and plan.early_time is None
    assert "18:10" in said.reply.text


async def test_a_second_late_notice_changes_the_same_plan(bot: Bot) -> None:
    parent = guardian(bot.world)
    await bot.say(parent, "王小明 今天晚点接 18:10", (16, 0))
    await bot.say(parent, "王小明 今天晚点接 18:20", (16, 5))
    assert len(bot.world.plans) == 1 and bot.world.plans[(1, MON)].expected_time == time(18, 20)


async def test_a_late_notice_past_the_latest_care_is_refused(bot: Bot) -> None:
    said = await bot.say(guardian(bot.world), "王小明 今天晚点接 19:30", (16, 0))
    assert said.reply.refused and not bot.world.plans


async def test_an_early_pickup_tells_the_class_teachers_privately(bot: Bot) -> None:
    said = await bot.say(guardian(bot.world), "王小明 今天早点接 16:00", (9, 0))
    assert bot.world.plans[(1, MON)].early_time == time(16, 0)
    assert [p.staff_id for p in said.pushes] == [1] and said.pushes[0].chat_ref is None


async def test_a_proxy_not_on_the_list_is_recorded_and_the_head_teacher_told(bot: Bot) -> None:
    said = await bot.say(guardian(bot.world), "王小明 今天外婆接", (9, 0))
    plan = bot.world.plans[(1, MON)]
    assert plan.person == "外婆" and not plan.person_authorised
    assert any(p.staff_id == 1 and "核实" in p.text for p in said.pushes)


async def test_a_guardians_claim_waits_for_the_teacher(bot: Bot) -> None:
    said = await bot.say(guardian(bot.world), "王小明 已接走", (17, 20))
    pickup = bot.world.pickups[(1, MON)]
    assert pickup.state == "claimed" and pickup.claimed_by == "guardian:1"
    assert "等老师确认" in said.reply.text


async def test_a_guardians_claim_is_confirmed_when_the_school_trusts_guardians(bot: Bot) -> None:
    bot.settings = bot.settings.model_copy(
        update={"care": bot.settings.care.model_copy(update={"guardian_self_confirm": True})}
    )
    await bot.say(guardian(bot.world), "王小明 已接走", (17, 20))
    assert bot.world.pickups[(1, MON)].state == "confirmed"


async def test_a_teacher_confirms_in_time(bot: Bot) -> None:
    said = await bot.say(teacher(bot.world), "王小明 已接走", (17, 35))
    pickup = bot.world.pickups[(1, MON)]
    assert pickup.state == "confirmed" and pickup.minutes_late == 0
    assert "已确认接走: 王小明" in said.reply.text and not said.pushes


async def test_a_late_pickup_is_told_to_the_teacher_alone(bot: Bot) -> None:
    said = await bot.say(teacher(bot.world), "王小明 已接走", (17, 55))
    assert bot.world.pickups[(1, MON)].minutes_late == 25
    assert "王小明" not in said.reply.text.replace("已确认接走: 王小明", "")
    [push] = said.pushes
    assert push.staff_id == 1 and "晚于约定时间" in push.text


async def test_the_late_notice_moves_the_agreed_time(bot: Bot) -> None:
    await bot.say(guardian(bot.world), "王小明 今天晚点接 18:10", (16, 0))
    await bot.say(teacher(bot.world), "王小明 已接走", (18, 15))
    assert bot.world.pickups[(1, MON)].minutes_late == 0


async def test_a_late_batch_asks_when_and_a_bare_time_answers(bot: Bot) -> None:
    said = await bot.say(teacher(bot.world), "全部已接走", (17, 55))
    pickup = bot.world.pickups[(1, MON)]
    assert not pickup.time_known and pickup.minutes_late == 0
    assert any("实际接走的时间" in p.text for p in said.pushes)
    said = await bot.say(teacher(bot.world), "17:50", (17, 58))
    assert said.command == "接走时间"
    pickup = bot.world.pickups[(1, MON)]
    assert pickup.time_known and pickup.minutes_late == 20
    said = await bot.say(teacher(bot.world), "17:50", (17, 59))
    assert said.reply.refused  # answered: nothing waits for a time any more


async def test_a_child_on_leave_is_not_confirmed(bot: Bot) -> None:
    await bot.say(guardian(bot.world), "王小明 请假 今天")
    said = await bot.say(teacher(bot.world), "王小明 已接走", (17, 30))
    assert not bot.world.pickups and "请假" in said.reply.text


async def test_the_third_late_pickup_of_a_term_goes_to_the_principal(bot: Bot) -> None:
    from datetime import date

    for day in (date(2026, 11, 23), date(2026, 11, 24), date(2026, 11, 25)):
        said = await bot.say(teacher(bot.world), "王小明 已接走", (17, 55), day=day)
    assert any(p.staff_id == 2 and "第3次晚接" in p.text for p in said.pushes)


async def test_a_proxy_on_the_list_is_authorised_and_nobody_is_alerted(bot: Bot) -> None:
    said = await bot.say(guardian(bot.world), "王小明 今天妈妈来接", (9, 0))
    plan = bot.world.plans[(1, MON)]
    assert plan.person == "母亲刘芳" and plan.person_authorised and not said.pushes


async def test_the_waiting_list_goes_to_the_teacher_privately(bot: Bot) -> None:
    await bot.say(guardian(bot.world), "王小明 今天晚点接 18:10", (16, 0))
    said = await bot.say(teacher(bot.world), "未接走", (17, 40))
    assert said.reply.private and "王小明(约18:10)" in said.reply.text
    await bot.say(teacher(bot.world), "王小明 已接走", (18, 5))
    said = await bot.say(teacher(bot.world), "未接走", (18, 6))
    assert said.reply.text == "全部已接走 ✓"


async def test_a_batch_with_a_time_tells_the_teacher_who_was_late(bot: Bot) -> None:
    from bot.domain.children import Child
    from bot.store.care import GuardianContact

    bot.world.kids[3] = Child(3, "李华", 1, 3, True)
    bot.world.guardians[3] = [GuardianContact(2, "李强", "父亲", "13800002222", True, ())]
    bot.world.plans[(3, MON)] = Plan(3, MON, expected_time=time(18, 10))
    said = await bot.say(teacher(bot.world), "17:55 王小明 李华 已接走", (18, 0))
    assert bot.world.pickups[(1, MON)].minutes_late == 25 and bot.world.pickups[(3, MON)].minutes_late == 0
    assert [p.text for p in said.pushes if p.staff_id == 1] == ["晚于约定时间接走(已记录): 王小明。"]
