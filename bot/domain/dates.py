"""Chinese dates and times as parents write them: 今天, 明后两天, 下周一, 11月25日, 25号-27号, 六点半.

Pure functions: `today` and the care-day test are passed in; nothing reads the clock.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, time, timedelta
from functools import lru_cache

import cn2an

CareDay = Callable[[date], bool]

_CN_DIGITS = "零〇一二两三四五六七八九十"
_NUM = rf"(?:\d{{1,2}}|[{_CN_DIGITS}]{{1,3}})"
_WEEKDAY = {"一": 0, "二": 1, "三": 2, "四": 3, "五": 4, "六": 5, "日": 6, "天": 6, "七": 6}
_RELATIVE = {"今天": 0, "今日": 0, "今儿": 0, "明天": 1, "明日": 1, "明儿": 1, "后天": 2, "大后天": 3}


@lru_cache(maxsize=256)
def cn_number(token: str) -> int:
    """'25' or '二十五' -> 25 (cn2an for the Chinese numerals)."""
    if token.isdigit():
        return int(token)
    return int(cn2an.cn2an(token.replace("〇", "零").replace("两", "二"), "smart"))


# One date expression. Named groups tell which kind matched.
_ONE = (
    rf"(?P<ymd>(?P<y>\d{{4}})[-/.年](?P<ym>\d{{1,2}})[-/.月](?P<yd>\d{{1,2}})[日号]?)"
    rf"|(?P<md>(?P<m>{_NUM})月(?P<d>{_NUM})[日号]?)"
    rf"|(?P<mdot>(?P<m2>\d{{1,2}})[./](?P<d2>\d{{1,2}})(?![\d:]))"
    rf"|(?P<dom>(?P<d3>{_NUM})[日号])"
    rf"|(?P<wk>(?P<wprefix>下下|下|这|本|上)?(?:个)?(?:周|星期|礼拜)(?P<wd>[一二三四五六日天七1-7]))"
    r"|(?P<rel>大后天|今天|今日|今儿|明天|明日|明儿|后天)"
)
_ONE_RE = re.compile(_ONE)
_RANGE_SEP = r"\s*(?:到|至|-|~|—|–)\s*"
_BARE_DAY_END = re.compile(rf"^(?P<d>{_NUM})[日号]?$")
_MULTI = re.compile(r"(?P<multi>明后(?:两)?天|今明(?:两)?天|这两天|今明后三天|明后三天)")


@dataclass(frozen=True)
class DateMatch:
    """Days a message names, and the text that named them (to cut out before reading a reason)."""

    days: tuple[date, ...]
    text: str
    is_range: bool = False


def _weekday(m: re.Match[str], today: date) -> date:
    raw = m["wd"]
    target = _WEEKDAY.get(raw, int(raw) - 1 if raw.isdigit() else 0)
    monday = today - timedelta(days=today.weekday())
    prefix = m["wprefix"] or ""
    if prefix in {"这", "本"}:
        return monday + timedelta(days=target)
    if prefix == "下":
        return monday + timedelta(days=7 + target)
    if prefix == "下下":
        return monday + timedelta(days=14 + target)
    if prefix == "上":
        return monday - timedelta(days=7 - target)
    # Bare 周三: the coming one (today if today is Wednesday).
    return today + timedelta(days=(target - today.weekday()) % 7)


def _month_day(month: int, day: int, today: date) -> date:
    """A month and day without a year: this year, or next year if it is long past (12月 -> 1月)."""
    candidate = date(today.year, month, day)
    if candidate < today - timedelta(days=60):
        candidate = date(today.year + 1, month, day)
    return candidate


def _day_of_month(day: int, today: date) -> date:
    """25号: this month, or next month if the 25th has passed."""
    if day >= today.day:
        return date(today.year, today.month, day)
    month, year = (today.month + 1, today.year) if today.month < 12 else (1, today.year + 1)
    return date(year, month, day)


def _one(m: re.Match[str], today: date) -> date:
    if m["ymd"]:
        return date(int(m["y"]), int(m["ym"]), int(m["yd"]))
    if m["md"]:
        return _month_day(cn_number(m["m"]), cn_number(m["d"]), today)
    if m["mdot"]:
        return _month_day(int(m["m2"]), int(m["d2"]), today)
    if m["dom"]:
        return _day_of_month(cn_number(m["d3"]), today)
    if m["wk"]:
        return _weekday(m, today)
    return today + timedelta(days=_RELATIVE[m["rel"]])


def _multi(word: str, today: date) -> tuple[date, ...]:
    if word.startswith("今明后") or word == "今明后三天":
        return tuple(today + timedelta(days=i) for i in range(3))
    if word.startswith("明后"):
        count = 3 if "三" in word else 2
        return tuple(today + timedelta(days=1 + i) for i in range(count))
    return (today, today + timedelta(days=1))


def find_dates(text: str, today: date, is_care_day: CareDay) -> DateMatch | None:
    """The first date or date range in `text`. Ranges keep only care days; a single day is kept as is."""
    multi = _MULTI.search(text)
    if multi:
        days = tuple(d for d in _multi(multi["multi"], today) if is_care_day(d))
        return DateMatch(days, multi.group(0), is_range=True)
    first = _ONE_RE.search(text)
    if first is None:
        return None
    try:
        start = _one(first, today)
    except (ValueError, KeyError):
        return None
    rest = text[first.end():]
    sep = re.match(_RANGE_SEP, rest)
    if sep:
        tail = rest[sep.end():]
        second = _ONE_RE.match(tail)
        end: date | None = None
        consumed = 0
        try:
            if second:
                end, consumed = _one(second, today), second.end()
            else:
                bare = re.match(rf"(?P<d>{_NUM})[日号]?", tail)
                if bare:
                    end, consumed = start.replace(day=cn_number(bare["d"])), bare.end()
        except ValueError:
            end = None
        if end is not None and end >= start and (end - start).days <= 62:
            span = tuple(start + timedelta(days=i) for i in range((end - start).days + 1))
            matched = text[first.start(): first.end() + sep.end() + consumed]
            return DateMatch(tuple(d for d in span if is_care_day(d)), matched, is_range=True)
    return DateMatch((start,), first.group(0))


_TIME = re.compile(
    rf"(?P<h>\d{{1,2}}|[{_CN_DIGITS}]{{1,3}})\s*(?:[:：](?P<mm>\d{{2}})|点\s*(?:(?P<half>半)|(?P<quarter>一刻|1刻)"
    rf"|(?P<min>\d{{1,2}}|[{_CN_DIGITS}]{{1,3}})\s*分?)?)"
)


def find_time(text: str, *, afternoon: bool = True) -> tuple[time, str] | None:
    """18:10, 6点10分, 六点半, 5点一刻 -> a time; with `afternoon`, 1-11 o'clock means p.m."""
    m = _TIME.search(text)
    if m is None:
        return None
    try:
        hour = cn_number(m["h"])
        minute = 30 if m["half"] else 15 if m["quarter"] else cn_number(m["min"] or m["mm"] or "0")
    except ValueError:
        return None
    if afternoon and 1 <= hour <= 11 and "上午" not in text and "早上" not in text:
        hour += 12
    if not (0 <= hour <= 23 and 0 <= minute <= 59):
        return None
    return time(hour, minute), m.group(0)
