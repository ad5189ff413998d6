"""Left-behind children's monthly rhythm: who is away, which day prompts, follows up, closes the month."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, timedelta

# Roster values of 留守 (DESIGN.md) and the guardian relations that mean "the parent away".
AWAY_LABELS = {"father": "父亲外出", "mother": "母亲外出", "both": "双亲外出"}
_FATHER = ("父亲", "爸爸", "爸", "父")
_MOTHER = ("母亲", "妈妈", "妈", "母")
KIND_LABELS = {"phone": "电话", "video": "视频", "letter": "书信"}
FOLLOW_UP_DAY = 15
BIRTHDAY_LOOKAHEAD = 7  # a birthday on a weekend is told on the school day before, at most a week ahead


def is_left_behind(status: str) -> bool:
    return status in AWAY_LABELS


def away_relation(status: str, relation: str) -> bool:
    """Whether a guardian with this relation is a parent away from home for the child's status."""
    rel = relation.strip()
    father = rel.startswith(_FATHER)
    mother = rel.startswith(_MOTHER)
    return (status in ("father", "both") and father) or (status in ("mother", "both") and mother)


def call_kind(text: str) -> str:
    """The kind of contact a message names (视频/写信), a phone call by default."""
    if re.search(r"视频|video", text, re.IGNORECASE):
        return "video"
    if re.search(r"书信|写信|来信|回信|信件", text):
        return "letter"
    return "phone"


def month_key(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def _month_days(day: date) -> Iterable[date]:
    current = day.replace(day=1)
    while current.month == day.month:
        yield current
        current += timedelta(days=1)


def first_school_day(day: date, is_school_day: Callable[[date], bool], *, not_before: int = 1) -> date | None:
    """The month's first school day on or after the given day of the month (None if there is none)."""
    return next((d for d in _month_days(day) if d.day >= not_before and is_school_day(d)), None)


def last_school_day(day: date, is_school_day: Callable[[date], bool]) -> date | None:
    days = [d for d in _month_days(day) if is_school_day(d)]
    return days[-1] if days else None


@dataclass(frozen=True)
class MonthPlan:
    """What the family-call job owes on a day: the month's prompt, its follow-up, its closing table."""

    prompt: bool
    follow_up: bool
    close: bool


def plan_for(day: date, is_school_day: Callable[[date], bool]) -> MonthPlan:
    return MonthPlan(
        prompt=first_school_day(day, is_school_day) == day,
        follow_up=first_school_day(day, is_school_day, not_before=FOLLOW_UP_DAY) == day,
        close=last_school_day(day, is_school_day) == day,
    )


def birthday_in(birth: date, year: int) -> date:
    """This year's birthday (29 February is kept on 28 February in common years)."""
    try:
        return birth.replace(year=year)
    except ValueError:
        return date(year, 2, 28)


def birthdays_to_tell(day: date, is_school_day: Callable[[date], bool]) -> list[date]:
    """The dates whose birthdays a school day tells: itself and the non-school days up to the next school day."""
    days = [day]
    for offset in range(1, BIRTHDAY_LOOKAHEAD):
        nxt = day + timedelta(days=offset)
        if is_school_day(nxt):
            break
        days.append(nxt)
    return days


def is_birthday_on(birth: date | None, days: Iterable[date]) -> date | None:
    if birth is None:
        return None
    return next((d for d in days if birthday_in(birth, d.year) == d), None)
