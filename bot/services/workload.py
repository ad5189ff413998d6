"""Teachers' workload and pay for a month, from the register: `tuoguan report workload` and `fees workload`.

Basic care: per care day and class, the children present (per the register: in basic care or dropped in,
not on leave, not absent) × their hours in care (care start to pickup or care end), counted for the class's
substitute or care teachers (bot/domain/workload.py); a class day the register has nothing of (no roll call,
no pickup) is not paid, and is shown as such. X courses: sessions held (roll-called) and attended.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, tzinfo
from pathlib import Path
from typing import TYPE_CHECKING

from openpyxl import Workbook

from bot.domain import workload as rules
from bot.domain.care import CareTimes
from bot.domain.care_day import ClassDay
from bot.domain.fees import yuan
from bot.spreadsheet import append_row
from bot.store.workload import Teaching

if TYPE_CHECKING:
    from bot.store.uow import UnitOfWork

UNASSIGNED = "未指定教师"


@dataclass(frozen=True)
class Detail:
    """One line of the basis: a class's care day or a course's session, and whom it counted for."""

    day: date
    what: str
    teachers: str
    children: int
    child_minutes: int  # 0 for a session
    substitute: bool


@dataclass
class MonthWorkload:
    month: str
    through: date | None  # the last day counted (None: the month has not begun)
    rates: rules.Rates
    teachers: list[rules.TeacherWork] = field(default_factory=list)
    details: list[Detail] = field(default_factory=list)

    def lines(self) -> list[str]:
        span = f"(计至 {self.through.isoformat()})" if self.through else "(本月尚未开始)"
        head = f"{self.month} 教师工作量与课酬{span}:"
        if not self.teachers:
            return [head, "没有托管教师或课程教师。"]
        return [head, *(t.line(self.rates) for t in self.teachers)]


def month_bounds(month: str) -> tuple[date, date]:
    """ "2026-10" -> (2026-10-01, 2026-10-31); ValueError if not a month."""
    year, mon = (int(x) for x in month.split("-"))
    first = date(year, mon, 1)
    return first, (date(year + mon // 12, mon % 12 + 1, 1) - timedelta(days=1))


def _or_unassigned(teachers: list[int]) -> list[int | None]:
    """The teachers, or the one 'unassigned' line when the day has none."""
    return [*teachers] if teachers else [None]


class _Tally:
    def __init__(self, facts: Teaching) -> None:
        self.facts = facts
        self.work: dict[int | None, rules.TeacherWork] = {}
        for staff_id in [
            *(t for ts in facts.care_teachers.values() for t in ts),
            facts.basic_teacher,
            *facts.course_teachers,
        ]:
            if staff_id is not None:
                self.of(staff_id)

    def of(self, staff_id: int | None) -> rules.TeacherWork:
        if staff_id not in self.work:
            name = self.facts.names.get(staff_id, UNASSIGNED) if staff_id is not None else UNASSIGNED
            self.work[staff_id] = rules.TeacherWork(staff_id, name)
        return self.work[staff_id]

    def names(self, ids: list[int]) -> str:
        return "、".join(self.facts.names.get(i, "?") for i in ids) or UNASSIGNED


def _class_minutes(day: ClassDay, care: CareTimes, tz: tzinfo) -> tuple[int, int]:
    """(children present in basic care, their child-minutes) of one class's day."""
    children = minutes = 0
    end = care.end_for(day.day)
    for kid in day.kids:
        if not (kid.basic_care or day.dropped_in(kid)) or not day.present(kid):
            continue
        pickup = day.pickups.get(kid.id)
        left = rules.local_time(pickup.picked_up_at, day.day, tz) if pickup and pickup.time_known else None
        children += 1
        minutes += rules.care_minutes(care.start(kid.grade), end, left)
    return children, minutes


async def _basic_care(
    uow: UnitOfWork,
    school_id: int,
    days: list[date],
    tally: _Tally,
    care: CareTimes,
    tz: tzinfo,
    subs: dict[tuple[str, date], int],
    checked_in: dict[date, set[int]],
    out: MonthWorkload,
) -> None:
    facts = tally.facts
    for day in days:
        for class_id, class_day in sorted((await uow.workload.class_days(school_id, day)).items()):
            sub = subs.get((f"class:{class_id}", day))
            regular = facts.care_teachers.get(class_id) or (
                [facts.basic_teacher] if facts.basic_teacher else []
            )
            teachers = rules.day_teachers(sub, regular, checked_in.get(day, set()))
            if not (class_day.roll_called or class_day.pickups):
                # Nothing in the register that day (no roll call, no pickup): no presence to pay for.
                for staff_id in _or_unassigned(teachers):
                    tally.of(staff_id).unconfirmed_days += 1
                continue
            children, minutes = _class_minutes(class_day, care, tz)
            if not children:
                continue
            split: dict[int | None, int] = {t: m for t, m in rules.shares(minutes, teachers).items()} or {
                None: minutes
            }
            for staff_id, share in split.items():
                work = tally.of(staff_id)
                work.child_minutes += share
                work.care_days.add(day.isoformat())
                work.substitute_days += 1 if sub is not None else 0
            out.details.append(
                Detail(
                    day,
                    facts.class_names.get(class_id, "?"),
                    tally.names(teachers),
                    children,
                    minutes,
                    sub is not None,
                )
            )


def _attendance(
    tally: _Tally,
    rows: dict[tuple[int, date], tuple[datetime | None, datetime | None]],
    care: CareTimes,
    tz: tzinfo,
    through: date,
) -> None:
    """Days checked in, late check-ins (after the earliest care start of their classes), early check-outs."""
    facts = tally.facts
    for (staff_id, day), (came, left) in sorted(rows.items(), key=lambda r: (r[0][1], r[0][0])):
        if day > through:
            continue
        work = tally.of(staff_id)
        grades = [facts.class_grades[c] for c, ts in facts.care_teachers.items() if staff_id in ts]
        if came is not None:
            work.days.add(day.isoformat())
            if grades and rules.local_time(came, day, tz) > min(care.start(g) for g in grades):
                work.late += 1
        if left is not None and grades and rules.local_time(left, day, tz) < care.end_for(day):
            work.early += 1


async def month_workload(
    uow: UnitOfWork,
    school_id: int,
    month: str,
    today: date,
    care: CareTimes,
    is_care_day: Callable[[date], bool],
    rates: rules.Rates,
    tz: tzinfo,
) -> MonthWorkload:
    """The month's workload up to `today` (days to come are not counted): a line per teacher, and the basis."""
    first, last = month_bounds(month)
    through = min(last, today)
    out = MonthWorkload(month, through if through >= first else None, rates)
    tally = _Tally(await uow.workload.teaching(school_id))
    if out.through is not None:
        rows = await uow.staff.attendance_between(school_id, first, through)
        subs = await uow.staff.substitutes_between(school_id, first, through)
        checked_in: dict[date, set[int]] = {}
        for (staff_id, day), (came, _) in rows.items():
            if came is not None:
                checked_in.setdefault(day, set()).add(staff_id)
        days = [first + timedelta(days=i) for i in range((through - first).days + 1)]
        await _basic_care(
            uow, school_id, [d for d in days if is_care_day(d)], tally, care, tz, subs, checked_in, out
        )
        for held in await uow.workload.sessions_held(school_id, first, through):
            sub = subs.get((f"course:{held.course_id}", held.day))
            regular = [held.teacher_id] if held.teacher_id is not None else []
            teachers = rules.day_teachers(sub, regular, checked_in.get(held.day, set()))
            for who in _or_unassigned(teachers):
                work = tally.of(who)
                work.sessions += 1
                work.attended += held.present
                work.substitute_days += 1 if sub is not None else 0
            out.details.append(
                Detail(
                    held.day,
                    held.course,
                    tally.names([t for t in teachers if t is not None]),
                    held.present,
                    0,
                    sub is not None,
                )
            )
        _attendance(tally, rows, care, tz, through)
    out.teachers = sorted(tally.work.values(), key=lambda w: (w.staff_id is None, w.name))
    return out


def write_xlsx(workload: MonthWorkload, path: Path) -> None:
    """The month's workload as .xlsx: a sheet named by the month (a line per teacher) and 明细 (the basis)."""
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = workload.month
    ws.append(["教师", "到岗天数", "课时", "人次", "人时", "应发(元)", "计算依据"])
    for w in workload.teachers:
        append_row(
            ws,
            [
                w.name,
                len(w.days),
                w.sessions,
                w.attended,
                f"{rules.hours_text(w.child_minutes)} 人时",
                yuan(w.pay_fen(workload.rates)),
                w.basis(workload.rates),
            ],
        )
    detail = wb.create_sheet("明细")
    detail.append(["日期", "班级/课程", "教师", "人数", "人时", "代班"])
    for d in workload.details:
        hours = f"{rules.hours_text(d.child_minutes)} 人时" if d.child_minutes else "1 课时"
        append_row(
            detail, [d.day.isoformat(), d.what, d.teachers, d.children, hours, "是" if d.substitute else ""]
        )
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)
