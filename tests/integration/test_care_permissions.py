"""Who may do what: guardians on their own children, teachers on their classes, strangers on nothing."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from bot.store.care_tables import Attendance, Leave, Pickup
from bot.store.db import Database
from bot.store.tables import Identity
from tests.integration.care_day import demo_services, sayer

PRIVATE = ("王小明", "王小红", "刘芳", "13800001111", "三年级2班")


async def nothing_written(db: Database) -> bool:
    async with db.transaction() as s:
        totals = [await s.scalar(select(func.count()).select_from(t)) for t in (Leave, Attendance, Pickup)]
    return totals == [0, 0, 0]


@pytest.mark.parametrize(
    "text", ["请假 明天", "点名", "王小明 已接走", "缺席 王小明", "未接走", "今天外婆接"]
)
async def test_strangers_get_a_binding_hint_and_no_data(db: Database, text: str) -> None:
    say = sayer(await demo_services(db))
    out = await say("stranger-1", text, (16, 30))
    assert "绑定" in out.reply.text
    assert not any(word in out.reply.text for word in PRIVATE)
    assert await nothing_written(db)


async def test_guardian_cannot_act_on_another_familys_child(db: Database) -> None:
    say = sayer(await demo_services(db))
    for text in ("请假 王小明 明天", "王小明 已接走", "王小明 今天外婆接", "王小明 今天晚点接 18:30"):
        out = await say("parent-li", text, (16, 40))  # 王小明 is not parent-li's child
        assert out.reply.text == "您的孩子中没有「王小明」,您只能为自己的孩子(李华)操作。", text
    assert await nothing_written(db)


@pytest.mark.parametrize("text", ["点名", "缺席 刘洋", "到了 刘洋", "未接走", "同意绑定 刘洋"])
async def test_guardians_cannot_use_teacher_commands(db: Database, text: str) -> None:
    say = sayer(await demo_services(db))
    out = await say("parent-wang", text, (16, 30))
    assert out.reply.text.startswith(f"「{text.split(' ')[0]}」只有")
    assert await nothing_written(db)


async def test_teacher_cannot_act_on_another_class(db: Database) -> None:
    say = sayer(await demo_services(db))
    out = await say("teacher-li", "点名", (16, 30), chat="demo-5-1")
    assert out.reply.text == "您不是五年级1班的老师,不能操作本班。"
    out = await say("teacher-li", "孙浩然 已接走", (17, 30), chat="demo-5-1")
    assert "不是五年级1班的老师" in out.reply.text
    out = await say("teacher-li", "孙浩然 已接走", (17, 30))  # in her own class chat: not her pupil
    assert "没有找到" in out.reply.text or "请写出" in out.reply.text
    assert await nothing_written(db)


async def test_principal_acts_on_every_class(db: Database) -> None:
    say = sayer(await demo_services(db))
    out = await say("principal-zhao", "点名", (16, 30), chat="demo-5-1")
    assert out.reply.text.startswith("应到 10 实到 10")
    out = await say("principal-zhao", "点名", (16, 30))
    assert out.reply.text.startswith("应到 9 ")


async def test_care_teacher_of_two_classes(db: Database) -> None:
    say = sayer(await demo_services(db))
    for chat in ("demo-3-2", "demo-5-1"):
        out = await say("teacher-zhou", "点名", (16, 30), chat=chat)
        assert out.reply.text.startswith("应到")


async def test_a_mother_of_two_is_asked_which_child(db: Database) -> None:
    say = sayer(await demo_services(db))
    out = await say("parent-wang", "请假 明天", (9, 0))
    assert out.reply.text.startswith("您有2个孩子,是哪一个?") and "1. 王小明\n2. 王小红" in out.reply.text
    assert await nothing_written(db)
    out = await say("parent-wang", "王小明 王小红 请假 明天", (9, 1))
    assert "王小明" in out.reply.text and "王小红" in out.reply.text


async def test_binding_needs_a_roster_match_and_the_head_teacher(db: Database) -> None:
    say = sayer(await demo_services(db))
    out = await say("new-user", "绑定 王小明 13800009999", (9, 0))  # not on the roster: the same answer
    assert out.reply.text == "已提交绑定申请,班主任确认后即可使用。"
    assert [p.text for p in out.pushes] == [
        "wecom:new-user申请绑定为王小明的家长,但手机号与花名册不符,未生成申请。"
        "如确是家长,请核对花名册里的手机号。"
    ]
    out = await say("new-user", "绑定 刘洋 13800004449", (9, 1))  # 刘小姨, on the roster without an account
    assert out.reply.text == "已提交绑定申请,班主任确认后即可使用。"
    assert out.pushes and "同意绑定 刘洋" in out.pushes[0].text and out.pushes[0].staff_id is not None
    assert "绑定" in (await say("new-user", "请假 明天", (9, 2))).reply.text  # not yet bound
    out = await say("parent-wang", "同意绑定 刘洋", (9, 3))
    assert "只有" in out.reply.text
    out = await say("teacher-zhou", "同意绑定 刘洋", (9, 3))  # a care teacher is not the head teacher
    assert "班主任或校长" in out.reply.text
    out = await say("teacher-li", "同意绑定 刘洋", (9, 4))
    assert out.reply.text == "已确认绑定: 刘小姨(wecom:new-user)"
    out = await say("new-user", "查询", (9, 5))
    assert "刘洋(三年级2班,其他,不可接送)" in out.reply.text
    out = await say("new-user", "绑定 刘洋 13800004449", (9, 6))
    assert "已绑定" in out.reply.text
    async with db.transaction() as s:
        assert await s.scalar(select(Identity.source).where(Identity.user_id == "new-user")) == "binding"
