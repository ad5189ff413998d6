"""The agreements report (per class: who in care has the term's agreement and insurance) and the monthly
survey report (averages per class and per course, the comments): read from the store, printed or written as .xlsx
with formula-safe cells. Used by `tuoguan report agreements` and `tuoguan report survey`."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, tzinfo
from pathlib import Path

from openpyxl import Workbook

from bot.domain import agreements as rules
from bot.domain import survey
from bot.domain.school_calendar import national_workday
from bot.spreadsheet import append_row
from bot.store.agreements import Marks
from bot.store.db import Database

AGREEMENT_COLUMNS = ["学籍号", "姓名", "协议", "同意时间", "学平险", "登记时间"]
AGREED, INSURED = "已同意", "已登记"


@dataclass
class AgreementsReport:
    term: rules.Term
    classes: dict[str, list[list[str]]] = field(
        default_factory=dict
    )  # class name -> rows of AGREEMENT_COLUMNS


def _local(at: datetime | None, tz: tzinfo) -> str:
    return at.astimezone(tz).strftime("%Y-%m-%d %H:%M") if at else ""


async def load_agreements(db: Database, day: date, tz: tzinfo) -> AgreementsReport | None:
    """The first school's children in care, per class, with the term's agreement and insurance (None: no school)."""
    async with db.unit_of_work() as uow:
        schools = await uow.calendar.school_ids()
        if not schools:
            return None
        calendar = await uow.calendar.of(schools[0])
        terms = [(t.start, t.end) for t in calendar.terms]
        term = rules.term_for(day, terms, calendar.is_care_day, national_workday)
        children = await uow.agreements.children_in_care(schools[0])
        marks = await uow.agreements.marks_of([c.id for c in children], term[0])
    report = AgreementsReport(term)
    for child in children:
        mark = marks.get(child.id, Marks())
        agreed = AGREED if mark.agreed_at else "未同意"
        insured = INSURED if mark.insured_at else "未登记"
        row = [
            child.student_no,
            child.name,
            agreed,
            _local(mark.agreed_at, tz),
            insured,
            _local(mark.insured_at, tz),
        ]
        report.classes.setdefault(child.class_name, []).append(row)
    return report


def class_counts(rows: Sequence[Sequence[str]]) -> tuple[int, int, int, int]:
    """(in care, agreed, insured, both)."""
    agreed = sum(r[2] == AGREED for r in rows)
    insured = sum(r[4] == INSURED for r in rows)
    return len(rows), agreed, insured, sum(r[2] == AGREED and r[4] == INSURED for r in rows)


def render_agreements(report: AgreementsReport) -> str:
    start, end = report.term
    lines = [f"{rules.term_label(report.term)}({start} ~ {end}) 协议和学平险登记情况"]
    if not report.classes:
        lines.append("没有参加托管的学生")
    for name, rows in report.classes.items():
        total, agreed, insured, both = class_counts(rows)
        lines.append(f"{name}: 参加托管 {total} 名,已同意协议 {agreed},已登记学平险 {insured},已办齐 {both}")
        lines += [f"  {r[0]}  {r[1]}  协议 {r[2]}  学平险 {r[4]}" for r in rows]
    return "\n".join(lines)


def _sheet_title(name: str) -> str:
    return "".join("_" if ch in "[]:*?/\\" else ch for ch in name)[:31] or "班级"


def write_agreements(path: Path, report: AgreementsReport) -> None:
    """A summary sheet, then one sheet per class."""
    wb = Workbook()
    summary = wb.active
    assert summary is not None
    summary.title = "汇总"
    append_row(summary, ["班级", "参加托管", "已同意协议", "已登记学平险", "已办齐"])
    for name, rows in report.classes.items():
        append_row(summary, [name, *class_counts(rows)])
        ws = wb.create_sheet(_sheet_title(name))
        append_row(ws, AGREEMENT_COLUMNS)
        for row in rows:
            append_row(ws, row)
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)


def is_month(text: str) -> bool:
    """YYYY-MM."""
    try:
        survey.first_day_of(text)
    except ValueError:
        return False
    return len(text) == 7


async def load_survey(db: Database, month: str | None, today: date) -> survey.Summary | None:
    """The month's summary for the first school (by default the month a rating sent today counts for)."""
    async with db.unit_of_work() as uow:
        schools = await uow.calendar.school_ids()
        if not schools:
            return None
        if month is None:
            month = survey.rating_month(today, (await uow.calendar.of(schools[0])).is_care_day)
        return await uow.survey.month_summary(schools[0], month)


def write_survey(path: Path, summary: survey.Summary) -> None:
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
