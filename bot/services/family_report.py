"""`tuoguan report family --term`: each left-behind child's archive and the term's care records (staff only)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from openpyxl import Workbook

from bot.spreadsheet import append_row
from bot.store.archives import Archive, RecordRow
from bot.store.family import LeftBehind

if TYPE_CHECKING:
    from bot.store.uow import UnitOfWork

KIND_LABELS = {"care": "关爱记录", "visit": "家访", "meeting": "座谈会"}
COUNT_LABELS = (
    ("call", "亲情通话"),
    ("talk", "谈心"),
    ("care", "关爱记录"),
    ("visit", "家访"),
    ("meeting", "座谈会"),
)
CHILD_HEADERS = [
    *(
        "班级",
        "姓名",
        "留守",
        "外出务工地",
        "务工单位",
        "务工单位电话",
        "监护人职业",
        "监护人年龄",
        "监护人健康",
    ),
    *("帮扶教师", "爱心妈妈", *(label for _, label in COUNT_LABELS), "档案待补"),
]


@dataclass(frozen=True)
class ChildLine:
    child: LeftBehind
    archive: Archive
    paired: str
    mother: str
    counts: Counter[str]

    def render(self) -> str:
        counts = " ".join(f"{label} {self.counts.get(key, 0)}" for key, label in COUNT_LABELS)
        missing = self.archive.missing()
        todo = f" 档案待补: {'、'.join(missing)}" if missing else " 档案完整"
        return (
            f"{self.child.class_name} {self.child.name}({self.child.status_label}) 帮扶 {self.paired or '未指定'}"
            f" 爱心妈妈 {self.mother or '未指定'}: {counts};{todo}"
        )


@dataclass
class TermReport:
    start: date
    end: date
    children: list[ChildLine] = field(default_factory=list)
    records: list[RecordRow] = field(default_factory=list)
    names: dict[int, str] = field(default_factory=dict)  # student id -> "class name"

    def lines(self) -> list[str]:
        head = f"留守儿童关爱档案 {self.start.isoformat()} ~ {self.end.isoformat()}: {len(self.children)} 名"
        return [head, *(c.render() for c in self.children)]


async def term_report(uow: UnitOfWork, school_id: int, start: date, end: date) -> TermReport:
    children = await uow.family.left_behind(school_id)
    archives = await uow.archives.school_archives(school_id)
    ids = [c.id for c in children]
    counts = await uow.archives.term_counts(ids, start, end)
    staff = await uow.archives.staff_names(
        [*(c.paired_teacher_id for c in children), *(a.caring_mother_id for a in archives.values())]
    )
    report = TermReport(start, end, names={c.id: f"{c.class_name} {c.name}" for c in children})
    for child in children:
        archive = archives.get(child.id, Archive(child.id))
        report.children.append(
            ChildLine(
                child,
                archive,
                staff.get(child.paired_teacher_id or 0, ""),
                staff.get(archive.caring_mother_id or 0, ""),
                counts.get(child.id, Counter()),
            )
        )
    report.records = [
        r
        for r in await uow.archives.records_between(school_id, start, end)
        if r.student_id is None or r.student_id in report.names
    ]
    return report


def write_xlsx(report: TermReport, path: Path) -> None:
    """Sheet 留守儿童 (a row per child: archive and the term's counts) and 记录 (every dated record)."""
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "留守儿童"
    ws.append(CHILD_HEADERS)
    for line in report.children:
        c, a = line.child, line.archive
        append_row(
            ws,
            [
                c.class_name,
                c.name,
                c.status_label,
                c.away_place,
                a.employer,
                a.employer_phone,
                a.guardian_job,
                a.guardian_age if a.guardian_age is not None else "",
                a.guardian_health,
                line.paired,
                line.mother,
                *(line.counts.get(key, 0) for key, _ in COUNT_LABELS),
                "、".join(a.missing()),
            ],
        )
    records = wb.create_sheet("记录")
    records.append(["日期", "类别", "学生", "教师", "内容"])
    for r in report.records:
        who = report.names.get(r.student_id, "") if r.student_id is not None else "(全体)"
        append_row(records, [r.day.isoformat(), KIND_LABELS.get(r.kind, r.kind), who, r.staff_name, r.note])
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)
