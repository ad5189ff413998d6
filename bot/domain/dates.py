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
_RELATIVE = {
    "今天": 0,
    "今日": 0,
    "今儿": 0,
    "明天": 1,
    "明日": 1,
    "明儿": 1,
    "后天": 2,
    "大后天": 3,
    "昨天": -1,
    "昨日": -1,
    "昨儿": -1,
    "前天": -2,
    "大前天": -3,
}


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
    r"|(?P<rel>大后天|大前天|今天|今日|今儿|明天|明日|明儿|后天|昨天|昨日|昨儿|前天)"
)
_ONE_RE = re.compile(_ONE)
_RANGE_SEP = r"\s*(?:到|至|-|~|—|–)\s*"
_BARE_DAY_END = re.compile(rf"^(?P<d>{_NUM})[日号]?$")
_MULTI = re.compile(r"(?P<multi>明后(?:两)?天|今明(?:两)?天|这两天|今明后三天|明后三天)")


@dataclass(frozen=True)
class DateMatch:
    """Days a message names, and the text that named them (to cut out before reading a reason).

    `days` are the care days named (a single day is kept as is, even when it has no care); `skipped` the
    days without care inside a range or a count; `past` the named days before today; `vague` a week named
    without its days ("下周"), which the caller must ask about.
    """

    days: tuple[date, ...]
    text: str
    is_range: bool = False
    skipped: tuple[date, ...] = ()
    past: tuple[date, ...] = ()
    vague: str = ""


_VAGUE_WEEK = re.compile(r"(下下|下|这|本)(?:个)?(?:周|星期|礼拜)(?![一二三四五六日天七1-7])")
_COUNT = re.compile(
    rf"(?:请|休)\s*(?P<n>{_NUM})\s*(?:个)?(?:天|日)(?:的)?(?:病|事)?假|请(?:病|事)?假\s*(?P<n2>{_NUM})\s*(?:天|日)"
)
_LIST_SEP = re.compile(r"\s*(?:、|和|跟|及|与|,|，|\s)\s*|(?<=[一二三四五六日天七])(?=周|星期|礼拜)")


def _days_counted(text: str) -> int:
    """请3天假, 请两天假, 请假三天 -> 3, 2, 3; 0 when no count is given."""
    m = _COUNT.search(text)
    if m is None:
        return 0
    try:
        n = cn_number(m["n"] or m["n2"])
    except ValueError:
        return 0
    return n if 1 <= n <= 31 else 0


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


def _second(m: re.Match[str], first: re.Match[str], start: date, today: date) -> date:
    """The end of a range: a bare weekday after 下周一 stays in that week (下周一到周三)."""
    if m["wk"] and not m["wprefix"] and first["wk"]:
        monday = start - timedelta(days=start.weekday())
        raw = m["wd"]
        return monday + timedelta(days=_WEEKDAY.get(raw, int(raw) - 1 if raw.isdigit() else 0))
    if m["dom"] and (first["md"] or first["ymd"] or first["mdot"]):
        day = cn_number(m["d3"])
        candidate = start.replace(day=day) if day >= start.day else _day_of_month(day, start)
        return candidate
    return _one(m, today)


def _span(start: date, end: date) -> tuple[date, ...]:
    return tuple(start + timedelta(days=i) for i in range((end - start).days + 1))


def _expression(
    text: str, pos: int, today: date, prev: tuple[re.Match[str], date] | None
) -> tuple[tuple[date, ...], int, bool, re.Match[str], date] | None:
    """One day or one range starting exactly at `pos`: (days, end position, is a range, first match, start)."""
    first = _ONE_RE.match(text, pos)
    if first is None:
        return None
    try:
        start = _second(first, prev[0], prev[1], today) if prev else _one(first, today)
    except (ValueError, KeyError):
        return None
    sep = re.compile(_RANGE_SEP).match(text, first.end())
    if sep:
        end: date | None = None
        consumed = sep.end()
        second = _ONE_RE.match(text, sep.end())
        try:
            if second:
                end, consumed = _second(second, first, start, today), second.end()
            else:
                bare = re.compile(rf"(?P<d>{_NUM})[日号]?").match(text, sep.end())
                if bare:
                    end, consumed = start.replace(day=cn_number(bare["d"])), bare.end()
        except ValueError:
            end = None
        if end is not None and end >= start and (end - start).days <= 62:
            return _span(start, end), consumed, True, first, start
    return (start,), first.end(), False, first, start


def find_dates(text: str, today: date, is_care_day: CareDay) -> DateMatch | None:
    """The days a message names: one day, a range, a list (周四周五, 周三、周四), or a count (请3天假).

    Ranges and counts keep only care days and name the others as skipped; a single day is kept as is.
    """
    count = _days_counted(text)
    multi = _MULTI.search(text)
    if multi:
        named = _multi(multi["multi"], today)
        return _result(named, multi.group(0), True, today, is_care_day)
    first = _ONE_RE.search(text)
    if first is None:
        vague = _VAGUE_WEEK.search(text)
        if vague:
            return DateMatch((), vague.group(0), vague=vague.group(0))
        if count:  # 请3天假: counted from the next care day
            span = _COUNT.search(text)
            return _counted(
                today + timedelta(days=1), count, span.group(0) if span else "", today, is_care_day
            )
        return None
    parsed = _expression(text, first.start(), today, None)
    if parsed is None:
        return None
    days, end, is_range, m, start = parsed
    all_days, last_end = list(days), end
    while True:  # a list: 周四周五, 周三 周四, 周一、周三和周五
        sep = _LIST_SEP.match(text, last_end)
        at = sep.end() if sep else last_end
        more = _expression(text, at, today, (m, start)) if at < len(text) else None
        if more is None:
            break
        days, last_end, _, m, start = more
        all_days.extend(days)
        is_range = True
    named_text = text[first.start() : last_end]
    if count > 1 and len(all_days) == 1:  # 明天起请3天假: that many care days from the day named
        return _counted(all_days[0], count, named_text, today, is_care_day)
    return _result(tuple(sorted(set(all_days))), named_text, is_range, today, is_care_day)


def _counted(first: date, count: int, named: str, today: date, is_care_day: CareDay) -> DateMatch:
    days: list[date] = []
    skipped: list[date] = []
    day = first
    while len(days) < count and (day - first).days < 62:
        (days if is_care_day(day) else skipped).append(day)
        day += timedelta(days=1)
    skipped = [d for d in skipped if d < days[-1]] if days else skipped
    return DateMatch(tuple(days), named, True, tuple(skipped), tuple(d for d in days if d < today))


def _result(
    named: tuple[date, ...], text: str, is_range: bool, today: date, is_care_day: CareDay
) -> DateMatch:
    past = tuple(d for d in named if d < today)
    if not is_range:
        return DateMatch(named, text, False, (), past)
    days = tuple(d for d in named if is_care_day(d))
    skipped = tuple(d for d in named if not is_care_day(d))
    return DateMatch(days, text, True, skipped, past)


_TIME = re.compile(
    rf"(?P<h>\d{{1,2}}|[{_CN_DIGITS}]{{1,3}})\s*(?:[:：](?P<mm>\d{{2}})|点\s*(?:(?P<half>半)|(?P<quarter>一刻|1刻)"
    rf"|(?P<min>\d{{1,2}}|[{_CN_DIGITS}]{{1,3}})\s*分?)?)"
)


def _a_little(text: str, m: re.Match[str]) -> bool:
    """晚一点, 早一点, 快一点: 一点 meaning "a little", not one o'clock."""
    return (
        m.group(0).startswith("一点") and m.start() > 0 and text[m.start() - 1] in "晚早快慢有好多差稍再得迟"
    )


def find_time(text: str, *, afternoon: bool = True) -> tuple[time, str] | None:
    """18:10, 6点10分, 六点半, 5点一刻 -> a time; with `afternoon`, 1-11 o'clock means p.m."""
    m = _TIME.search(text)
    while m is not None and _a_little(text, m):
        m = _TIME.search(text, m.start() + 2)
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
