"""A whole care day for one class through the pipeline, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from bot.domain.messages import Push
from bot.store.care_tables import Attendance, Leave, Pickup, PickupPlan
from bot.store.db import Database
from bot.store.enroll_tables import LedgerEntry
from bot.store.tables import AuditEntry, Student
from tests.integration.care_day import demo_services, sayer

MON = date(2026, 11, 23)


def group_safe(pushes: list[Push], words: list[str]) -> None:
    for push in pushes:
        if push.chat_ref is not None:
            assert not any(w in push.text for w in words), push.text


async def student_id(db: Database, name: str) -> int:
    async with db.transaction() as s:
        found = await s.scalar(select(Student.id).where(Student.name == name))
        assert found is not None
        return found


async def test_a_whole_day(db: Database) -> None:
    services = await demo_services(db)
    say = sayer(services)

    # Morning: a leave with a private reason, for the mother's younger child.
    out = await say("parent-wang", "王小红 请假 今天 发烧", (8, 5))
    assert "已为王小红请假: 11月23日(周一)" in out.reply.text and "发烧" not in out.reply.text
    assert any(p.staff_id and "发烧" in p.text for p in out.pushes)  # the head teacher hears the reason

    # A leave after care started is recorded as a late notice.
    out = await say("parent-li", "老师，孩子今天咳嗽，不去托管了", (16, 5))
    assert "记为迟报" in out.reply.text and "咳嗽" not in out.reply.text

    # A parent's late notice and a pickup by someone not on the list.
    out = await say("parent-wang", "王小明今天6点10分左右到", (16, 10))
    assert "18:10" in out.reply.text
    out = await say("parent-zhang-grandma", "今天爷爷来接", (16, 12))
    assert "核实" in out.reply.text and out.pushes and out.pushes[0].staff_id is not None

    # Roll call: numbers first.
    out = await say("teacher-li", "点名", (16, 20))
    assert out.reply.text.splitlines()[0] == "应到 9 实到 8 请假 1 缺席 0"

    # An unnotified absence: the guardians are told privately, never in the group.
    out = await say("teacher-li", "刘洋没来", (16, 21))
    assert "缺席" in out.reply.text
    private = [p for p in out.pushes if p.guardian_id is not None]
    assert len(private) == 2 and all(p.chat_ref is None for p in out.pushes)
    out = await say("teacher-li", "点名", (16, 22))
    assert out.reply.text.splitlines()[0] == "应到 9 实到 7 请假 1 缺席 1"

    # Pickups: on time, a guardian's claim, a late one.
    out = await say("teacher-li", "陈思远 杨雨涵 已接走", (17, 25))
    assert "已确认接走: 陈思远、杨雨涵" in out.reply.text
    out = await say("parent-chen", "孩子我接走了", (17, 26))
    assert "陈思远" in out.reply.text
    out = await say("teacher-li", "未接走", (17, 40))
    assert out.reply.text.startswith("未接走 5 人") and "王小明(约18:10)" in out.reply.text
    out = await say("teacher-li", "王小明 已接走", (18, 5))  # before his announced 18:10: not late
    out = await say("teacher-li", "全部已接走", (18, 20))  # confirmed late: when did they leave?
    assert "其中 4 人已过约定时间" in out.reply.text and "张一一" not in out.reply.text.splitlines()[1]
    asked = [p for p in out.pushes if p.staff_id is not None and "17:35" in p.text]
    assert len(asked) == 1 and "张一一" in asked[0].text and asked[0].chat_ref is None
    out = await say("teacher-li", "18:15", (18, 22))
    assert "于 18:15 接走,其中 4 人晚于约定时间" in out.reply.text and out.reply.private
    out = await say("teacher-li", "未接走", (18, 21))
    assert out.reply.text == "全部已接走 ✓"

    async with db.transaction() as s:
        leaves = (await s.scalars(select(Leave).where(Leave.day == MON))).all()
        assert sorted((lv.late_notice, bool(lv.reason)) for lv in leaves) == [(False, True), (True, True)]
        marks = (await s.scalars(select(Attendance))).all()
        assert [(m.status, m.day) for m in marks] == [("absent", MON)]
        pickups = {p.student_id: p for p in (await s.scalars(select(Pickup))).all()}
        assert len(pickups) == 7 and all(p.state == "confirmed" for p in pickups.values())
        wang = await s.scalar(select(Student.id).where(Student.name == "王小明"))
        assert pickups[wang].minutes_late == 0
        late = sorted(p.minutes_late for p in pickups.values() if p.minutes_late)
        assert late == [45, 45, 45, 45]  # the time the teacher gave, not 18:20
        plans = (await s.scalars(select(PickupPlan))).all()
        assert {(p.person_authorised, bool(p.expected_time)) for p in plans} == {(True, True), (False, False)}
        # Every change is in the audit trail with the message it came from.
        audit = (await s.scalars(select(AuditEntry).where(AuditEntry.action != "roster_import"))).all()
        assert all(a.message_id and a.message_id.startswith("msg-") for a in audit)
        assert {"leave", "mark_absent", "pickup_confirmed", "pickup_claimed", "late_notice"} <= {
            a.action for a in audit
        }


async def test_leave_ranges_and_cancel(db: Database) -> None:
    services = await demo_services(db)
    say = sayer(services)
    out = await say("parent-li", "请假 明天到下周一 回老家", (9, 0))
    assert "11月24日(周二)、11月25日(周三)、11月26日(周四)、11月27日(周五)、11月30日(周一)" in out.reply.text
    again = await say("parent-li", "请假 明天到下周一 回老家", (9, 1))  # the same again changes nothing
    assert again.reply.text == out.reply.text
    out = await say("parent-li", "销假 周三", (9, 2))
    assert "已为李华销假: 11月25日(周三)" in out.reply.text
    out = await say("parent-li", "撤销请假", (9, 3))  # several days: asked first, then confirmed
    assert "11月24日(周二)、11月26日(周四)、11月27日(周五)、11月30日(周一)吗?" in out.reply.text
    out = await say("parent-li", "是", (9, 3))
    assert "已为李华销假: 11月24日(周二)、11月26日(周四)、11月27日(周五)、11月30日(周一)" in out.reply.text
    out = await say("parent-li", "销假", (9, 4))
    assert "没有可以销的假" in out.reply.text
    out = await say("parent-li", "请假 周六", (9, 5))
    assert "没有托管" in out.reply.text
    async with db.transaction() as s:
        active = (await s.scalars(select(Leave).where(Leave.cancelled_at.is_(None)))).all()
        assert active == []


async def test_a_cancelled_leave_asked_for_again_stands_again(db: Database) -> None:
    services = await demo_services(db)
    say = sayer(services)
    await say("parent-li", "请假 周三 看病", (9, 0))
    await say("parent-li", "销假 周三", (9, 1))
    out = await say("parent-li", "请假 周三 有事", (9, 2))  # message msg-3
    assert "已为李华请假: 11月25日(周三)" in out.reply.text
    async with db.transaction() as s:
        leaves = (await s.scalars(select(Leave))).all()
        assert len(leaves) == 1  # the same row, not a second one
        leave = leaves[0]
        assert (leave.day, leave.cancelled_at, leave.cancelled_by) == (date(2026, 11, 25), None, None)
        assert (leave.reason, leave.message_id, leave.late_notice) == ("有事", "msg-3", False)
        actions = (await s.scalars(select(AuditEntry.action).where(AuditEntry.message_id == "msg-3"))).all()
        assert actions == ["leave"]


async def test_repeated_lateness_is_flagged_to_the_principal_once(db: Database) -> None:
    services = await demo_services(db)
    say = sayer(services)
    flagged = []
    for day in (23, 24, 25, 26):
        out = await say("teacher-li", "刘洋 已接走", (17, 50), day=day)
        flagged += [p for p in out.pushes if "晚接" in p.text]
    assert len(flagged) == 1
    assert "第3次晚接" in flagged[0].text and "13800004441" in flagged[0].text  # phones to staff only
    assert flagged[0].staff_id is not None and flagged[0].chat_ref is None


async def test_names_not_in_class_get_a_suggestion(db: Database) -> None:
    say = sayer(await demo_services(db))
    out = await say("teacher-li", "王晓明 已接走", (17, 40))
    assert out.reply.text.startswith('没有找到"王晓明",是"王小明"吗?\n回复「是」')
    out = await say("teacher-li", "缺席 刘阳", (16, 30))
    assert out.reply.text.startswith('没有找到"刘阳",是"刘洋"吗?')


async def test_late_fee_is_off_by_default_and_charged_once_when_on(db: Database) -> None:
    services = await demo_services(db)
    say = sayer(services)
    await say("teacher-li", "刘洋 已接走", (17, 50))
    async with db.transaction() as s:
        assert (await s.scalars(select(LedgerEntry))).all() == []

    services.settings.care.late_fee_fen_per_minute = 100
    await say("teacher-li", "刘洋 已接走", (17, 50), day=24)
    await say("teacher-li", "刘洋 已接走", (17, 55), day=24)  # a second confirmation charges nothing more
    async with db.transaction() as s:
        lines = (await s.scalars(select(LedgerEntry))).all()
        late = (await s.scalars(select(Pickup.minutes_late).where(Pickup.day == date(2026, 11, 24)))).one()
    assert late > 0
    assert [(e.kind, e.fen, e.term_start.month) for e in lines] == [("charge", late * 100, 9)]
    assert lines[0].key.startswith("late-fee:")


async def test_a_guardians_claim_waits_for_the_teacher_unless_self_confirm(db: Database) -> None:
    services = await demo_services(db)
    say = sayer(services)
    out = await say("parent-li", "孩子我接走了", (17, 20))
    assert "李华" in out.reply.text and "等老师确认" in out.reply.text
    out = await say("teacher-li", "李华 已接走", (17, 21))
    assert "已确认接走: 李华" in out.reply.text

    services.settings.care.guardian_self_confirm = True
    out = await say("parent-li", "已接走", (17, 20), day=24)
    assert "李华" in out.reply.text and "(已确认)" in out.reply.text
    async with db.transaction() as s:
        states = (await s.scalars(select(Pickup.state).order_by(Pickup.day))).all()
    assert states == ["confirmed", "confirmed"]


async def test_late_fee_is_filed_under_the_schools_own_term(db: Database) -> None:
    from bot.store.calendar import add_entry

    services = await demo_services(db)
    async with db.transaction() as s:
        await add_entry(s, 1, "term", date(2026, 11, 2), date(2027, 1, 22), "秋季学期(后段)")
    services.settings.care.late_fee_fen_per_minute = 100
    say = sayer(services)
    await say("teacher-li", "刘洋 已接走", (17, 50), day=24)
    async with db.transaction() as s:
        line = (await s.scalars(select(LedgerEntry))).one()
    assert line.term_start == date(2026, 11, 2)  # the term 费用 and settlement read, not a default Sep-Jan
    statement = await say("parent-liu", "费用", (18, 30), day=24)
    assert "晚接" in statement.reply.text
