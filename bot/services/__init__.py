"""Use cases shared by chat, jobs and the CLI: enrollment, fees, reports and the roster.

`build_use_cases` makes them once (bootstrap) from explicit dependencies: the database, the clock, settings.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.clock import Clock
from bot.domain.enrollment import priority_policy
from bot.domain.fees import fee_policy
from bot.services.enrollment import EnrollmentService
from bot.services.fees import FeesService
from bot.services.reports import ReportsService
from bot.services.roster import RosterService
from bot.settings import Settings
from bot.store.db import Database


@dataclass(frozen=True)
class UseCases:
    enrollment: EnrollmentService
    fees: FeesService
    reports: ReportsService
    roster: RosterService


def build_use_cases(db: Database, settings: Settings, clock: Clock) -> UseCases:
    tz = settings.school.tz
    fees = fee_policy(settings.fees)
    return UseCases(
        enrollment=EnrollmentService(
            db, clock, tz, priority_policy(settings.enrollment), settings.enrollment.second_round_days, fees
        ),
        fees=FeesService(db, clock, tz, fees),
        reports=ReportsService(db, clock, tz),
        roster=RosterService(
            db, clock, settings.school.name, settings.roster, settings.enrollment.window_hours
        ),
    )
