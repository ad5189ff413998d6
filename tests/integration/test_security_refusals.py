"""Every refusal path writes nothing and tells nothing: strangers, other families' children, other classes."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from bot.handlers import texts
from bot.store.db import Database
from bot.store.outbox_tables import OutboxMessage
from tests.e2e.fuzzing import row_counts
from tests.integration.care_day import Say, demo_services, sayer

OTHER_CLASS = "您不是三年级2班的老师,不能操作本班。"
NOT_HIS_PUPIL = "王小明 不在您的班级。"
PRIVATE = ("王小明", "王小红", "张一一", "刘芳", "13800001111", "发烧", "元")


async def applied(db: Database) -> Say:
    """The demo school with 王小明's 篮球 application waiting for review, and a leave already asked."""
    say = sayer(await demo_services(db))
    assert "等待班主任审核" in (await say("parent-wang", "报名 篮球 王小明", (9, 0))).reply.text
    assert "已为王小明请假" in (await say("parent-wang", "王小明 请假 明天 发烧", (9, 1))).reply.text
    return say


async def written(db: Database) -> dict[str, int]:
    counts = await row_counts(db)
    counts.pop("processed_messages")  # the dedupe record of the refused message itself
    async with db.transaction() as s:  # and a private refusal's own answer, queued for the sender
        counts["outbox"] -= (
            await s.scalar(
                select(func.count())
                .select_from(OutboxMessage)
                .where(OutboxMessage.key.startswith("private-reply:"))
            )
            or 0
        )
    return counts


@pytest.mark.parametrize(
    ("chat", "text", "expected"),
    [
        ("demo-3-2", "请假 王小明 明天", OTHER_CLASS),  # leave
        ("demo-3-2", "王小明 已接走", OTHER_CLASS),  # pickup
        ("demo-3-2", "已接走 王小明 李华", OTHER_CLASS),
        ("demo-3-2", "全部已接走", OTHER_CLASS),
        ("demo-3-2", "点名", OTHER_CLASS),  # roll call
        ("demo-3-2", "缺席 王小明", OTHER_CLASS),
        ("demo-3-2", "到了 王小明", OTHER_CLASS),
        ("demo-3-2", "未接走", OTHER_CLASS),
        ("demo-5-1", "同意 王小明 篮球", NOT_HIS_PUPIL),  # enrollment approvals
        ("demo-5-1", "驳回 王小明 篮球", NOT_HIS_PUPIL),
        ("demo-3-2", "同意退出 王小明 篮球", NOT_HIS_PUPIL),
        ("demo-5-1", "缴费 王小明 100", NOT_HIS_PUPIL),  # fees
        ("demo-3-2", "缴费 王小明 100", NOT_HIS_PUPIL),
    ],
)
async def test_a_teacher_cannot_act_on_another_class(
    db: Database, chat: str, text: str, expected: str
) -> None:
    say = await applied(db)
    before = await written(db)
    out = await say("teacher-chen", text, (16, 40), chat=chat)  # head teacher of 五年级1班 only
    assert out.reply.text == expected
    assert out.result == "not_allowed"  # counted as a refusal in tuoguan_messages_total, not as "ok"
    assert out.pushes == []
    assert await written(db) == before


@pytest.mark.parametrize(
    ("text", "expected", "result"),
    [
        # 报名/退出 look only among the sender's own children, so they cannot tell "someone else's" from "nobody".
        ("报名 篮球 王小明", "您的孩子中没有「王小明」。", "refused"),
        ("退出 篮球 王小明", "您的孩子中没有「王小明」。", "refused"),
        ("请假 王小明 明天", "您的孩子中没有「王小明」,您只能为自己的孩子(李华)操作。", "not_allowed"),
        ("销假 王小明 明天", "您的孩子中没有「王小明」,您只能为自己的孩子(李华)操作。", "not_allowed"),
        ("王小明 已接走", "您的孩子中没有「王小明」,您只能为自己的孩子(李华)操作。", "not_allowed"),
        ("代接 王小明 外婆", "您的孩子中没有「王小明」,您只能为自己的孩子(李华)操作。", "not_allowed"),
    ],
)
async def test_a_guardian_cannot_act_on_another_familys_child(
    db: Database, text: str, expected: str, result: str
) -> None:
    say = await applied(db)
    before = await written(db)
    out = await say("parent-li", text, (16, 40))
    assert out.reply.text == expected
    assert out.result == result
    assert out.pushes == []
    assert await written(db) == before


@pytest.mark.parametrize(
    "text",
    [
        "报名 篮球",
        "报名 篮球 王小明",
        "我的课程",
        "退出 篮球",
        "费用",
        "缴费 王小明 100",
        "同意 王小明 篮球",
        "驳回 王小明 篮球",
        "复核 篮球",
        "撤班 篮球",
        "已通话",
        "通话 张一一 视频",
        "谈心 张一一 很好",
        "销假",
        "今天晚点接 18:10",
        "帮我看看王小明的请假原因",
    ],
)
async def test_an_unknown_sender_gets_only_the_binding_hint(db: Database, text: str) -> None:
    say = await applied(db)
    before = await written(db)
    out = await say("stranger-9", text, (16, 40))
    assert out.reply.text == texts.UNKNOWN_SENDER
    assert out.result in {"unknown_sender", "ok"} and out.pushes == []
    assert not any(word in out.reply.text for word in PRIVATE if word != "元")
    assert await written(db) == before
