"""Formula-like text written by `append_row` stays text and reads back unchanged."""

from __future__ import annotations

from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook

from bot.spreadsheet import append_row, looks_like_formula

VALUES = ["=1+1", "+86 138", "-2+3", "@SUM(A1)", "\t=A1", "\r=A1", "普通", None, "13800001111", 16000, -20]
# XML turns a bare CR into LF when the file is read (openpyxl writes no _x000D_): the one change on the way back.
READ_BACK = [v.replace("\r", "\n") if isinstance(v, str) else v for v in VALUES]


@pytest.mark.parametrize("read_only", [False, True])
def test_formula_like_cells_round_trip_as_text(tmp_path: Path, read_only: bool) -> None:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    append_row(ws, VALUES)
    path = tmp_path / "x.xlsx"
    wb.save(path)
    back = load_workbook(path, read_only=read_only, data_only=True)
    assert list(next(back.active.iter_rows(values_only=True))) == READ_BACK  # type: ignore[union-attr]
    if not read_only:
        cells = list(back.active[1])  # type: ignore[index]
        assert [c.data_type for c in cells[:6]] == ["s"] * 6
        assert all(c.quotePrefix for c in cells[:6]) and not any(c.quotePrefix for c in cells[6:])


def test_what_counts_as_formula_like() -> None:
    assert [looks_like_formula(v) for v in VALUES] == [True] * 6 + [False] * 5
