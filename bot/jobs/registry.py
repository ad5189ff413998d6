"""What a job is: a name, a cron trigger in the school's timezone, a function, and a misfire policy."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from apscheduler.triggers.cron import CronTrigger

from bot.clock import Clock
from bot.domain.messages import Push
from bot.domain.school_calendar import SchoolCalendar
from bot.metrics import Metrics
from bot.services import UseCases
from bot.settings import Settings
from bot.store.db import Database


@dataclass(frozen=True)
class JobDeps:
    """What jobs are handed (built once in bootstrap): the settings, the database, the clock, the metrics."""

    settings: Settings
    db: Database
    clock: Clock
    metrics: Metrics
    use_cases: UseCases  # enrollment, fees, reports shared with chat and the CLI


@dataclass
class JobContext:
    """What one fire of a job for one school sees."""

    deps: JobDeps
    school_id: int
    at: datetime  # the fire time, aware, in the school's timezone
    calendar: SchoolCalendar
    pushes: list[Push] = field(default_factory=list)

    def push(self, push: Push) -> None:
        """Queue a push; the runner stores the fire's pushes in the durable outbox (idempotent by key)."""
        self.pushes.append(push)

    @property
    def day(self) -> date:
        return self.at.date()

    @property
    def services(self) -> JobDeps:
        """The old name of `deps`, kept while feature branches still use it."""
        return self.deps


JobFunc = Callable[[JobContext], Awaitable[str]]
MisfirePolicy = Callable[[datetime, datetime], bool]


def never_late(fire: datetime, now: datetime) -> bool:
    """A reminder is useless once its moment has passed."""
    return False


def same_evening(fire: datetime, now: datetime) -> bool:
    """Still worth running if it is the same day and before 22:00 (alerts, the daily summary)."""
    return fire.date() == now.date() and now.hour < 22


def within(delta: timedelta) -> MisfirePolicy:
    def policy(fire: datetime, now: datetime) -> bool:
        return now - fire <= delta

    return policy


@dataclass(frozen=True)
class JobSpec:
    name: str
    summary: str
    cron: Mapping[str, Any]
    run: JobFunc
    still_useful: MisfirePolicy = never_late
    care_days_only: bool = True
    lease: timedelta = field(default=timedelta(minutes=10))
    # Missed fires of one day collapse into the latest (a job that looks at the state of the moment, like
    # late-pickup every 5 minutes). False where each fire does its own work (family-call: the 09:00 prompts
    # and the 17:00 month-end table), so catch-up considers every missed fire of the day, in order.
    coalesce: bool = True

    def trigger(self, tz: Any) -> CronTrigger:
        return CronTrigger(timezone=tz, **self.cron)

    def next_fire(self, after: datetime, tz: Any) -> datetime | None:
        return self.trigger(tz).get_next_fire_time(None, after)

    def fires_between(self, start: datetime, end: datetime, tz: Any) -> list[datetime]:
        """Fire times in [start, end], bounded (a day of once-a-minute fires at most)."""
        trigger = self.trigger(tz)
        fires: list[datetime] = []
        current = trigger.get_next_fire_time(None, start)
        while current is not None and current <= end and len(fires) < 1440:
            fires.append(current)
            current = trigger.get_next_fire_time(current, current + timedelta(seconds=1))
        return fires
