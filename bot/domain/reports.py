"""Report values (pure): one care day's point of the daily summary's attendance chart."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class DayPoint:
    """One care day: children expected (in basic care), present, and picked up late."""

    day: date
    expected: int
    present: int
    late: int
