"""The principal's daily summary: per class 应到/实到/请假/缺席/晚接/未接, numbers first, no child named."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.store.care import class_day, kids_of_class
from bot.store.tables import ClassGroup

WEEKDAYS = "一二三四五六日"


@dataclass(frozen=True)
class ClassLine:
    name: str
    expected: int
    present: int
    leave: int
    absent: int
    late: int
    waiting: int

    def render(self) -> str:
        return (f"应到 {self.expected} 实到 {self.present} 请假 {self.leave} 缺席 {self.absent} "
                f"晚接 {self.late} 未接 {self.waiting}")


async def class_lines(session: AsyncSession, school_id: int, day: date) -> list[ClassLine]:
    classes = (await session.execute(
        select(ClassGroup.id, ClassGroup.name).where(ClassGroup.school_id == school_id)
        .order_by(ClassGroup.grade, ClassGroup.name)
    )).all()
    lines = []
    for class_id, name in classes:
        d = await class_day(session, await kids_of_class(session, class_id), day)
        expected = d.expected
        leave = sum(1 for k in expected if d.on_leave(k))
        absent = sum(1 for k in expected if d.absent(k))
        late = sum(1 for k in expected if k.id in d.pickups and d.pickups[k.id].minutes_late > 0)
        lines.append(ClassLine(name, len(expected), len(expected) - leave - absent, leave, absent, late,
                               len(d.waiting())))
    return lines


async def daily_summary(session: AsyncSession, school_id: int, day: date) -> str:
    lines = await class_lines(session, school_id, day)
    total = ClassLine("全校", *(sum(getattr(line, f) for line in lines) for f in
                                ("expected", "present", "leave", "absent", "late", "waiting")))
    out = [f"全校 {total.render()}", f"托管日报 {day.month}月{day.day}日(周{WEEKDAYS[day.weekday()]})"]
    out += [f"{line.name} {line.render()}" for line in lines]
    if total.waiting:
        out.append(f"注意: 还有 {total.waiting} 名孩子未接走,请班主任跟进。")
    return "\n".join(out)
