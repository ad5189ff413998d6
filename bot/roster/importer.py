"""Importing a roster: read, validate everything, then upsert in one transaction (all or nothing)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from bot.clock import Clock
from bot.domain.course_board import default_window
from bot.roster.reader import RosterReadError, SheetData, read_roster
from bot.roster.schema import SHEET_ORDER
from bot.roster.validate import Validator
from bot.settings import RosterSettings
from bot.store.db import Database


@dataclass
class ImportResult:
    errors: list[str] = field(default_factory=list)
    counts: dict[str, Counter[str]] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def changed(self) -> bool:
        return any(c["新增"] or c["更新"] for c in self.counts.values())

    def render(self) -> str:
        if self.errors:
            head = f"花名册有 {len(self.errors)} 处问题,未导入任何数据:"
            return "\n".join([head, *self.errors])
        notes = [f"注意: {w}" for w in self.warnings]
        if not self.changed:
            return "\n".join(["导入完成: 无变化", *notes])
        lines = ["导入完成:"]
        for sheet in SHEET_ORDER:
            c = self.counts.get(sheet)
            if c:
                lines.append(f"{sheet}: 新增 {c['新增']}, 更新 {c['更新']}, 无变化 {c['无变化']}")
        return "\n".join([*lines, *notes])


class _Invalid(Exception):
    def __init__(self, errors: list[str]) -> None:
        super().__init__(errors)
        self.errors = errors


async def import_roster(
    db: Database,
    paths: list[Path],
    *,
    school_name: str,
    clock: Clock,
    limits: RosterSettings | None = None,
    window_hours: int = 24,
) -> ImportResult:
    """Import .xlsx or per-sheet .csv files, within `roster.max_rows` and `roster.max_bytes`."""
    try:
        sheets = read_roster(list(paths), limits)
    except RosterReadError as exc:
        return ImportResult(errors=[str(exc)])
    return await import_sheets(
        db,
        sheets,
        source=",".join(p.name for p in paths),
        school_name=school_name,
        clock=clock,
        window_hours=window_hours,
    )


async def import_sheets(
    db: Database,
    sheets: dict[str, SheetData],
    *,
    source: str,
    school_name: str,
    clock: Clock,
    window_hours: int = 24,
) -> ImportResult:
    """Validate every row, then write all of it in one transaction, or nothing. New X courses open their
    enrollment window (`window_hours` from now; 0 = none) in the same transaction."""
    try:
        async with db.unit_of_work() as uow:
            school_id = await uow.roster.school_named(school_name, create=True)
            assert school_id is not None
            validated = Validator(sheets, await uow.roster.known(school_id)).run()
            if validated.errors:
                raise _Invalid(validated.errors)
            now = clock.now()
            counts = await uow.roster.apply(
                school_id, validated, now, source, default_window(now, window_hours)
            )
    except _Invalid as exc:
        return ImportResult(errors=exc.errors)
    return ImportResult(counts=counts, warnings=validated.warnings)
