"""Left-behind archives: roster columns (import, validate, export round-trip, template), 关爱记录 / 家访 / 座谈会
(private, only the allowed staff), the weekly talks in the daily summary, `archive-update`, and
`tuoguan report family --term`; on the demo school, on SQLite and PostgreSQL."""

from __future__ import annotations

import argparse
from datetime import date
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from bot.bootstrap import Services
from bot.cli.staff import cmd_report
from bot.demo import CHAT_51
from bot.jobs import build_jobs
from bot.jobs.runner import run_job
from bot.reports import daily_summary
from bot.roster.exporter import export_roster
from bot.roster.importer import ImportResult, import_roster, import_sheets
from bot.roster.schema import SHEETS
from bot.roster.template import write_template
from bot.store.archive_tables import CareRecord, StudentArchive
from bot.store.db import Database
from bot.store.outbox_tables import OutboxMessage
from bot.store.tables import Staff, Student
from tests.conftest import shanghai
from tests.integration.care_day import demo_services, sayer
from tests.integration.roster_files import demo_rows, write_workbook

HEADERS = [c.header for c in SHEETS["学生"]]
ARCHIVE = {
    "爱心妈妈": "陈刚",
    "务工单位": "东莞某电子厂 长安镇",
    "务工单位电话": "0769-88881234",
    "监护人职业": "务农",
    "监护人年龄": "66",
    "监护人健康": "高血压",
}
NOTE = "陪她读了绘本,说想妈妈"


async def import_archive(
    services: Services, tmp_path: Path, values: dict[str, str] = ARCHIVE
) -> ImportResult:
    rows = demo_rows()
    zhang = rows["学生"][2]
    assert zhang[1] == "张一一"
    for header, value in values.items():
        zhang[HEADERS.index(header)] = value
    path = write_workbook(tmp_path / "roster.xlsx", rows)
    return await import_roster(
        services.db, [path], school_name=services.settings.school.name, clock=services.clock
    )


async def archive_of(db: Database, name: str = "张一一") -> StudentArchive | None:
    async with db.transaction() as s:
        sid = (await s.scalars(select(Student.id).where(Student.name == name))).one()
        return await s.get(StudentArchive, sid)


async def records(db: Database) -> list[CareRecord]:
    async with db.transaction() as s:
        return list((await s.scalars(select(CareRecord).order_by(CareRecord.id))).all())


def test_template_has_the_archive_columns_beside_the_paired_teacher(tmp_path: Path) -> None:
    write_template(tmp_path / "t.xlsx")
    header = [c.value for c in load_workbook(tmp_path / "t.xlsx")["学生"][1]]
    assert header[header.index("帮扶教师") + 1] == "爱心妈妈"
    assert {"监护人职业", "监护人年龄", "监护人健康", "务工单位", "务工单位电话"} <= set(header)


async def test_archive_columns_import_validate_and_export_round_trip(db: Database, tmp_path: Path) -> None:
    services = await demo_services(db)
    result = await import_archive(services, tmp_path)
    assert result.ok and result.counts["学生"]["更新"] == 1, result.render()
    archive = await archive_of(db)
    assert archive is not None and (archive.employer, archive.employer_phone, archive.guardian_age) == (
        "东莞某电子厂 长安镇",
        "0769-88881234",
        66,
    )
    out = tmp_path / "export.xlsx"
    await export_roster(db, out, school_name=services.settings.school.name)
    exported = {r[1]: r for r in load_workbook(out)["学生"].iter_rows(min_row=2, values_only=True)}
    row = dict(zip(HEADERS, exported["张一一"], strict=True))
    assert {k: str(row[k]) for k in ARCHIVE} == ARCHIVE
    again = await import_roster(db, [out], school_name=services.settings.school.name, clock=services.clock)
    assert again.ok and not again.changed, again.render()
    for column, value in (("爱心妈妈", "王老师"), ("监护人年龄", "很老")):
        bad = await import_archive(services, tmp_path, {column: value})
        assert bad.errors == [e for e in bad.errors if "学生 第4行" in e and column in e] != [], bad.errors
    # A sheet without the archive columns (the demo's rows stop at 爱心妈妈) leaves the archive as it was.
    from bot.demo import demo_sheets

    assert (
        await import_sheets(
            db, demo_sheets(), source="demo", school_name=services.settings.school.name, clock=services.clock
        )
    ).ok
    kept = await archive_of(db)
    assert kept is not None and kept.employer == "东莞某电子厂 长安镇" and kept.caring_mother_id is None


async def test_records_are_private_and_only_for_the_childs_staff(db: Database, tmp_path: Path) -> None:
    services = await demo_services(db)
    say = sayer(services)
    refused = await say("teacher-chen", f"关爱记录 张一一 {NOTE}", (16, 0), chat=CHAT_51)
    assert refused.result == "not_allowed" and refused.reply.private and await records(db) == []
    parent = await say("parent-zhang-grandma", "家访 张一一 老师来过了", (16, 0))
    assert parent.result == "not_allowed"
    question = await say("teacher-li", "家访 张一一 了吗?", (16, 0))
    assert question.command != "家访"
    assert (await import_archive(services, tmp_path)).ok  # 陈刚 becomes 张一一's 爱心妈妈
    outs = [
        await say("teacher-zhou", f"关爱记录 张一一 {NOTE}", (16, 10)),  # paired teacher
        await say("teacher-chen", "家访 张一一 与奶奶交流学习情况", (16, 20), chat=CHAT_51),  # 爱心妈妈
        await say("teacher-li", "家访 张一一 11月20日 了解身体情况", (16, 30)),  # head teacher, dated
        await say("principal-zhao", "座谈会 留守儿童家长座谈,10人参加", (16, 40)),  # no child named
    ]
    assert [o.command for o in outs] == ["关爱记录", "家访", "家访", "座谈会"]
    assert all(o.reply.private and not o.reply.refused for o in outs)
    assert not any(p.chat_ref is not None for o in outs for p in o.pushes)
    saved = await records(db)
    assert [(r.kind, r.day, r.student_id is None) for r in saved] == [
        ("care", date(2026, 11, 23), False),
        ("visit", date(2026, 11, 23), False),
        ("visit", date(2026, 11, 20), False),
        ("meeting", date(2026, 11, 23), True),
    ]
    assert saved[0].note == NOTE and saved[2].note == "了解身体情况"
    async with db.transaction() as s:
        group_texts = (
            await s.scalars(select(OutboxMessage.text).where(OutboxMessage.chat_ref.is_not(None)))
        ).all()
    assert not any("绘本" in t or "张一一" in t for t in group_texts)
    future = await say("teacher-li", "家访 张一一 明天 再去一次", (16, 50))
    assert future.reply.refused and len(await records(db)) == 4


async def test_weekly_talks_in_the_daily_summary(db: Database) -> None:
    services = await demo_services(db)
    say = sayer(services)
    async with db.unit_of_work() as uow:
        (school_id,) = await uow.calendar.school_ids()
        before = await daily_summary(uow, school_id, date(2026, 11, 23))
    assert "本周谈心" in before and "周静 0 名(差 3)" in before
    assert (await say("teacher-zhou", f"关爱记录 张一一 {NOTE}", (16, 10))).command == "关爱记录"
    assert (await say("teacher-zhou", "谈心 张一一 聊了学习", (16, 20))).command == "谈心"
    async with db.unit_of_work() as uow:
        after = await daily_summary(uow, school_id, date(2026, 11, 25))
        next_week = await daily_summary(uow, school_id, date(2026, 11, 30))
    assert "周静 1 名(差 2)" in after  # one child, talked with twice: a talk and a 关爱记录
    assert "周静 0 名" in next_week


JOBS = {spec.name: spec for spec in build_jobs()}


async def test_archive_update_prompts_head_teachers_once_in_the_terms_first_week(db: Database) -> None:
    services = await demo_services(db)

    async def fire(at: object) -> str:
        services.clock.instant = at  # type: ignore[attr-defined]
        return str((await run_job(services, JOBS["archive-update"], at))[0].detail)  # type: ignore[arg-type]

    assert "不在" in await fire(shanghai(2026, 9, 10, 8, 30))
    assert "1 位班主任" in await fire(shanghai(2026, 9, 1, 8, 30))  # no term entered: the term starts Sep 1
    await fire(shanghai(2026, 9, 2, 8, 30))
    async with db.transaction() as s:
        pushes = (
            await s.scalars(select(OutboxMessage).where(OutboxMessage.key.startswith("archive-update:")))
        ).all()
        li = (await s.scalars(select(Staff.id).where(Staff.name == "李梅"))).one()
    assert len(pushes) == 1 and pushes[0].staff_id == li and pushes[0].chat_ref is None
    assert "张一一" in pushes[0].text and "务工单位电话" in pushes[0].text


async def test_report_family_per_child(
    db: Database, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    services = await demo_services(db)
    say = sayer(services)
    assert (await import_archive(services, tmp_path)).ok
    await say("teacher-zhou", f"关爱记录 张一一 {NOTE}", (16, 10))
    await say("teacher-li", "家访 张一一 了解身体情况", (16, 30))
    await say("parent-zhang-dad", "已通话", (20, 0))
    out = tmp_path / "family.xlsx"
    args = argparse.Namespace(report_command="family", term=True, date=None, out=out)
    assert await cmd_report(services, args) == 0
    text = capsys.readouterr().out
    line = next(x for x in text.splitlines() if "张一一" in x)
    assert "亲情通话 1" in line and "关爱记录 1" in line and "家访 1" in line and "档案完整" in line
    wb = load_workbook(out)
    child = dict(
        zip(
            [c.value for c in wb["留守儿童"][1]],
            next(wb["留守儿童"].iter_rows(min_row=2, values_only=True)),
            strict=True,
        )
    )
    assert (child["姓名"], child["务工单位电话"], child["爱心妈妈"], child["家访"]) == (
        "张一一",
        "0769-88881234",
        "陈刚",
        1,
    )
    kinds = [r[1] for r in wb["记录"].iter_rows(min_row=2, values_only=True)]
    assert kinds == ["关爱记录", "家访"]
