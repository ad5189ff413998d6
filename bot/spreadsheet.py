"""Writing spreadsheet rows safely: text that a spreadsheet would take for a formula stays text."""

from __future__ import annotations

from collections.abc import Sequence

from openpyxl.cell.cell import Cell
from openpyxl.worksheet.worksheet import Worksheet

# What Excel, WPS and LibreOffice read as the start of a formula (or of DDE) when a cell is typed or imported.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def looks_like_formula(value: object) -> bool:
    return isinstance(value, str) and value.startswith(FORMULA_STARTS)


def as_text(cell: Cell) -> None:
    """Keep a cell's string a string: never a live formula, and still text when someone edits it in Excel.

    The value itself is not changed (no added quote), so reading the file back gives exactly what was written.
    """
    if looks_like_formula(cell.value):
        cell.data_type = "s"
        cell.quotePrefix = True


def append_row(ws: Worksheet, values: Sequence[object]) -> None:
    """`ws.append` with every formula-like string written as text."""
    ws.append(list(values))
    for cell in ws[ws.max_row]:
        as_text(cell)
