"""Enrollment through the pipeline: four steps with pushes, waitlist and promotion, withdrawal, 撤班."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import func, select

from bot.store.db import Database
from bot.store.enroll_tables import Enrollment
from bot.store.tables import Course, Student
from tests.conftest import shanghai
from tests.integration.enroll_factory import sayer, seed

NOW = shanghai(2026, 9, 2, 9, 0)


async def test_four_steps_each_told_to_the_guardian(db: Database) -> None:
    school = await seed(db, families=1)
    say = sayer(db, NOW)
    user, child, gid = school.families[0]
    out = await say(user, "报名 1+X 篮球")
    assert "1类" in out.reply.text and "等待班主任审核" in out.reply.text
    assert "待审核" in (await say(user, "我的课程")).reply.text
    out = await say("teacher-li", f"同意 {child} 篮球")
    assert out.pushes[0].guardian_id == gid and out.pushes[0].key.endswith(":class_ok")
    assert "待复核" in (await say(user, "我的课程")).reply.text
    out = await say("principal-zhao", "复核 篮球")
    assert "复核通过 1 人" in out.reply.text and out.pushes[0].key.endswith(":active")
    assert "已报名" in (await say(user, "我的课程")).reply.text
    async with db.transaction() as s:
        assert (await s.execute(select(Student.basic_care))).scalar_one() is True


async def test_roles_are_checked(db: Database) -> None:
    school = await seed(db, families=1)
    say = sayer(db, NOW)
    user, child, _ = school.families[0]
    await say(user, "报名 篮球")
    assert (await say(user, f"同意 {child} 篮球")).result == "not_allowed"
    assert (await say("teacher-li", "复核 篮球")).result == "not_allowed"


async def test_waitlist_position_and_promotion_on_reject(db: Database) -> None:
    school = await seed(db, families=3, capacity=1)
    say = sayer(db, NOW)
    (u0, c0, _), (u1, _, g1), (u2, _, _) = school.families
    await say(u0, "报名 篮球")
    assert "候补第1位" in (await say(u1, "报名 篮球")).reply.text
    assert "候补第2位" in (await say(u2, "报名 篮球")).reply.text
    assert "候补第2位" in (await say(u2, "我的课程")).reply.text
    out = await say("teacher-li", f"驳回 {c0} 篮球")
    promoted = [p for p in out.pushes if p.key.endswith(":promoted")]
    assert [p.guardian_id for p in promoted] == [g1]
    assert "候补第1位" in (await say(u2, "我的课程")).reply.text


async def test_withdraw_before_approval_frees_place_after_needs_approval(db: Database) -> None:
    school = await seed(db, families=2, capacity=1)
    say = sayer(db, NOW)
    (u0, c0, _), (u1, _, _) = school.families
    await say(u0, "报名 篮球")
    await say(u1, "报名 篮球")
    await say("teacher-li", f"同意 {c0} 篮球")
    await say("principal-zhao", "复核 篮球")
    assert "书面申请" in (await say(u0, "退出 篮球")).reply.text
    assert "退出待审核" in (await say(u0, "我的课程")).reply.text
    out = await say("teacher-li", f"同意退出 {c0} 篮球")
    assert "已批准" in out.reply.text
    assert [p.key.rsplit(":", 1)[1] for p in out.pushes] == ["withdrawn", "promoted"]
    out = await say(u1, "退出 篮球")
    assert "已退出" in out.reply.text


async def test_cancel_course_tells_every_family(db: Database) -> None:
    school = await seed(db, families=2)
    say = sayer(db, NOW)
    for user, _, _ in school.families:
        await say(user, "报名 书法")
    out = await say("principal-zhao", "撤班 书法")
    assert "2 名学生" in out.reply.text
    assert sorted(p.guardian_id for p in out.pushes) == sorted(g for _, _, g in school.families)
    assert "已撤班" in (await say(school.families[0][0], "我的课程")).reply.text
    async with db.transaction() as s:
        assert (
            await s.execute(select(Course.state).where(Course.name == "书法"))
        ).scalar_one() == "cancelled"


async def test_unknown_course_and_double_application(db: Database) -> None:
    school = await seed(db, families=1)
    say = sayer(db, NOW)
    user = school.families[0][0]
    assert "没有可报名的课程" in (await say(user, "报名 游泳")).reply.text
    await say(user, "报名 篮球")
    assert "已报过" in (await say(user, "报名 篮球")).reply.text


@pytest.mark.parametrize("n", [50])
async def test_concurrent_applications_never_over_enroll(db: Database, n: int) -> None:
    school = await seed(db, families=n, capacity=20)
    say = sayer(db, NOW)
    outs = await asyncio.gather(*(say(u, "报名 篮球") for u, _, _ in school.families))
    assert all(o.result == "ok" for o in outs)
    texts = [o.reply.text for o in outs]
    assert sum("等待班主任审核" in t for t in texts) == 20
    positions = sorted(int(t.split("候补第")[1].split("位")[0]) for t in texts if "候补第" in t)
    assert positions == list(range(1, n - 20 + 1))
    async with db.transaction() as s:
        rows = (await s.execute(select(Enrollment.state, func.count()).group_by(Enrollment.state))).all()
    assert dict(rows) == {"applied": 20, "waitlist": n - 20}
