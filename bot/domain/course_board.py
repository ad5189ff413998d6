"""Courses in the open (pure): the default enrollment window, its phase, when groups are told, and the texts.

Group texts (announcements, the 公示) carry course facts and children's names only: no fee owed, no phone,
no priority group. Prices are stored in fen and always shown in 元.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta, tzinfo
from enum import StrEnum

from bot.domain.enrollment import grade_allowed, grades_text
from bot.domain.fees import yuan

CLOSING_NOTICE = timedelta(hours=2)  # the groups are reminded this long before a window closes
WEEKDAY_WORDS = "一二三四五六日"


class Phase(StrEnum):
    DRAFT = "draft"  # added, not yet published: browsable, not open for sign-up
    UPCOMING = "upcoming"  # published, the window opens later
    OPEN = "open"  # taking sign-ups (no window: always)
    SECOND_ROUND = "second_round"  # after 撤班 elsewhere: only their children may sign up
    CLOSED = "closed"
    CANCELLED = "cancelled"  # 撤班


PHASE_WORDS = {
    Phase.DRAFT: "尚未开放报名",
    Phase.UPCOMING: "即将开放",
    Phase.OPEN: "报名中",
    Phase.SECOND_ROUND: "二次报名中(仅限被撤班的学生)",
    Phase.CLOSED: "报名已截止",
    Phase.CANCELLED: "已撤班",
}


@dataclass(frozen=True)
class Window:
    """A course's window as the rules see it (times aware); None ends mean unbounded."""

    opens_at: datetime | None
    closes_at: datetime | None
    round: int = 1


def default_window(start: datetime, hours: int) -> Window | None:
    """The window a newly published or imported course gets: `hours` from `start` (0 = no window)."""
    if hours <= 0:
        return None
    return Window(start, start + timedelta(hours=hours))


def phase(course_state: str, window: Window | None, now: datetime) -> Phase:
    """Where a course stands for a family at `now`."""
    if course_state == "cancelled":
        return Phase.CANCELLED
    if course_state == "draft":
        return Phase.DRAFT
    if window is None:
        return Phase.OPEN
    if window.opens_at is not None and now < window.opens_at:
        return Phase.UPCOMING
    if window.closes_at is not None and now > window.closes_at:
        return Phase.CLOSED
    return Phase.SECOND_ROUND if window.round >= 2 else Phase.OPEN


def announcements_due(window: Window, after: datetime, until: datetime) -> tuple[bool, bool]:
    """(opens, closing): whether the window opened in (after, until], and whether its two-hours-before-close
    moment fell in it. A first-round window only; one slot never tells both (the opening says when it closes)."""
    if window.round != 1 or window.opens_at is None or window.closes_at is None:
        return False, False
    opens = after < window.opens_at <= until and window.closes_at > until
    reminder = window.closes_at - CLOSING_NOTICE
    closing = not opens and after < reminder <= until and window.closes_at > until
    return opens, closing


def places_left(capacity: int, held: int) -> int:
    return max(capacity - held, 0)


def for_grades(course_grades: str, grades: Sequence[int]) -> bool:
    """A course open to any of these class grades (no grades given: every course)."""
    return not grades or any(grade_allowed(course_grades, g) for g in grades)


def weekdays_text(weekdays: str) -> str:
    """Weekday numbers as words: "3,5" -> "周三、周五"."""
    days = [int(d) for d in weekdays.split(",") if d.strip().isdigit() and 1 <= int(d) <= 7]
    return "、".join("周" + WEEKDAY_WORDS[d - 1] for d in days)


def price_text(price_fen: int) -> str:
    """Per session, in 元: 2000 -> "20元/课时"; 0 -> "免费"."""
    return f"{yuan(price_fen)}元/课时" if price_fen else "免费"


def when_text(at: datetime, tz: tzinfo) -> str:
    local = at.astimezone(tz)
    return f"{local.month}月{local.day}日 {local:%H:%M}"


def window_text(p: Phase, window: Window | None, tz: tzinfo) -> str:
    """The window as a family reads it, next to the phase word."""
    if window is None or p in (Phase.DRAFT, Phase.CANCELLED):
        return PHASE_WORDS[p]
    if p is Phase.UPCOMING and window.opens_at is not None:
        return f"{when_text(window.opens_at, tz)} 开放报名"
    if p in (Phase.OPEN, Phase.SECOND_ROUND) and window.closes_at is not None:
        return f"{PHASE_WORDS[p]},{when_text(window.closes_at, tz)} 截止"
    return PHASE_WORDS[p]


@dataclass(frozen=True)
class CourseFacts:
    """What a family is told about a course (never who signed up)."""

    name: str
    weekdays: str
    start: str  # "16:30"
    end: str
    price_fen: int
    capacity: int
    held: int
    grades: str = ""


def course_line(c: CourseFacts, p: Phase, window: Window | None, tz: tzinfo) -> str:
    """· 篮球 周三、周五 16:30-17:10 20元/课时 3-6年级 剩余 12/30 名额 · 报名中,12月3日 08:00 截止"""
    grades = f" {grades_text(c.grades)}" if c.grades.strip() else ""
    return (
        f"· {c.name} {weekdays_text(c.weekdays)} {c.start}-{c.end} {price_text(c.price_fen)}{grades} "
        f"剩余 {places_left(c.capacity, c.held)}/{c.capacity} 名额 · {window_text(p, window, tz)}"
    )


def opening_text(courses: Sequence[CourseFacts], closes_at: datetime, tz: tzinfo) -> str:
    """The group announcement when windows open: the courses, the deadline, how to sign up."""
    lines = [f"课程报名已开放,{when_text(closes_at, tz)} 截止(逾期无法补报):"]
    lines += [course_line(c, Phase.OPEN, None, tz).rsplit(" · ", 1)[0] for c in courses]
    lines.append("报名请发送「报名 课程名 孩子姓名」,发送「课程」查看全部课程。")
    return "\n".join(lines)


def closing_text(courses: Sequence[CourseFacts], closes_at: datetime, tz: tzinfo) -> str:
    """Two hours before the close: the courses still open and their places left."""
    lines = [f"课程报名将于 {when_text(closes_at, tz)} 截止,逾期无法补报:"]
    lines += [f"· {c.name} 剩余 {places_left(c.capacity, c.held)}/{c.capacity} 名额" for c in courses]
    lines.append("报名请发送「报名 课程名 孩子姓名」。")
    return "\n".join(lines)


@dataclass(frozen=True)
class Placed:
    """One closed course for the 公示: the children holding a place, or cancelled (撤班)."""

    course: str
    names: tuple[str, ...]
    cancelled: bool = False


@dataclass(frozen=True)
class BoardCourse:
    """A course on the board (课程, the group announcements): its state, its window, what families are told."""

    state: str  # draft, open or cancelled
    window: Window | None
    facts: CourseFacts


@dataclass(frozen=True)
class ClosedCourse:
    """A course whose first round just ended, as the 公示 names it."""

    id: int
    school_id: int
    grades: str
    placed: Placed


@dataclass(frozen=True)
class CourseLine:
    """A course as `tuoguan course list` shows it."""

    id: int
    name: str
    state: str
    held: int
    capacity: int
    min_size: int
    price_fen: int
    weekdays: frozenset[int]


@dataclass
class ClosedWindow:
    """A round-1 window that closed: the course went ahead (its waitlist promoted) or was cancelled (撤班)."""

    course_id: int
    course: str
    held: int
    min_size: int
    cancelled: bool
    told: list[tuple[int, int]] = field(default_factory=list)  # (enrollment id, guardian id) to tell


def gongshi_text(results: Sequence[Placed]) -> str:
    """报名结果公示: names per course, nothing else (no class, fee, phone or priority group)."""
    lines = ["课程报名结果公示:"]
    for r in results:
        if r.cancelled:
            lines.append(f"· {r.course}: 报名人数不足,已撤班(相关家长已单独收到二次报名通知)")
        else:
            lines.append(f"· {r.course}({len(r.names)}人): {'、'.join(r.names) or '无'}")
    lines.append("如有疑问请联系班主任。")
    return "\n".join(lines)
