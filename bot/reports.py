"""The principal's daily summary: per class 应到/实到/请假/缺席/晚接/未接, numbers first, no child named,
then open enrollment reviews, this month's left-behind calls and talks, and the term's fees outstanding."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING

from bot.domain import archives as archive_rules
from bot.domain.enrollment import State
from bot.domain.family import month_key
from bot.domain.fees import yuan
from bot.domain.reports import DayPoint
from bot.domain.school_calendar import calendar_term
from bot.notices import notice_summary

if TYPE_CHECKING:
    from bot.store.uow import UnitOfWork

WEEKDAYS = "一二三四五六日"
HISTORY_DAYS = 20


@dataclass(frozen=True)
class ClassLine:
    name: str
    expected: int
    present: int
    leave: int
    absent: int
    late: int
    waiting: int
    roll_called: bool = True  # False: no teacher took the roll; 实到 is the expected children, unconfirmed

    def render(self) -> str:
        return (
            f"应到 {self.expected} 实到 {self.present} 请假 {self.leave} 缺席 {self.absent} "
            f"晚接 {self.late} 未接 {self.waiting}" + ("" if self.roll_called else " 未点名")
        )


async def class_lines(uow: UnitOfWork, school_id: int, day: date) -> list[ClassLine]:
    """One line per class, from the whole school's day read in a fixed number of queries."""
    classes = await uow.reports.classes(school_id)
    days = await uow.reports.school_day(school_id, day)
    lines = []
    for class_id, name in classes:
        d = days.get(class_id)
        if d is None:
            lines.append(ClassLine(name, 0, 0, 0, 0, 0, 0))
            continue
        expected = d.expected
        leave = sum(1 for k in expected if d.on_leave(k))
        absent = sum(1 for k in expected if d.absent(k))
        late = sum(1 for k in expected if k.id in d.pickups and d.pickups[k.id].minutes_late > 0)
        lines.append(
            ClassLine(
                name,
                len(expected),
                len(expected) - leave - absent,
                leave,
                absent,
                late,
                len(d.waiting()),
                d.roll_called or not expected,
            )
        )
    return lines


async def _reviews(uow: UnitOfWork, school_id: int) -> str:
    counts = await uow.reports.open_reviews(school_id)
    return (
        f"报名待审核: 班主任审核 {counts.get(State.APPLIED.value, 0)} 条,校长复核 "
        f"{counts.get(State.CLASS_OK.value, 0)} 条,退出申请 {counts.get(State.WITHDRAW_REQ.value, 0)} 条"
    )


async def _left_behind(uow: UnitOfWork, school_id: int, day: date) -> str:
    ids = [c.id for c in await uow.family.left_behind(school_id)]
    if not ids:
        return "留守儿童: 无"
    calls, talks = await uow.reports.month_contacts(ids, month_key(day))
    return (
        f"留守儿童本月: 亲情通话 {sum(1 for i in ids if i in calls)}/{len(ids)},谈心 {len(talks)}/{len(ids)}"
    )


async def _fees(uow: UnitOfWork, school_id: int, day: date) -> str:
    term_start, _ = calendar_term(await uow.calendar.of(school_id), day)
    owing = [
        b.balance_fen for b in (await uow.fees.balances(school_id, term_start)).values() if b.balance_fen > 0
    ]
    return f"本学期欠费: {len(owing)} 名学生,共 {yuan(sum(owing))} 元" if owing else "本学期欠费: 无"


async def daily_summary(uow: UnitOfWork, school_id: int, day: date) -> str:
    lines = await class_lines(uow, school_id, day)
    total = ClassLine(
        "全校",
        *(
            sum(getattr(line, f) for line in lines)
            for f in ("expected", "present", "leave", "absent", "late", "waiting")
        ),
    )
    out = [f"全校 {total.render()}", f"托管日报 {day.month}月{day.day}日(周{WEEKDAYS[day.weekday()]})"]
    out += [f"{line.name} {line.render()}" for line in lines]
    if total.waiting:
        out.append(f"注意: 还有 {total.waiting} 名孩子未接走,请班主任跟进。")
    out += [await _reviews(uow, school_id), await _left_behind(uow, school_id, day)]
    out += [line for line in [await weekly_talks_line(uow, school_id, day)] if line]
    out += [await _fees(uow, school_id, day), await notice_summary(uow, school_id, day)]
    return "\n".join(out)


def as_markdown(summary: str) -> str:
    """The same summary for a markdown message: the school line bold, one list item per class or topic."""
    lines = summary.splitlines()
    if not lines:
        return summary
    head, title, rest = lines[0], lines[1] if len(lines) > 1 else "", lines[2:]
    out = [f"### {title}" if title else "", f"**{head}**", ""]
    out += [f"- {line}" for line in rest]
    return "\n".join(out).strip()


async def attendance_history(
    uow: UnitOfWork, school_id: int, day: date, is_care_day: Callable[[date], bool], n: int = HISTORY_DAYS
) -> list[DayPoint]:
    """The last `n` care days up to `day`: children expected (in basic care today), present, picked up late.

    Three grouped queries whatever the number of days or classes.
    """
    days: list[date] = []
    current = day
    while len(days) < n and current > day - timedelta(days=n * 4):
        if is_care_day(current):
            days.append(current)
        current -= timedelta(days=1)
    days.reverse()
    if not days:
        return []
    counts = await uow.reports.day_counts(school_id, days[0], days[-1])
    return [
        DayPoint(
            d,
            counts.expected,
            max(0, counts.expected - counts.leave.get(d, 0) - counts.absent.get(d, 0)),
            counts.late.get(d, 0),
        )
        for d in days
    ]


async def weekly_talks_line(uow: UnitOfWork, school_id: int, day: date) -> str:
    """The principal's summary: children each paired teacher talked with this week (谈心 or 关爱记录), against
    the target of 3-5; '' when no left-behind child has a paired teacher."""
    children = await uow.family.left_behind(school_id)
    paired = list(dict.fromkeys(c.paired_teacher_id for c in children if c.paired_teacher_id is not None))
    if not paired:
        return ""
    start, end = archive_rules.week_of(day)
    talks = await uow.reports.talks_between([c.id for c in children], start, end)
    names = await uow.archives.staff_names(paired)
    low, high = archive_rules.WEEKLY_TALKS
    parts = []
    for staff_id in sorted(paired, key=lambda i: names.get(i, "")):
        n = len({child for child, _ in talks.get(staff_id, [])})
        parts.append(f"{names.get(staff_id, '?')} {n} 名({archive_rules.talk_mark(n)})")
    return f"本周谈心(帮扶教师,目标每周 {low}–{high} 名): " + ",".join(parts)
