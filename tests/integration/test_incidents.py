"""Incidents (issue 19, point 2) on the demo school, on SQLite and PostgreSQL: 事故 / 安全事件 recorded by a teacher
of the child, told at once and only one-to-one (duty leader, principal, guardians), never in a group; and
`tuoguan report incidents --month`."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from bot.cli.jobs import cmd_report
from bot.clock import FixedClock
from bot.demo import CHAT_51
from bot.domain.messages import IncomingMessage, Platform
from bot.handlers import texts
from bot.pipeline import group_safe
from bot.roster.importer import import_sheets
from bot.roster.reader import Row, SheetData
from bot.store.db import Database
from bot.store.duty_tables import Incident
from bot.store.outbox_tables import OutboxMessage
from bot.store.tables import Guardian, Staff, Student
from tests.conftest import shanghai
from tests.integration.care_day import demo_services, sayer
from tests.integration.test_duty import duty_school, fire, staff_ids

ALL_NAMES = (
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
    "王小红",
    "孙浩然",
)


async def rows(db: Database) -> list[Incident]:
    async with db.transaction() as s:
        return list((await s.scalars(select(Incident).order_by(Incident.id))).all())


async def outbox(db: Database) -> list[OutboxMessage]:
    async with db.transaction() as s:
        return list((await s.scalars(select(OutboxMessage).order_by(OutboxMessage.id))).all())


async def guardian_ids(db: Database, *names: str) -> set[int]:
    async with db.transaction() as s:
        return set((await s.scalars(select(Guardian.id).where(Guardian.name.in_(names)))).all())


def assert_no_group_push_tells(pushes: list[OutboxMessage], *words: str) -> None:
    """No push to a group names a child or repeats the incident."""
    for push in pushes:
        if push.chat_ref is not None:
            assert not any(w in push.text for w in (*ALL_NAMES, *words)), push.text


async def test_an_incident_sent_in_the_group_is_recorded_and_told_only_privately(db: Database) -> None:
    services = await duty_school(db)  # Monday's duty leader: 陈刚
    ids = await staff_ids(db)
    say = sayer(services)
    out = await say("teacher-li", "事故 王小明 摔倒擦伤 已处理", (16, 20))
    assert out.result == "ok" and out.reply.private
    assert "已登记 16:20 王小明 安全事件: 摔倒擦伤;处理: 已处理" in out.reply.text
    assert "群里不会显示" in out.reply.text
    # What the group reads: only that the answer went privately.
    msg = IncomingMessage(Platform.WECOM, "demo-3-2", "teacher-li", "x", "m", shanghai(2026, 11, 23, 16, 20))
    assert group_safe(out.reply, msg).text == texts.PRIVATE_IN_GROUP

    (incident,) = await rows(db)
    assert (incident.what, incident.actions, incident.words) == ("摔倒擦伤", "已处理", "摔倒擦伤 已处理")
    assert incident.in_group and incident.reported_by == ids["李梅"]
    pushes = [p for p in await outbox(db) if p.key.startswith("incident:")]
    assert sorted(p.staff_id for p in pushes if p.staff_id) == sorted([ids["陈刚"], ids["赵建国"]])
    assert {p.guardian_id for p in pushes if p.guardian_id} == await guardian_ids(db, "刘芳", "王建")
    assert all(p.chat_ref is None for p in pushes) and len(pushes) == 4
    to_parents = [p for p in pushes if p.guardian_id]
    assert all("李梅老师告知" in p.text and "摔倒擦伤 已处理" in p.text for p in to_parents)
    to_staff = [p for p in pushes if p.staff_id]
    assert all("三年级2班 王小明: 摔倒擦伤;处理: 已处理" in p.text for p in to_staff)
    private = [p for p in await outbox(db) if p.key.startswith("private-reply:")]
    assert [(p.staff_id, p.chat_ref) for p in private] == [(ids["李梅"], None)]
    assert_no_group_push_tells(await outbox(db), "摔倒", "擦伤")


async def test_who_may_record_and_what_is_refused(db: Database) -> None:
    services = await duty_school(db)
    ids = await staff_ids(db)
    say = sayer(services)
    other_class = await say("teacher-chen", "事故 王小明 摔倒擦伤 已处理", (16, 0), chat=CHAT_51)
    assert other_class.result == "not_allowed" and other_class.reply.private
    parent = await say("parent-li", "事故 李华 摔倒 已处理", (16, 1))
    assert parent.result == "not_allowed"
    for text, why in [
        ("事故 王小民 摔倒 已处理", '没有找到"王小民"'),
        ("事故 王小明", "请写明发生了什么"),
        ("事故 摔倒擦伤 已处理", "请先写孩子的姓名"),
        ("事故 小明 摔倒 已处理", '是"王小明"吗?请写孩子的全名'),
    ]:
        out = await say("teacher-li", text, (16, 2))
        assert out.result == "refused" and out.reply.private and why in out.reply.text, (text, out.reply.text)
    question = await say("teacher-li", "事故 王小明 摔倒了吗?", (16, 3))
    assert question.command == "问答"
    plain = await say("teacher-li", "王小明摔倒擦伤了", (16, 4))  # no record, and no echo in the group
    assert plain.command == "受伤" and plain.reply.private and "事故 姓名 经过" in plain.reply.text
    assert await rows(db) == []

    care = await say("teacher-zhou", "安全事件 孙浩然 被门夹到手指 已冰敷 已通知家长", (16, 30), chat=CHAT_51)
    assert care.result == "ok"
    principal = await say("principal-zhao", "事故 五年级1班 王小红: 流鼻血,已送医院", (16, 40))
    assert principal.result == "ok"
    first, second = await rows(db)
    assert (first.what, first.actions, first.reported_by) == (
        "被门夹到手指",
        "已通知家长、已处理",
        ids["周静"],
    )
    assert (second.what, second.actions) == ("流鼻血", "已送医")
    # The principal who reported is not told again; the duty leader is.
    told = [p.staff_id for p in await outbox(db) if p.key.startswith(f"incident:{second.id}:s")]
    assert told == [ids["陈刚"]]


async def test_without_duty_roster_the_principal_alone_is_told(db: Database) -> None:
    services = await demo_services(db)
    ids = await staff_ids(db)
    out = await sayer(services)("teacher-li", "事故 李华 磕到额头 已处理 已通知家长", (15, 55))
    assert out.result == "ok"
    staff = [p.staff_id for p in await outbox(db) if p.key.startswith("incident:") and p.staff_id]
    assert staff == [ids["赵建国"]]


async def test_report_incidents_prints_the_month_and_writes_a_formula_safe_xlsx(
    db: Database, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    services = await duty_school(db)
    say = sayer(services)
    await say("teacher-li", "事故 王小明 摔倒擦伤 已处理", (16, 20))
    await say("teacher-li", '事故 李华 =HYPERLINK("http://x") 已通知家长', (16, 25), day=24)
    path = tmp_path / "incidents.xlsx"
    assert (
        await cmd_report(services, argparse.Namespace(report_command="incidents", month="2026-11", out=path))
        == 0
    )
    out = capsys.readouterr().out
    assert "2026-11 安全事件登记 2 起" in out
    assert "2026-11-23 16:20 三年级2班 王小明: 摔倒擦伤;处理: 已处理;报告人 李梅" in out
    ws = load_workbook(path).active
    assert ws is not None
    values = [[c.value for c in row] for row in ws.iter_rows()]
    assert values[0] == ["日期", "时间", "班级", "学生", "学籍号", "经过", "处理", "老师原话", "报告人"]
    assert values[1][:7] == ["2026-11-23", "16:20", "三年级2班", "王小明", "D3201", "摔倒擦伤", "已处理"]
    cell = ws.cell(3, 6)
    assert cell.value == '=HYPERLINK("http://x")' and cell.data_type == "s"  # text, not a live formula

    assert (
        await cmd_report(services, argparse.Namespace(report_command="incidents", month="2026-10", out=None))
        == 0
    )
    assert "2026-10 安全事件登记 0 起" in capsys.readouterr().out
    assert (
        await cmd_report(services, argparse.Namespace(report_command="incidents", month="11月", out=None))
        == 2
    )


async def test_staff_name_of_reporter_is_kept_when_the_sender_is_staff(db: Database) -> None:
    services = await duty_school(db)
    await sayer(services)("teacher-zhou", "事故 李华 摔倒 已处理", (16, 0))
    (incident,) = await rows(db)
    async with db.transaction() as s:
        assert await s.scalar(select(Staff.name).where(Staff.id == incident.reported_by)) == "周静"


async def test_no_group_push_of_the_day_names_the_child_or_the_incident(db: Database) -> None:
    services = await duty_school(db)
    say = sayer(services)
    await say("teacher-li", "事故 王小明 摔倒擦伤 已处理", (16, 20))
    await say("teacher-chen", "巡课 三年级2班 有问题 王小明 哭闹不止", (16, 30), chat=CHAT_51)
    for name, at in [
        ("pickup-reminder", (17, 15)),
        ("patrol-log", (17, 30)),
        ("late-pickup", (17, 45)),
        ("clear-check", (18, 15)),
    ]:
        await fire(services, name, shanghai(2026, 11, 23, *at))
    pushes = await outbox(db)
    group = [p for p in pushes if p.chat_ref is not None]
    assert group, "the day's group pushes (pickup reminder, late pickup) are there to be read"
    assert_no_group_push_tells(pushes, "摔倒", "擦伤", "哭闹", "事故", "安全事件", "巡课")
    told = [p for p in pushes if "摔倒擦伤" in p.text or "哭闹不止" in p.text]
    assert told and all(p.chat_ref is None for p in told)


async def test_an_incident_sent_one_to_one_is_recorded_as_not_from_a_group(db: Database) -> None:
    services = await duty_school(db)
    assert isinstance(services.clock, FixedClock)
    services.clock.instant = shanghai(2026, 11, 23, 16, 5)
    msg = IncomingMessage(
        Platform.WECOM,
        "teacher-li",
        "teacher-li",
        "事故 李华 磕到额头,已冰敷",
        "dm-1",
        services.clock.instant,
        is_group=False,
    )
    out = await services.pipeline.handle_message(msg)
    assert out.result == "ok" and "群里不会显示" not in out.reply.text
    (incident,) = await rows(db)
    assert not incident.in_group and (incident.what, incident.actions) == ("磕到额头", "已处理")
    assert [p for p in await outbox(db) if p.key.startswith("private-reply:")] == []  # answered where asked


async def test_a_name_two_classes_share_is_the_teachers_own_or_asked_with_the_class(db: Database) -> None:
    services = await duty_school(db)
    student = {"学籍号": "D5111", "姓名": "王小明", "班级": "五年级1班"}
    added = await import_sheets(
        services.db,
        {"学生": SheetData("学生", [Row(2, student)])},
        source="test",
        school_name=services.settings.school.name,
        clock=services.clock,
    )
    assert added.ok, added.render()
    say = sayer(services)
    own = await say("teacher-li", "事故 王小明同学 摔倒擦伤 已处理", (16, 0))
    assert own.result == "ok"
    asked = await say("principal-zhao", "事故 王小明 摔倒擦伤 已处理", (16, 1))
    assert (
        asked.result == "refused"
        and "有 2 名学生叫王小明(三年级2班、五年级1班),请写上班级" in asked.reply.text
    )
    named = await say("principal-zhao", "事故 五年级1班 王小明 扭伤脚踝 已通知家长", (16, 2))
    assert named.result == "ok"
    first, second = await rows(db)
    async with db.transaction() as s:
        numbers = dict((await s.execute(select(Student.id, Student.student_no))).all())
    assert (numbers[first.student_id], first.what) == ("D3201", "摔倒擦伤")
    assert (numbers[second.student_id], second.what, second.actions) == ("D5111", "扭伤脚踝", "已通知家长")
