"""Reading the roster: one .xlsx workbook, or one .csv per sheet (UTF-8, UTF-8 with BOM, or GBK)."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from openpyxl import load_workbook

from bot.roster.schema import SHEETS, short
from bot.settings import RosterSettings


@dataclass
class Row:
    number: int  # spreadsheet row number, header = 1
    cells: dict[str, Any]

    def text(self, column: str) -> str:
        value = self.cells.get(column)
        if value is None:
            return ""
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        # One line end (LF) whatever the file used: an .xlsx gives CR back as LF, so a CSV's CRLF would not round-trip.
        return str(value).replace("\r\n", "\n").replace("\r", "\n").strip()


@dataclass
class SheetData:
    name: str
    rows: list[Row] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)


class RosterReadError(Exception):
    """The file itself cannot be read (not the rows in it)."""


SPLIT_HINT = "请按年级或班级拆成几个文件分批导入,如 tuoguan roster import 三年级.xlsx"


class RowBudget:
    """Data rows read so far over all sheets of one import; refuses the row past `roster.max_rows`."""

    def __init__(self, limit: int) -> None:
        self.limit, self.used, self.seen = limit, 0, 0

    def take(self, values: Sequence[Any]) -> bool:
        """Count one row; False (stop reading) once the limit is passed, or twice the limit counting empty rows
        (a sheet formatted down to row 1,048,576, or a CSV of blank lines, is not read to its end)."""
        self.seen += 1
        if not _blank(values):
            self.used += 1
        return self.used <= self.limit and self.seen <= 2 * self.limit

    def refuse(self, rows: str = "") -> RosterReadError:
        if self.used <= self.limit:
            return RosterReadError(
                f"花名册空行太多: 读到第 {self.seen} 行仍未结束(其中有内容的 {self.used} 行),"
                f"超过上限 {self.limit} 行(roster.max_rows)的两倍。请删除表中多余的空行后再导入。"
            )
        size = f"{rows}," if rows else ""
        return RosterReadError(
            f"花名册行数太多: {size}超过上限 {self.limit} 行(roster.max_rows)。{SPLIT_HINT}"
        )


def read_roster(paths: list[Path], limits: RosterSettings | None = None) -> dict[str, SheetData]:
    limits = limits or RosterSettings()
    missing = [p for p in paths if not p.exists()]
    if missing:
        raise RosterReadError(f"文件不存在: {missing[0]}")
    _check_size(paths, limits.max_bytes)
    budget = RowBudget(limits.max_rows)
    sheets: dict[str, SheetData] = {}
    for path in paths:
        suffix = path.suffix.lower()
        if suffix == ".xlsx":
            sheets.update(_read_xlsx(path, budget))
        elif suffix == ".csv":
            name = _sheet_of_csv(path)
            sheets[name] = _to_sheet(name, _csv_rows(path, budget))
        else:
            raise RosterReadError(f"不支持的文件类型 {path.name}: 请用 .xlsx 或每表一个 .csv")
    return sheets


def _check_size(paths: list[Path], max_bytes: int) -> None:
    """The files' total size, before any of them is opened."""
    size = sum(p.stat().st_size for p in paths)
    if size <= max_bytes:
        return
    names = paths[0].name if len(paths) == 1 else f"{paths[0].name} 等 {len(paths)} 个文件"
    mb = 1024 * 1024
    raise RosterReadError(
        f"花名册文件太大: {names} 共 {size / mb:.1f} MB,超过上限 {max_bytes / mb:.1f} MB"
        f"(roster.max_bytes)。{SPLIT_HINT}"
    )


def _sheet_of_csv(path: Path) -> str:
    for name in SHEETS:
        if path.stem == name or path.stem.endswith(name):
            return name
    raise RosterReadError(f"无法从文件名判断是哪张表: {path.name} (应为 {'/'.join(SHEETS)}.csv)")


def _csv_rows(path: Path, budget: RowBudget) -> list[list[Any]]:
    raw = path.read_bytes()  # at most roster.max_bytes
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = raw.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:  # pragma: no cover - gb18030 decodes any byte string
        raise RosterReadError(f"无法识别 {path.name} 的编码")
    reader = csv.reader(io.StringIO(text))
    rows = [next(reader, [])]  # the header
    for values in reader:
        if not budget.take(values):
            # Count the rest without keeping it, to say how big the file is.
            raise budget.refuse(f"至少 {budget.used + sum(1 for rest in reader if not _blank(rest))} 行")
        rows.append(values)
    return rows


def _read_xlsx(path: Path, budget: RowBudget) -> dict[str, SheetData]:
    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:
        raise RosterReadError(f"无法打开 {path.name}: 不是有效的 .xlsx 文件") from exc
    try:
        sheets = {}
        for name in SHEETS:
            if name not in workbook.sheetnames:
                continue
            sheet = workbook[name]
            declared = (sheet.max_row or 1) - 1  # the sheet's own <dimension>; may count empty rows
            rows: list[list[Any]] = []
            # Streamed: reading stops at the row past the limit, however many the sheet holds.
            for values in sheet.iter_rows(values_only=True):
                if rows and not budget.take(values):
                    if declared <= len(rows):  # no (true) <dimension>: the sheet's size is not known
                        raise budget.refuse()
                    before = budget.used - sum(1 for r in rows[1:] if not _blank(r)) - 1
                    raise budget.refuse(f"约 {before + declared} 行")
                rows.append(list(values))
            sheets[name] = _to_sheet(name, rows)
        return sheets
    finally:
        workbook.close()


def _blank(values: Sequence[Any]) -> bool:
    return all(v is None or str(v).strip() == "" for v in values)


def _to_sheet(name: str, rows: list[list[Any]]) -> SheetData:
    sheet = SheetData(name)
    if not rows:
        sheet.missing = [short(c.header) for c in SHEETS[name] if c.required]
        return sheet
    headers = [short(str(h).strip()) if h is not None else "" for h in rows[0]]
    sheet.missing = [short(c.header) for c in SHEETS[name] if c.required and short(c.header) not in headers]
    for offset, values in enumerate(rows[1:], start=2):
        if _blank(values):
            continue
        cells = {h: v for h, v in zip(headers, values, strict=False) if h}
        sheet.rows.append(Row(offset, cells))
    return sheet
