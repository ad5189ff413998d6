"""The term agreement (自愿服务协议书) and the student insurance (学平险), per child and term (pure rules).

Which term a guardian's `同意协议` counts for, which days the `agreement-check` job tells head teachers who is
still missing something, and how guardians' words are read. Nothing here reads the database.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from bot.domain.care import term_bounds

Term = tuple[date, date]
IsDay = Callable[[date], bool]

AGREE_HINT = "同意请回复「同意协议」(有几个孩子时可写「同意协议 刘洋」)"
NEXT_TERM_WITHIN_DAYS = 31
INSURE_HINT = "学平险购买后请回复「已买学平险」"
_NAMES = r"\s*[,，:：]?\s*(?P<names>[\u4e00-\u9fff、,，\s和]{0,20})\s*[。.!！]*\s*$"
_COURTESY = r"(?:(?:好的|好|老师|老师好|您好|收到)[,，!！\s]*)*"
_AGREE = re.compile(
    r"^\s*"
    + _COURTESY
    + r"(?:我|本人|家长)?(?:已经?)?同意(?:了)?\s*(?:签订)?(?:《)?(?:自愿)?(?:托管)?(?:服务)?协议(?:书)?(?:》)?(?:了)?"
    + _NAMES
)
_INSURANCE = r"(?:学平险|学生平安险|学生平安保险|学生意外险)"
_INSURED = re.compile(
    rf"^\s*{_COURTESY}(?:我们?|家里|我家)?(?:(?:已经?|都)(?:购买|买|交|办|上)(?:了|好了|好)?|(?:购买|买|交|办)(?:了|好了)){_INSURANCE}(?:了)?"
    + _NAMES
)
_INSURED_AFTER = re.compile(
    rf"^\s*{_COURTESY}{_INSURANCE}(?:已经?|都)(?:购买|买|交|办)(?:了|好了|好)?" + _NAMES
)
_READ = re.compile(
    r"^\s*(?:请|麻烦)?(?:发一下|发我|看一下|看看|查看|查看一下|看)?(?:托管)?(?:自愿)?(?:服务)?协议(?:书)?(?:内容|全文)?"
    r"(?:发一下|发我一下|看一下)?\s*[。.!！]*\s*$"
)


def parse_agree(text: str) -> str | None:
    """`同意协议` / `同意协议 刘洋` / `我同意服务协议`: the names written after it ('' for all), else None."""
    m = _AGREE.match(text)
    return _names(m.group("names")) if m else None


def parse_insured(text: str) -> str | None:
    """`已买学平险` / `学平险已买 刘洋` / `买了学平险`: the names written after it ('' for all), else None."""
    m = _INSURED.match(text) or _INSURED_AFTER.match(text)
    return _names(m.group("names")) if m else None


def parse_read(text: str) -> bool:
    """`协议`, `协议书`, `服务协议`, `看一下协议`: asking for the agreement's text."""
    return bool(_READ.match(text))


def _names(raw: str) -> str:
    return re.sub(r"[、,，\s]+", " ", raw).strip()


def days(term: Term) -> list[date]:
    start, end = term
    return [start + timedelta(days=i) for i in range((end - start).days + 1)]


def term_for(day: date, terms: Sequence[Term], is_care_day: IsDay, is_workday: IsDay) -> Term:
    """The term an agreement given on `day` counts for: the term holding it, else the next one entered.

    Without terms entered, the default term (Sep-Jan / Feb-Aug) holding the day, or the next one from the day
    its families are first asked (the last working day before its first care day), as `check_due` does.
    """
    ordered = sorted(terms)
    for start, end in ordered:
        if start <= day <= end:
            return start, end
    upcoming = [t for t in ordered if t[0] > day]
    if upcoming:
        return upcoming[0]
    *following, current = _default_terms(day)
    for term in following:
        first = first_care_day(term, is_care_day)
        if first is not None and day >= last_workday_before(first, is_workday):
            return term
    return current


def _default_terms(day: date) -> list[Term]:
    """The default term holding the day, preceded by the next one in the current one's last month (when the
    next one's first families may be asked)."""
    current = term_bounds(day)
    if (current[1] - day).days > NEXT_TERM_WITHIN_DAYS:
        return [current]
    return [term_bounds(current[1] + timedelta(days=1)), current]


def first_care_day(term: Term, is_care_day: IsDay) -> date | None:
    return next((d for d in days(term) if is_care_day(d)), None)


def last_workday_before(day: date, is_workday: IsDay) -> date:
    """The last working day before `day` (within four weeks; else the day before)."""
    for back in range(1, 29):
        if is_workday(day - timedelta(days=back)):
            return day - timedelta(days=back)
    return day - timedelta(days=1)


def first_care_day_of_week(day: date, is_care_day: IsDay) -> bool:
    monday = day - timedelta(days=day.weekday())
    return is_care_day(day) and not any(is_care_day(monday + timedelta(days=i)) for i in range(day.weekday()))


@dataclass(frozen=True)
class CheckDay:
    term: Term
    before_term: bool  # True: the last working day before the term's first care day


def check_due(day: date, terms: Sequence[Term], is_care_day: IsDay, is_workday: IsDay) -> CheckDay | None:
    """Is `day` an agreement-check day, and for which term?

    The last working day before a term's first care day, then the first care day of every later week of
    the term (Monday, or the day after a Monday holiday). Without terms entered: the default terms.
    """
    # Without terms: the next default term first (its pre-term day lies inside the current one).
    candidates = sorted(terms) or _default_terms(day)
    for term in candidates:
        first = first_care_day(term, is_care_day)
        if first is None:
            continue
        if day == last_workday_before(first, is_workday):
            return CheckDay(term, True)
        in_later_week = first - timedelta(days=first.weekday()) < day - timedelta(days=day.weekday())
        if in_later_week and day <= term[1] and first_care_day_of_week(day, is_care_day):
            return CheckDay(term, False)
    return None


def term_label(term: Term) -> str:
    start = term[0]
    season = "秋季" if start.month >= 8 else "春季"
    return f"{start.year}年{season}学期"


def missing_label(agreed: bool, insured: bool) -> str:
    """What a child still lacks: 未同意协议、未登记学平险 ('' when nothing)."""
    return "、".join(w for w, done in (("未同意协议", agreed), ("未登记学平险", insured)) if not done)


def check_text(
    class_name: str, term: Term, missing: Sequence[tuple[str, str]], in_care: int, before: bool
) -> str:
    """The head teacher's private list: the class's children in care still missing the agreement or insurance."""
    when = "新学期托管即将开始" if before else "每周提醒"
    lines = [
        f"{class_name} {term_label(term)}协议和学平险({when}): 参加托管 {in_care} 名,"
        f"还有 {len(missing)} 名未办齐(仅您可见):"
    ]
    lines += [f"· {name}: {label}" for name, label in missing]
    lines.append("请提醒这些家长私信托管助手回复「同意协议」(发送「协议」可看全文)和「已买学平险」。")
    return "\n".join(lines)
