"""`tuoguan report agreements` (per class: who in care has the term's agreement and insurance) and
`tuoguan report survey --month YYYY-MM` (the month's service evaluation): printed, or written as .xlsx."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from datetime import date, datetime
from pathlib import Path

from openpyxl import Workbook

from bot.bootstrap import Services
from bot.domain import agreements as rules
from bot.domain import survey
from bot.domain.school_calendar import national_workday
from bot.spreadsheet import append_row
from bot.store import agreements as store
from bot.store import survey as survey_store
from bot.store.calendar import school_calendar, school_ids

AGREEMENT_COLUMNS = ["学籍号", "姓名", "协议", "同意时间", "学平险", "登记时间"]


def add_report_parsers(
    report_sub: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser
) -> None:
    ag = report_sub.add_parser("agreements", parents=[common], help="本学期协议和学平险登记情况(按班级)")
    ag.add_argument("--date", type=date.fromisoformat, help="学期内任一天 (默认今天)")
    ag.add_argument("--out", metavar="FILE.xlsx", type=Path, help="另存为 .xlsx (每班一个工作表)")
    sv = report_sub.add_parser("survey", parents=[common], help="月度服务评价: 按班级、按课程的平均分和意见")
    sv.add_argument("--month", help="月份 2026-11 (默认最近一次评价的月份)")
    sv.add_argument("--out", metavar="FILE.xlsx", type=Path, help="另存为 .xlsx")


def _local(at: datetime | None, services: Services) -> str:
    return at.astimezone(services.settings.school.tz).strftime("%Y-%m-%d %H:%M") if at else ""


async def cmd_agreements(services: Services, args: argparse.Namespace) -> int:
    today = args.date or services.clock.now().astimezone(services.settings.school.tz).date()
    async with services.db.transaction() as s:
        schools = await school_ids(s)
        if not schools:
            print("还没有学校数据: 请先 tuoguan roster import 或 tuoguan demo")
            return 1
        calendar = await school_calendar(s, schools[0])
        term = rules.term_for(
            today, [(t.start, t.end) for t in calendar.terms], calendar.is_care_day, national_workday
        )
        children = await store.children_in_care(s, schools[0])
        marks = await store.marks_of(s, [c.id for c in children], term[0])
    classes: dict[str, list[list[str]]] = {}
    for child in children:
        mark = marks.get(child.id, store.Marks())
        classes.setdefault(child.class_name, []).append(
            [
                child.student_no,
                child.name,
                "已同意" if mark.agreed_at else "未同意",
                _local(mark.agreed_at, services),
                "已登记" if mark.insured_at else "未登记",
                _local(mark.insured_at, services),
            ]
        )
    print(f"{rules.term_label(term)}({term[0]} ~ {term[1]}) 协议和学平险登记情况")
    if not classes:
        print("没有参加托管的学生")
    for name, rows in classes.items():
        print(_class_line(name, rows))
        for row in rows:
            print("  " + "  ".join(v for v in (row[0], row[1], f"协议 {row[2]}", f"学平险 {row[4]}")))
    if args.out:
        _write_agreements(args.out, classes)
        print(f"已导出: {args.out}")
    return 0


def _class_line(name: str, rows: Sequence[Sequence[str]]) -> str:
    agreed = sum(r[2] == "已同意" for r in rows)
    insured = sum(r[4] == "已登记" for r in rows)
    both = sum(r[2] == "已同意" and r[4] == "已登记" for r in rows)
    return f"{name}: 参加托管 {len(rows)} 名,已同意协议 {agreed},已登记学平险 {insured},已办齐 {both}"


def _sheet_title(name: str) -> str:
    return "".join("_" if ch in "[]:*?/\\" else ch for ch in name)[:31] or "班级"


def _write_agreements(path: Path, classes: dict[str, list[list[str]]]) -> None:
    wb = Workbook()
    summary = wb.active
    assert summary is not None
    summary.title = "汇总"
    append_row(summary, ["班级", "参加托管", "已同意协议", "已登记学平险", "已办齐"])
    for name, rows in classes.items():
        append_row(
            summary,
            [
                name,
                len(rows),
                sum(r[2] == "已同意" for r in rows),
                sum(r[4] == "已登记" for r in rows),
                sum(r[2] == "已同意" and r[4] == "已登记" for r in rows),
            ],
        )
        ws = wb.create_sheet(_sheet_title(name))
        append_row(ws, AGREEMENT_COLUMNS)
        for row in rows:
            append_row(ws, row)
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)


async def cmd_survey(services: Services, args: argparse.Namespace) -> int:
    today = services.clock.now().astimezone(services.settings.school.tz).date()
    async with services.db.transaction() as s:
        schools = await school_ids(s)
        if not schools:
            print("还没有学校数据: 请先 tuoguan roster import 或 tuoguan demo")
            return 1
        month = args.month
        if month is None:
            month = survey.rating_month(today, (await school_calendar(s, schools[0])).is_care_day)
        elif not _is_month(month):
            print(f"月份格式应为 YYYY-MM,例如 2026-11,而不是「{month}」")
            return 2
        summary = await survey_store.month_summary(s, schools[0], month)
    print(survey.render(summary))
    if args.out:
        _write_survey(args.out, summary)
        print(f"已导出: {args.out}")
    return 0


def _is_month(text: str) -> bool:
    try:
        survey.first_day_of(text)
    except ValueError:
        return False
    return len(text) == 7


def _write_survey(path: Path, summary: survey.Summary) -> None:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "汇总"
    append_row(ws, ["月份", "参与家庭", "平均"])
    append_row(ws, [summary.month, summary.families, round(summary.average, 2) if summary.average else None])
    for title, rows in (("按班级", summary.per_class), ("按课程", summary.per_course)):
        sheet = wb.create_sheet(title)
        append_row(sheet, ["班级" if title == "按班级" else "课程", "平均", "学生数"])
        for name, avg, n in rows:
            append_row(sheet, [name, round(avg, 2), n])
    comments = wb.create_sheet("意见")
    append_row(comments, ["评分", "意见"])
    for score, comment in summary.comments:
        append_row(comments, [score, comment])
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)
