"""巡课 and 清校完毕 on the in-memory unit of work: only the day's duty leader records, the register must be empty."""

from __future__ import annotations

import inspect
from datetime import datetime

from bot.domain.care_day import PickupRecord
from bot.store.duty import DutyRepo
from tests.fakes.duty import FakeDuty
from tests.fakes.uow import teacher
from tests.unit.handlers.conftest import MON, Bot


def on_duty(bot: Bot) -> None:
    bot.world.duty.leaders[MON] = (1, "李老师")


def all_picked_up(bot: Bot, at: datetime) -> None:
    for kid in bot.world.kids.values():
        bot.world.pickups[(kid.id, MON)] = PickupRecord(kid.id, MON, "confirmed", at)


async def test_a_teacher_not_on_duty_may_not_patrol(bot: Bot) -> None:
    bot.world.duty.leaders[MON] = (9, "陈刚")
    said = await bot.say(teacher(bot.world), "巡课 三年级2班 正常", (16, 0), chat=None)
    assert said.reply.refused and "陈刚" in said.reply.text
    assert not bot.world.duty.patrols


async def test_the_duty_leader_records_patrols_in_order(bot: Bot) -> None:
    on_duty(bot)
    await bot.say(teacher(bot.world), "巡课 三年级2班 正常", (16, 0), chat=None)
    said = await bot.say(teacher(bot.world), "巡课 五年级1班 有问题 两人追逐打闹", (16, 30), chat=None)
    assert [(p.class_group_id, p.ok, p.note) for p in bot.world.duty.patrols] == [
        (1, True, ""),
        (2, False, "两人追逐打闹"),
    ]
    assert "第 2 次" in said.reply.text and said.reply.private


async def test_a_patrol_of_an_unknown_class_writes_nothing(bot: Bot) -> None:
    on_duty(bot)
    said = await bot.say(teacher(bot.world), "巡课 六年级9班 正常", (16, 0), chat=None)
    assert said.reply.refused and not bot.world.duty.patrols


async def test_clearance_is_refused_while_children_wait(bot: Bot) -> None:
    on_duty(bot)
    said = await bot.say(teacher(bot.world), "清校完毕", (18, 0), chat=None)
    assert said.reply.refused and "王小明" in said.reply.text and "王小红" in said.reply.text
    assert not bot.world.duty.clearances


async def test_clearance_is_recorded_once_everyone_left(bot: Bot) -> None:
    on_duty(bot)
    all_picked_up(bot, bot.now())
    said = await bot.say(teacher(bot.world), "清校完毕", (18, 0), chat=None)
    assert not said.reply.refused and bot.world.duty.clearances[MON][1] == 1
    again = await bot.say(teacher(bot.world), "清校完毕", (18, 5), chat=None)
    assert "无需重复" in again.reply.text and len(bot.world.duty.clearances) == 1


def test_the_fake_has_the_methods_of_the_duty_repository() -> None:
    real = {
        n: inspect.signature(f).parameters.keys() for n, f in vars(DutyRepo).items() if not n.startswith("_")
    }
    fake = {
        n: inspect.signature(f).parameters.keys() for n, f in vars(FakeDuty).items() if not n.startswith("_")
    }
    assert fake == real
