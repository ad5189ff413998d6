"""Literal substring matching in SQL: LIKE with `%`, `_` and the escape character escaped (both databases)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import String, func
from sqlalchemy.sql.elements import ColumnElement

ESCAPE = "\\"


def escape_like(text: str) -> str:
    """A Python string made literal for a LIKE pattern with ESCAPE '\\'."""
    return text.replace(ESCAPE, ESCAPE * 2).replace("%", ESCAPE + "%").replace("_", ESCAPE + "_")


def escaped(expr: ColumnElement[Any]) -> ColumnElement[str]:
    """A column or expression made literal for a LIKE pattern with ESCAPE '\\' (escape char first)."""
    out: ColumnElement[str] = func.replace(expr, ESCAPE, ESCAPE * 2, type_=String)
    for char in ("%", "_"):
        out = func.replace(out, char, ESCAPE + char, type_=String)
    return out


def contains_literally(text: ColumnElement[Any], part: ColumnElement[Any]) -> ColumnElement[bool]:
    """`text` contains `part` as written (e.g. a pupil's name `%` matches only a `%` in the text)."""
    return text.contains(escaped(part), escape=ESCAPE)
