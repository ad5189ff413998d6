"""Reading the roster: one .xlsx workbook, or one .csv per sheet (UTF-8, UTF-8 with BOM, or GBK)."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from openpyxl import load_workbook

from bot.roster.schema import SHEETS, short


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


def read_roster(paths: list[Path]) -> dict[str, SheetData]:
    sheets: dict[str, SheetData] = {}
    for path in paths:
        if not path.exists():
            raise RosterReadError(f"文件不存在: {path}")
        suffix = path.suffix.lower()
        if suffix == ".xlsx":
            sheets.update(_read_xlsx(path))
        elif suffix == ".csv":
            name = _sheet_of_csv(path)
            sheets[name] = _to_sheet(name, _csv_rows(path))
        else:
            raise RosterReadError(f"不支持的文件类型 {path.name}: 请用 .xlsx 或每表一个 .csv")
    return sheets


def _sheet_of_csv(path: Path) -> str:
    for name in SHEETS:
        if path.stem == name or path.stem.endswith(name):
            return name
    raise RosterReadError(f"无法从文件名判断是哪张表: {path.name} (应为 {'/'.join(SHEETS)}.csv)")


def _csv_rows(path: Path) -> list[list[Any]]:
    raw = path.read_bytes()
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = raw.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:  # pragma: no cover - gb18030 decodes any byte string
        raise RosterReadError(f"无法识别 {path.name} 的编码")
    return [list(r) for r in csv.reader(io.StringIO(text))]


def _read_xlsx(path: Path) -> dict[str, SheetData]:
    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:
        raise RosterReadError(f"无法打开 {path.name}: 不是有效的 .xlsx 文件") from exc
    try:
        return {
            name: _to_sheet(name, [list(r) for r in workbook[name].iter_rows(values_only=True)])
            for name in SHEETS
            if name in workbook.sheetnames
        }
    finally:
        workbook.close()


def _to_sheet(name: str, rows: list[list[Any]]) -> SheetData:
    sheet = SheetData(name)
    if not rows:
        sheet.missing = [short(c.header) for c in SHEETS[name] if c.required]
        return sheet
    headers = [short(str(h).strip()) if h is not None else "" for h in rows[0]]
    sheet.missing = [short(c.header) for c in SHEETS[name] if c.required and short(c.header) not in headers]
    for offset, values in enumerate(rows[1:], start=2):
        if all(v is None or str(v).strip() == "" for v in values):
            continue
        cells = {h: v for h, v in zip(headers, values, strict=False) if h}
        sheet.rows.append(Row(offset, cells))
    return sheet
