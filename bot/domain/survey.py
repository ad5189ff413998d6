"""The monthly service evaluation (评价, pure rules): which month a rating counts for, reading `评价 5 …`,
and the averages the principal gets (per class, per course) with the comments, never a family's name."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta

from bot.domain.dates import cn_number
from bot.domain.family import last_school_day, month_key

IsDay = Callable[[date], bool]
RESULTS_ON_SCHOOL_DAY = 3  # the principal gets last month's results on the third school day of the next month
CORRECTION = "评分请用 1-5 的数字,例如: 评价 5 老师很负责"
ASK = (
    "您好!{month}月的课后托管服务即将结束,请为本月的服务打分(1-5 分,5 分最满意),也可以写几句意见,"
    "直接回复例如「评价 5 老师很负责」。评价不公开家长姓名,谢谢您的支持!"
)
_RATE = re.compile(r"^\s*(?:服务)?评价\s*[:：]?\s*(?P<body>.*)$", re.DOTALL)
_CN_SCORES = frozenset("零一二两三四五六七八九十")
_SCORE = re.compile(
    r"^(?P<n>-?\d+(?:\.\d+)?|[零一二两三四五六七八九十])\s*(?:分|星|颗星)?\s*[,，。.!！:：]?\s*(?P<comment>.*)$",
    re.DOTALL,
)


@dataclass(frozen=True)
class Rating:
    score: int | None  # None: missing or outside 1-5 (the sender gets the correction)
    comment: str = ""


def parse_rating(text: str) -> Rating | None:
    """`评价 5 老师很负责` / `评价5分` / `评价 五星`; `评价 8` or `评价 很好` -> Rating(None); else None."""
    m = _RATE.match(text)
    if m is None:
        return None
    body = m.group("body").strip()
    stars = re.match(r"^([⭐★]+)\s*(.*)$", body, re.DOTALL)
    if stars:
        count = len(stars.group(1))
        return Rating(count, stars.group(2).strip()[:500]) if count <= 5 else Rating(None)
    s = _SCORE.match(body)
    if s is None:
        return Rating(None)
    raw = s.group("n")
    value = float(cn_number(raw)) if raw in _CN_SCORES else float(raw)
    if value != int(value) or not 1 <= value <= 5:
        return Rating(None)
    return Rating(int(value), s.group("comment").strip()[:500])


def survey_day(day: date, is_school_day: IsDay) -> bool:
    """The month's last school day: families are asked."""
    return last_school_day(day, is_school_day) == day


def results_day(day: date, is_school_day: IsDay) -> bool:
    """The third school day of the month: last month's results go to the principal."""
    school_days = [d for d in _days_until(day) if is_school_day(d)]
    return is_school_day(day) and len(school_days) == RESULTS_ON_SCHOOL_DAY


def _days_until(day: date) -> Iterable[date]:
    current = day.replace(day=1)
    while current <= day:
        yield current
        current += timedelta(days=1)


def rating_month(day: date, is_school_day: IsDay) -> str:
    """The month a rating sent on `day` counts for: this month from its last school day (the survey is asked),
    the month before until this month's results day (a late answer to that survey), else this month."""
    last = last_school_day(day, is_school_day)
    if last is not None and day >= last:
        return month_key(day)
    school_days = sum(1 for d in _days_until(day) if is_school_day(d))
    return previous_month(day) if school_days <= RESULTS_ON_SCHOOL_DAY else month_key(day)


def previous_month(day: date) -> str:
    return month_key(day.replace(day=1) - timedelta(days=1))


def first_day_of(month: str) -> date:
    year, mon = month.split("-")
    return date(int(year), int(mon), 1)


@dataclass(frozen=True)
class Vote:
    """One child's family rating: the class and courses it counts for, and who sent it when (a submission)."""

    submission: tuple[int | None, str]  # (guardian id, time): one family's one reply
    class_name: str
    courses: tuple[str, ...]
    score: int
    comment: str


@dataclass
class Summary:
    month: str
    families: int = 0
    average: float | None = None
    per_class: list[tuple[str, float, int]] = field(default_factory=list)
    per_course: list[tuple[str, float, int]] = field(default_factory=list)
    comments: list[tuple[int, str]] = field(default_factory=list)


def summarize(month: str, votes: Iterable[Vote], class_order: Iterable[str] = ()) -> Summary:
    """Averages per class and per course over the children rated, the overall one over families, the comments."""
    votes = list(votes)
    families: dict[tuple[int | None, str], Vote] = {}
    by_class: dict[str, list[int]] = {name: [] for name in class_order}
    by_course: dict[str, list[int]] = {}
    for v in votes:
        families.setdefault(v.submission, v)
        by_class.setdefault(v.class_name, []).append(v.score)
        for course in v.courses:
            by_course.setdefault(course, []).append(v.score)
    summary = Summary(month, len(families))
    if families:
        summary.average = _mean([v.score for v in families.values()])
    summary.per_class = [(n, _mean(s), len(s)) for n, s in by_class.items() if s]
    summary.per_course = [(n, _mean(s), len(s)) for n, s in sorted(by_course.items())]
    summary.comments = [(v.score, v.comment) for v in families.values() if v.comment]
    return summary


def _mean(scores: list[int]) -> float:
    return sum(scores) / len(scores)


def average_text(value: float) -> str:
    return f"平均 {value:.1f}"


def render(summary: Summary) -> str:
    """The principal's text: no family, no child named (the comments are the families' own words)."""
    label = f"{int(summary.month[5:])}月" if len(summary.month) == 7 else summary.month
    if not summary.families or summary.average is None:
        return f"{summary.month} 托管服务评价: 暂无家庭评价。"
    lines = [
        f"{summary.month} 托管服务评价({label}): {summary.families} 个家庭参与,{average_text(summary.average)}"
    ]
    lines.append("按班级:")
    lines += [f"· {name}: {average_text(avg)}({n} 名学生)" for name, avg, n in summary.per_class]
    if summary.per_course:
        lines.append("按课程:")
        lines += [f"· {name}: {average_text(avg)}({n} 名学生)" for name, avg, n in summary.per_course]
    if summary.comments:
        lines.append(f"家长意见 {len(summary.comments)} 条(不含姓名):")
        lines += [f"· {score}分 {comment}" for score, comment in summary.comments]
    return "\n".join(lines)
