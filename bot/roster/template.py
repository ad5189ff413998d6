"""`tuoguan roster template`: the empty workbook with one example row per sheet and a 说明 sheet."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Font, PatternFill
from openpyxl.worksheet.worksheet import Worksheet

from bot.roster.schema import EXAMPLES, NOTES_SHEET, SHEETS
from bot.spreadsheet import append_row

HEADER_FONT = Font(bold=True)
REQUIRED_FILL = PatternFill("solid", fgColor="FFF2CC")

NOTES = (
    "每张表第1行是表头,请勿修改;从第2行起每行一条记录。黄色表头为必填列。",
    "导入前会检查全部行;只要有一处问题,就一条也不导入,并列出每个问题所在的表和行号。",
    "重复导入同一文件不会产生重复数据:学生按学籍号、家长和教师按手机号、班级按名称、课程按名称对应,改动的行就地更新。",
    "文件中没有的学生不会被删除(可以只导入部分班级);学生转走请联系管理员。",
    "一位家长有多个孩子时,在 家长 表为每个孩子各写一行(手机号相同)。一位教师有多个角色时每个角色一行。",
    "也可以导入CSV: 每张表一个文件,文件名为表名,如 学生.csv(UTF-8 或 Excel 默认的 GBK 编码均可)。",
)


def write_sheet(ws: Worksheet, name: str, rows: Iterable[Sequence[object]]) -> None:
    columns = SHEETS[name]
    ws.append([c.header for c in columns])
    for cell, column in zip(ws[1], columns, strict=True):
        cell.font = HEADER_FONT
        if column.required:
            cell.fill = REQUIRED_FILL
    for row in rows:
        append_row(ws, row)  # a name like =HYPERLINK(...) stays text and re-imports unchanged
    for index, column in enumerate(columns, start=1):
        ws.column_dimensions[ws.cell(1, index).column_letter].width = max(10, len(column.header) * 2 + 2)
    ws.freeze_panes = "A2"


def write_notes(wb: Workbook) -> None:
    ws = wb.create_sheet(NOTES_SHEET)
    ws.append(["说明"])
    ws["A1"].font = HEADER_FONT
    for note in NOTES:
        ws.append([note])
    ws.append([])
    ws.append(["表", "列", "必填", "说明"])
    for cell in ws[ws.max_row]:
        cell.font = HEADER_FONT
    for sheet, columns in SHEETS.items():
        for column in columns:
            ws.append([sheet, column.header, "是" if column.required else "", column.help])
    ws.column_dimensions["A"].width = 10
    ws.column_dimensions["B"].width = 36
    ws.column_dimensions["D"].width = 60


def write_template(path: Path) -> None:
    wb = Workbook()
    first = True
    for name in SHEETS:
        ws = wb.active if first else wb.create_sheet(name)
        assert ws is not None
        ws.title = name
        first = False
        write_sheet(ws, name, [EXAMPLES[name]])
    write_notes(wb)
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)
