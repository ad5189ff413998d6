"""评价 (one rating per family and month, replaced by the next), survey-monthly (families asked on the month's
last school day, the principal told on the third school day after) and `tuoguan report survey`, on the demo
school, on SQLite and PostgreSQL."""

from __future__ import annotations

import argparse
from datetime import datetime
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from bot.bootstrap import Services
from bot.cli.jobs import cmd_report_survey as cmd_survey
from bot.demo import CHAT_51, GUARDIANS, STUDENTS
from bot.jobs import build_jobs
from bot.jobs.runner import run_job
from bot.store.agreement_tables import SurveyRating
from bot.store.db import Database
from bot.store.enroll_tables import Enrollment
from bot.store.outbox_tables import OutboxMessage
from bot.store.tables import Course, Guardian, Staff, Student
from tests.conftest import shanghai
from tests.integration.care_day import demo_services, sayer

JOBS = {spec.name: spec for spec in build_jobs()}
NAMES = {s[1] for s in STUDENTS} | {g[1] for g in GUARDIANS}


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


async def ratings(db: Database) -> dict[str, tuple[str, int, str]]:
    async with db.transaction() as s:
        rows = (
            await s.execute(
                select(Student.name, SurveyRating.month, SurveyRating.rating, SurveyRating.comment).join(
                    SurveyRating, SurveyRating.student_id == Student.id
                )
            )
        ).all()
    return {r[0]: (r[1], r[2], r[3]) for r in rows}


async def enroll(db: Database, child: str, course: str) -> None:
    async with db.transaction() as s:
        sid = await s.scalar(select(Student.id).where(Student.name == child))
        cid = await s.scalar(select(Course.id).where(Course.name == course))
        at = shanghai(2026, 9, 1, 9)
        s.add(Enrollment(course_id=cid, student_id=sid, state="active", applied_at=at, updated_at=at))


async def test_families_asked_once_on_the_last_school_day(db: Database) -> None:
    services = await demo_services(db)
    assert "不是" in await fire(
        services, "survey-monthly", shanghai(2026, 11, 27, 16)
    )  # Friday: not the last
    detail = await fire(services, "survey-monthly", shanghai(2026, 11, 30, 16))  # Monday 30th
    assert "私信" in detail
    pushes = await outbox(db, "survey:2026-11:")
    async with db.transaction() as s:
        wang = set((await s.scalars(select(Guardian.id).where(Guardian.name.in_(["刘芳", "王建"])))).all())
        zhang = set(
            (await s.scalars(select(Guardian.id).where(Guardian.name.in_(["张国庆", "张奶奶"])))).all()
        )
    targets = [p.guardian_id for p in pushes]
    assert all(p.guardian_id is not None and p.chat_ref is None for p in pushes)
    assert len(targets) == len(set(targets))
    assert len(wang & set(targets)) == 1 and len(zhang & set(targets)) == 1  # one per family
    assert "评价 5" in pushes[0].text and "11月" in pushes[0].text
    await fire(services, "survey-monthly", shanghai(2026, 11, 30, 16))
    assert len(await outbox(db, "survey:2026-11:")) == len(pushes)


async def test_ratings_replace_and_principal_gets_averages_without_names(db: Database) -> None:
    services = await demo_services(db)
    await enroll(db, "李华", "书法")
    say = sayer(services)
    first = await say("parent-wang", "评价 4 老师很负责", (17, 0), day=30)
    assert first.command == "评价" and first.reply.private and "11月" in first.reply.text
    await say("parent-li", "评价 5", (17, 1), day=30)
    again = await say("parent-li", "评价 3 作业辅导可以再多一些", (17, 2), day=30)
    assert "替换" in again.reply.text
    await say("parent-wang-dad", "评价 5 很好", (17, 3), day=30)  # the other parent: the family's one rating
    wrong = await say("parent-sun", "评价 8", (17, 4), day=30, chat=CHAT_51)
    assert wrong.reply.refused and "1-5" in wrong.reply.text
    assert await ratings(db) == {
        "王小明": ("2026-11", 5, "很好"),
        "王小红": ("2026-11", 5, "很好"),
        "李华": ("2026-11", 3, "作业辅导可以再多一些"),
    }

    assert "不是" in await fire(services, "survey-monthly", shanghai(2026, 12, 2, 16))
    detail = await fire(services, "survey-monthly", shanghai(2026, 12, 3, 16))  # third school day
    assert "2026-11" in detail and "2 个家庭" in detail
    (push,) = await outbox(db, "survey-results:2026-11:")
    async with db.transaction() as s:
        assert push.staff_id == await s.scalar(select(Staff.id).where(Staff.name == "赵建国"))
    text = push.text
    assert "2 个家庭参与,平均 4.0" in text
    assert "三年级2班: 平均 4.0" in text and "五年级1班: 平均 5.0" in text and "书法: 平均 3.0" in text
    assert "很好" in text and "作业辅导可以再多一些" in text and "老师很负责" not in text
    assert not any(name in text for name in NAMES), text


async def test_only_families_in_care_rate_and_questions_never_write(db: Database) -> None:
    services = await demo_services(db)
    say = sayer(services)
    asked = await say("parent-li", "评价怎么写?", (17, 0), day=30)
    assert asked.command != "评价"
    teacher = await say("teacher-li", "评价 5", (17, 1), day=30)
    assert teacher.result == "not_allowed"
    async with db.transaction() as s:
        assert await s.scalar(select(func.count()).select_from(SurveyRating)) == 0


async def test_report_survey_prints_and_writes_xlsx(
    db: Database, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    services = await demo_services(db)
    say = sayer(services)
    await say("parent-wang", "评价 4 =1+1 很好", (17, 0), day=30)
    await say("parent-li", "评价 5", (17, 1), day=30)
    out = tmp_path / "survey.xlsx"
    assert await cmd_survey(services, argparse.Namespace(month="2026-11", out=out)) == 0
    printed = capsys.readouterr().out
    assert "平均 4.5" in printed and "三年级2班: 平均 4.5" in printed and "五年级1班: 平均 4.0" in printed
    wb = load_workbook(out)
    assert wb.sheetnames == ["汇总", "按班级", "按课程", "意见"]
    assert [r for r in wb["按班级"].iter_rows(min_row=2, values_only=True)] == [
        ("三年级2班", 4.5, 2),
        ("五年级1班", 4.0, 1),
    ]
    (comment,) = list(wb["意见"].iter_rows(min_row=2))
    assert comment[1].value == "=1+1 很好" and comment[1].data_type == "s"
    assert await cmd_survey(services, argparse.Namespace(month="2026-10", out=None)) == 0
    assert "暂无" in capsys.readouterr().out
    assert await cmd_survey(services, argparse.Namespace(month="2026-13", out=None)) == 2
