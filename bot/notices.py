"""Sending a notice (from chat, from a closure, from the command line): stored, then one push per class group.

Used by the 通知 / 停课 handlers and by `tuoguan calendar add 停课`; the pushes go in the caller's unit of work.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from bot.domain import notices as rules
from bot.domain.messages import Push
from bot.settings import Settings

if TYPE_CHECKING:
    from bot.store.uow import UnitOfWork


@dataclass(frozen=True)
class Sent:
    notice_id: int
    reached: int  # M: children the notice reaches
    classes: list[str]  # names of the classes it went to
    no_chat: list[str]  # classes without a working group chat (their families are not told)
    pushes: list[Push]


async def send_notice(
    uow: UnitOfWork,
    settings: Settings,
    *,
    school_id: int,
    sender_staff_id: int | None,
    sender: str,
    kind: str,
    scope: str,
    text: str,
    classes: Sequence[tuple[int, str]],
    now: datetime,
    closure_day: date | None = None,
    message_id: str | None = None,
) -> Sent:
    """Store the notice with its targets and build one group push per class (key per notice and class)."""
    closes = rules.closes_at(now, settings.notices.open_days, closure_day, settings.school.tz)
    notice_id, reached = await uow.notices.create(
        school_id=school_id,
        sender_staff_id=sender_staff_id,
        kind=kind,
        scope=scope,
        text=text,
        class_ids=[c for c, _ in classes],
        now=now,
        closes=closes,
        message_id=message_id,
    )
    chats = await uow.people.working_chats(school_id)
    pushes = [
        Push(
            key=f"notice:{notice_id}:class{class_id}",
            chat_ref=chats[class_id],
            text=rules.group_text(text, sender),
        )
        for class_id, _ in classes
        if class_id in chats
    ]
    return Sent(
        notice_id, reached, [n for _, n in classes], [n for c, n in classes if c not in chats], pushes
    )


async def notice_summary(uow: UnitOfWork, school_id: int, day: date) -> str:
    """For the principal's daily summary: the notices open at the end of `day`, each with its confirmation rate."""
    tz = ZoneInfo(await uow.notices.school_timezone(school_id) or "Asia/Shanghai")
    end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=tz)
    rows = [n for n in await uow.notices.open_notices(school_id, end) if n.created_at <= end]
    if not rows:
        return "未结束通知: 无"
    lines = [f"未结束通知 {len(rows)} 条:"]
    for n in rows:
        sent = n.created_at.astimezone(tz)
        short = n.text if len(n.text) <= 16 else n.text[:16] + "…"
        lines.append(f"· {sent.month}月{sent.day}日 {n.scope}「{short}」{rules.rate(n.confirmed, n.total)}")
    return "\n".join(lines)
