"""Notices with read confirmation (pure rules): how they are written, how long they stay open, the rate.

Group texts never name a child or say who has confirmed: a notice asks every family, a reminder
@-mentions the guardians still to confirm and says nothing else about them.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta, tzinfo

CN_GRADES = "一二三四五六"
ASK = "请各位家长回复「@托管助手 收到」确认(也可私信回复「收到」)。"
# 全校 / 三年级 at the start of a notice (not 三年级2班: a class is its head teacher's to notify).
_SCOPE_HEAD = re.compile(
    r"^(全校|[一二三四五六1-6]年级)(?![\d一二三四五六七八九十]*班)\s*[:：,，]?\s*(.+)$", re.DOTALL
)


def grade_of(word: str) -> int | None:
    """三年级 / 3年级 -> 3; anything else None."""
    m = re.fullmatch(r"([一二三四五六1-6])年级", word)
    if m is None:
        return None
    g = m.group(1)
    return int(g) if g.isdigit() else CN_GRADES.index(g) + 1


def parse_notice(text: str) -> tuple[str, str] | None:
    """`通知 TEXT` -> ("", TEXT); `通知 全校 TEXT` / `通知 三年级 TEXT` -> (scope, TEXT); else None.

    The word 通知 must stand alone at the start, followed by a space, a colon or a scope, and the notice must
    say something (at least two characters): 通知情况 and 通知一下 are not notices.
    """
    m = re.match(r"^\s*(?:发)?通知(?:\s*[:：]\s*|\s+|(?=全校|[一二三四五六1-6]年级))(.+)$", text, re.DOTALL)
    if m is None:
        return None
    body = m.group(1).strip()
    scope = ""
    head = _SCOPE_HEAD.match(body)
    if head:
        scope, body = head.group(1), head.group(2).strip()
    if len(body) < 2 or re.fullmatch(r"全校|[一二三四五六1-6]年级", body):
        return None
    return scope, body


def parse_status(text: str) -> int | None:
    """`通知情况` -> 1 (the latest), `通知情况 2` -> 2 (the one before); anything else None."""
    m = re.fullmatch(r"\s*(?:查看|查)?通知(?:情况|确认情况|确认)\s*(?:第?\s*([1-9])\s*(?:条|个)?)?\s*", text)
    if m is None:
        return None
    return int(m.group(1)) if m.group(1) else 1


def closes_at(
    created: datetime, open_days: int, closure_day: date | None = None, tz: tzinfo | None = None
) -> datetime:
    """A notice collects 收到 `open_days`; a closure notice no later than the end of the closed day."""
    end = created + timedelta(days=open_days)
    if closure_day is not None:
        last = datetime.combine(closure_day + timedelta(days=1), time(0), tzinfo=tz or created.tzinfo)
        end = min(end, max(last, created))
    return end


def group_text(text: str, sender: str) -> str:
    """The notice as posted in a class group: who sends it, what it says, and the request to confirm."""
    return f"【通知】{text}\n—— {sender}\n{ASK}"


def days_text(days: list[date]) -> str:
    """11月24日(周二)、11月25日(周三)."""
    return "、".join(f"{d.month}月{d.day}日(周{'一二三四五六日'[d.weekday()]})" for d in days)


def closure_text(days: str, reason: str) -> str:
    why = f"({reason})" if reason else ""
    return f"{days}停课{why},当天没有托管,接送提醒暂停。请家长提前安排好孩子的接送和看护。"


def reminder_text(text: str, sent: datetime) -> str:
    """The group reminder: which notice, and a request to the @-mentioned guardians only (no names listed)."""
    short = text if len(text) <= 30 else text[:30] + "…"
    return (
        f"【通知提醒】{sent.month}月{sent.day}日的通知「{short}」还未收到部分家长的确认。"
        f"请被@的家长回复「@托管助手 收到」,谢谢!"
    )


def rate(confirmed: int, total: int) -> str:
    """已确认 N / 应确认 M (P%)."""
    percent = round(100 * confirmed / total) if total else 100
    return f"已确认 {confirmed} / 应确认 {total}({percent}%)"
