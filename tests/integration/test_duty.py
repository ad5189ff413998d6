"""Duty and patrol (issue 19, point 1) on the demo school, on SQLite and PostgreSQL: the 值班 sheet, duty-morning,
巡课 by the duty leader or the principal, the patrol log at care end, 清校完毕 and clear-check."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

from openpyxl import load_workbook
from sqlalchemy import func, select

from bot.bootstrap import Services
from bot.demo import CHAT_51
from bot.jobs import build_jobs
from bot.jobs.runner import run_job
from bot.roster.exporter import export_roster
from bot.roster.importer import ImportResult, import_roster, import_sheets
from bot.roster.reader import Row, SheetData
from bot.store.db import Database
from bot.store.duty_tables import Clearance, DutySlot, Patrol
from bot.store.outbox_tables import OutboxMessage
from bot.store.tables import School, Staff
from tests.conftest import shanghai
from tests.integration.care_day import demo_services, sayer

JOBS = {spec.name: spec for spec in build_jobs()}
MON, TUE, WED = date(2026, 11, 23), date(2026, 11, 24), date(2026, 11, 25)
# Mondays and Wednesdays 陈刚, Tuesdays 周静, but 11-24 is 李梅's (a dated row wins).
DUTY = [
    {"星期": "一,三", "带班领导": "陈刚"},
    {"星期": "二", "带班领导": "周静"},
    {"日期": "2026-11-24", "带班领导": "李梅"},
]


async def import_duty(services: Services, rows: list[dict[str, object]]) -> ImportResult:
    sheet = SheetData("值班", [Row(i, cells) for i, cells in enumerate(rows, start=2)])
    return await import_sheets(
        services.db,
        {"值班": sheet},
        source="test",
        school_name=services.settings.school.name,
        clock=services.clock,
    )


async def duty_school(db: Database) -> Services:
    services = await demo_services(db)
    assert (await import_duty(services, DUTY)).ok
    return services


async def staff_ids(db: Database) -> dict[str, int]:
    async with db.transaction() as s:
        return dict((await s.execute(select(Staff.name, Staff.id))).all())  # type: ignore[arg-type]


async def outbox(db: Database, prefix: str) -> list[OutboxMessage]:
    async with db.transaction() as s:
        return list(
            (
                await s.scalars(
                    select(OutboxMessage)
                    .where(OutboxMessage.key.startswith(prefix))
                    .order_by(OutboxMessage.id)
                )
            ).all()
        )


async def fire(services: Services, name: str, at: datetime) -> str:
    services.clock.instant = at  # type: ignore[attr-defined]
    return str((await run_job(services, JOBS[name], at))[0].detail)


async def count(db: Database, model: type) -> int:
    async with db.transaction() as s:
        return int(await s.scalar(select(func.count()).select_from(model)) or 0)


async def test_the_duty_sheet_imports_validates_and_exports(db: Database, tmp_path: Path) -> None:
    services = await duty_school(db)
    ids = await staff_ids(db)
    async with db.unit_of_work() as uow:
        school = await uow.session.scalar(select(School.id))
        assert school is not None
        duty_leader = uow.duty.leader
        assert await duty_leader(school, MON) == (ids["陈刚"], "陈刚")
        assert await duty_leader(school, TUE) == (ids["李梅"], "李梅")  # the dated row wins
        assert await duty_leader(school, date(2026, 12, 1)) == (ids["周静"], "周静")  # another Tuesday
        assert await duty_leader(school, WED) == (ids["陈刚"], "陈刚")
        assert await duty_leader(school, date(2026, 11, 26)) is None
    again = await import_duty(services, DUTY)
    assert again.ok and not again.changed

    bad = await import_duty(
        services,
        [
            {"星期": "四", "带班领导": "王五"},
            {"带班领导": "陈刚"},
            {"日期": "2026-11-27", "星期": "五", "带班领导": "陈刚"},
            {"星期": "一", "带班领导": "李梅"},
            {"星期": "三,一", "带班领导": "李梅"},
            {"星期": "八", "带班领导": "李梅"},
            {"日期": "2026-13-01", "带班领导": "李梅"},
            {"星期": "五", "带班领导": ""},
        ],
    )
    assert bad.errors == [
        '值班 第2行: 带班领导"王五"不在教师表中',
        "值班 第3行: 日期和星期请填其中一个(日期如 2026-11-23,星期如 一 或 一,三)",
        "值班 第4行: 日期和星期请填其中一个(日期如 2026-11-23,星期如 一 或 一,三)",
        "值班 第6行: 星期一已在第5行排过带班领导",
        '值班 第7行: 星期"八"无法识别(应如 三,五)',
        '值班 第8行: 日期"2026-13-01"无法识别(应如 2016-03-05)',
        "值班 第9行: 带班领导不能为空(填教师姓名)",
    ]
    assert await count(db, DutySlot) == 4  # nothing of the bad file was written

    path = tmp_path / "export.xlsx"
    await export_roster(db, path, school_name=services.settings.school.name)
    ws = load_workbook(path)["值班"]
    assert [[c.value for c in row] for row in ws.iter_rows()] == [
        ["日期", "星期", "带班领导"],
        [None, "一", "陈刚"],
        [None, "二", "周静"],
        [None, "三", "陈刚"],
        ["2026-11-24", None, "李梅"],
    ]
    back = await import_roster(db, [path], school_name=services.settings.school.name, clock=services.clock)
    assert back.ok and not back.changed, back.render()


async def test_duty_morning_tells_the_days_leader_privately_on_care_days(db: Database) -> None:
    services = await duty_school(db)
    ids = await staff_ids(db)
    assert await fire(services, "duty-morning", shanghai(2026, 11, 23, 8, 0)) == "已告知带班领导 陈刚"
    assert await fire(services, "duty-morning", shanghai(2026, 11, 24, 8, 0)) == "已告知带班领导 李梅"
    assert await fire(services, "duty-morning", shanghai(2026, 11, 26, 8, 0)) == "今天没有排带班领导"
    saturday = await fire(services, "duty-morning", shanghai(2026, 11, 28, 8, 0))
    assert "今天没有托管" in saturday
    pushes = await outbox(db, "duty-morning:")
    assert [(p.staff_id, p.chat_ref, p.guardian_id) for p in pushes] == [
        (ids["陈刚"], None, None),
        (ids["李梅"], None, None),
    ]
    assert (
        "带班值班" in pushes[0].text
        and "巡课 三年级2班 正常" in pushes[0].text
        and "清校完毕" in pushes[0].text
    )


async def test_patrols_by_the_duty_leader_or_the_principal_only(db: Database) -> None:
    services = await duty_school(db)
    say = sayer(services)
    other = await say("teacher-li", "巡课 三年级2班 正常", (16, 0))  # not on duty on Monday
    assert other.result == "not_allowed" and other.reply.private and "带班领导是 陈刚" in other.reply.text
    parent = await say("parent-li", "巡课 三年级2班 正常", (16, 0))
    assert parent.result == "not_allowed"
    ok = await say("teacher-chen", "巡课 三年级2班 正常", (16, 10), chat=CHAT_51)
    assert ok.result == "ok" and ok.reply.private and "今天第 1 次巡课" in ok.reply.text
    problem = await say("principal-zhao", "巡课 3年级2班 有问题 两名学生追逐打闹", (16, 40))
    assert problem.result == "ok" and "有问题: 两名学生追逐打闹" in problem.reply.text
    for text, why in [
        ("巡课 三年级9班 正常", "没有找到班级"),
        ("巡课 三年级2班", "请写明三年级2班的巡课情况"),
        ("巡课 三年级2班 有问题", "请写明发现的问题"),
        ("巡课", "请写明巡查的班级"),
    ]:
        out = await say("principal-zhao", text, (16, 45))
        assert out.result == "refused" and why in out.reply.text, (text, out.reply.text)
    assert await count(db, Patrol) == 2
    # Answered in a group: privately; the group only reads that the answer went one-to-one.
    private = await outbox(db, "private-reply:")
    assert private and all(p.chat_ref is None and p.staff_id for p in private)
    saturday = await say("principal-zhao", "巡课 三年级2班 正常", (10, 0), day=28)
    assert saturday.result == "refused" and "今天没有托管" in saturday.reply.text


async def test_the_patrol_log_goes_to_the_principal_and_the_leader_at_care_end(db: Database) -> None:
    services = await duty_school(db)
    ids = await staff_ids(db)
    say = sayer(services)
    await say("teacher-chen", "巡课 三年级2班 正常", (16, 10), chat=CHAT_51)
    await say("teacher-chen", "巡课 三年级2班 有问题 作业时间吵闹", (16, 50), chat=CHAT_51)
    assert await fire(services, "patrol-log", shanghai(2026, 11, 23, 17, 25)) == "托管尚未结束"
    assert await outbox(db, "patrol-log:") == []
    assert await fire(services, "patrol-log", shanghai(2026, 11, 23, 17, 30)) == "巡课 2 次,发给 2 人"
    await fire(services, "patrol-log", shanghai(2026, 11, 23, 17, 35))  # a re-run sends nothing twice
    pushes = await outbox(db, "patrol-log:")
    assert sorted(p.staff_id for p in pushes) == sorted([ids["赵建国"], ids["陈刚"]])
    assert all(p.chat_ref is None and p.guardian_id is None for p in pushes)
    text = pushes[0].text
    assert (
        "带班领导: 陈刚" in text
        and "16:10 三年级2班 正常" in text
        and "16:50 三年级2班 有问题: 作业时间吵闹" in text
    )
    assert "未巡课的班级: 五年级1班" in text and "发现问题 1 次" in text


async def test_no_duty_sheet_no_evening_pushes(db: Database) -> None:
    services = await demo_services(db)
    assert await fire(services, "patrol-log", shanghai(2026, 11, 23, 17, 30)) == "未排值班表"
    assert await fire(services, "clear-check", shanghai(2026, 11, 23, 18, 15)) == "未排值班表"
    assert await fire(services, "duty-morning", shanghai(2026, 11, 23, 8, 0)) == "今天没有排带班领导"
    assert await outbox(db, "patrol-log:") == await outbox(db, "clear-check:") == []


async def test_clear_is_refused_while_children_wait_and_clear_check_stays_silent_once_done(
    db: Database,
) -> None:
    services = await duty_school(db)
    say = sayer(services)
    early = await say("teacher-chen", "清校完毕", (17, 20), chat=CHAT_51)
    assert early.result == "refused" and early.reply.private
    assert "还有 19 名学生" in early.reply.text and "三年级2班: 王小明" in early.reply.text
    assert await count(db, Clearance) == 0
    not_leader = await say("teacher-li", "清校完毕", (17, 21))
    assert not_leader.result == "not_allowed" and "带班领导或校长" in not_leader.reply.text
    assert (await say("teacher-li", "全部已接走", (17, 28))).result == "ok"
    assert (await say("teacher-chen", "全部已接走", (17, 29), chat=CHAT_51)).result == "ok"
    done = await say("teacher-chen", "清校完毕", (17, 40), chat=CHAT_51)
    assert done.result == "ok" and done.reply.private and "清校完毕" in done.reply.text
    again = await say("principal-zhao", "清校完毕", (17, 45))
    assert "今天已确认清校(17:40 陈刚)" in again.reply.text
    assert await count(db, Clearance) == 1
    assert await fire(services, "clear-check", shanghai(2026, 11, 23, 18, 15)) == "已清校"
    assert await outbox(db, "clear-check:") == []


async def test_clear_check_tells_the_principal_when_clearance_is_missing(db: Database) -> None:
    services = await duty_school(db)
    ids = await staff_ids(db)
    assert await fire(services, "clear-check", shanghai(2026, 11, 23, 18, 10)) == "未到清校检查时间"
    assert await fire(services, "clear-check", shanghai(2026, 11, 23, 18, 15)) == "未清校,告知 1 位校长"
    await fire(services, "clear-check", shanghai(2026, 11, 23, 18, 20))
    pushes = await outbox(db, "clear-check:")
    assert [(p.staff_id, p.chat_ref) for p in pushes] == [(ids["赵建国"], None)]
    assert (
        "带班领导 陈刚 尚未发送「清校完毕」" in pushes[0].text
        and "仍有 19 名学生未确认接走" in pushes[0].text
    )
