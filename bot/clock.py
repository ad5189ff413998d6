"""Injected time: every component asks a Clock, never datetime.now() directly."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol
from zoneinfo import ZoneInfo


class Clock(Protocol):
    def now(self) -> datetime:
        """Current aware datetime in UTC."""
        ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


@dataclass
class FixedClock:
    """A clock pinned to one instant (the `--at` option, tests)."""

    instant: datetime

    def __post_init__(self) -> None:
        if self.instant.tzinfo is None:
            raise ValueError("FixedClock needs an aware datetime")

    def now(self) -> datetime:
        return self.instant

    def advance(self, **kwargs: float) -> None:
        from datetime import timedelta

        self.instant = self.instant + timedelta(**kwargs)


def parse_at(value: str, tz: ZoneInfo) -> datetime:
    """Parse an ISO time given on the command line; naive times are in the school's timezone."""
    parsed = datetime.fromisoformat(value)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=tz)
    return parsed
