"""Roster use cases: import .xlsx/.csv files (all or nothing), export the current roster, write a template."""

from __future__ import annotations

from pathlib import Path

from bot.clock import Clock
from bot.roster import exporter, importer, template
from bot.roster.importer import ImportResult
from bot.settings import RosterSettings
from bot.store.db import Database


class RosterService:
    def __init__(
        self, db: Database, clock: Clock, school_name: str, limits: RosterSettings, window_hours: int = 24
    ) -> None:
        self.db = db
        self.clock = clock
        self.school_name = school_name
        self.limits = limits
        self.window_hours = window_hours  # the enrollment window a new X course of an import opens

    async def import_files(self, paths: list[Path]) -> ImportResult:
        return await importer.import_roster(
            self.db,
            paths,
            school_name=self.school_name,
            clock=self.clock,
            limits=self.limits,
            window_hours=self.window_hours,
        )

    async def export(self, path: Path) -> None:
        await exporter.export_roster(self.db, path, school_name=self.school_name)

    @staticmethod
    def template(path: Path) -> None:
        template.write_template(path)
