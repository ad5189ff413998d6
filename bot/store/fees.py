"""Fee queries: bill a term in a fixed number of statements (no query per student), payments, statements."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain import fees as rules
from bot.domain.enrollment import State
from bot.store.enroll_tables import Enrollment, LedgerEntry, SessionCancellation
from bot.store.tables import Course, Staff, Student

BATCH = 1000  # rows per INSERT, under SQLite's and asyncpg's parameter caps


@dataclass(frozen=True)
class BillResult:
    lines: int
    charged_fen: int
    refunded_fen: int


def term_bounds(today: date, terms: Sequence[tuple[date, date]]) -> tuple[date, date]:
    """The calendar term holding today, else Sep-Jan / Feb-Aug."""
    for start, end in terms:
        if start <= today <= end:
            return start, end
    if today.month >= 9:
        return date(today.year, 9, 1), date(today.year + 1, 1, 31)
    if today.month == 1:
        return date(today.year - 1, 9, 1), date(today.year, 1, 31)
    return date(today.year, 2, 1), date(today.year, 8, 31)


async def bill_term(
    session: AsyncSession,
    school_id: int,
    start: date,
    end: date,
    now: datetime,
    policy: rules.FeePolicy,
    is_care_day: Callable[[date], bool],
) -> BillResult:
    """Charges for active enrollments and basic care, refunds for school-cancelled sessions; idempotent by key."""
    courses = {c.id: c for c in (await session.execute(select(Course).where(Course.school_id == school_id))).scalars()}
    active = (
        await session.execute(
            select(Enrollment.id, Enrollment.student_id, Enrollment.course_id)
            .join(Course, Course.id == Enrollment.course_id)
            .where(Course.school_id == school_id, Enrollment.state.in_([State.ACTIVE.value, State.WITHDRAW_REQ.value]))
        )
    ).all()
    cancelled: dict[int, set[date]] = defaultdict(set)
    for course_id, day in (
        await session.execute(
            select(SessionCancellation.course_id, SessionCancellation.day)
            .join(Course, Course.id == SessionCancellation.course_id)
            .where(Course.school_id == school_id, SessionCancellation.day.between(start, end))
        )
    ).all():
        cancelled[course_id].add(day)
    existing = set(
        (await session.execute(select(LedgerEntry.key).where(LedgerEntry.school_id == school_id,
                                                             LedgerEntry.term_start == start))).scalars()
    )
    care_days = [d for d in rules.days(start, end) if is_care_day(d)]
    per_course: dict[int, list[date]] = {}
    rows: list[dict[str, object]] = []
    charged = refunded = 0

    def add(key: str, student_id: int, course_id: int | None, kind: str, fen: int, note: str) -> None:
        if fen > 0 and key not in existing:
            rows.append({"school_id": school_id, "student_id": student_id, "course_id": course_id,
                         "term_start": start, "kind": kind, "fen": fen, "note": note, "at": now, "key": key})

    for enrollment_id, student_id, course_id in active:
        course = courses[course_id]
        if course_id not in per_course:
            wd = frozenset(int(x) for x in course.weekdays.split(",") if x.strip())
            per_course[course_id] = [d for d in care_days if d.isoweekday() in wd]
        held = per_course[course_id]
        fen = rules.course_charge(rules.CourseTerms(frozenset(), course.price_fen), len(held))
        add(f"charge:{start}:{enrollment_id}", student_id, course_id, "charge", fen, f"{course.name} {len(held)}课时")
        n_cancel = sum(1 for d in held if d in cancelled[course_id])
        back = rules.refund_for(policy, course.price_fen, "school") * n_cancel
        add(f"refund:{start}:{enrollment_id}:school", student_id, course_id, "refund", back,
            f"{course.name} 学校停课 {n_cancel}课时")
        charged += fen
        refunded += back
    if policy.basic_monthly_fen > 0:
        basic = (await session.execute(select(Student.id).where(
            Student.school_id == school_id, Student.basic_care.is_(True), Student.active.is_(True)))).scalars()
        fen = rules.basic_charge(policy, start, end, len(care_days))
        for student_id in basic:
            add(f"basic:{start}:{student_id}", student_id, None, "charge", fen, "1类 基础托管")
            charged += fen
    for i in range(0, len(rows), BATCH):
        await session.execute(insert(LedgerEntry), rows[i : i + BATCH])
    return BillResult(len(rows), charged, refunded)


async def record_payment(
    session: AsyncSession, school_id: int, student_id: int, fen: int, term_start: date, now: datetime, key: str
) -> None:
    session.add(LedgerEntry(school_id=school_id, student_id=student_id, course_id=None, term_start=term_start,
                            kind="payment", fen=fen, note="缴费", at=now, key=key))


async def entries(session: AsyncSession, student_ids: Sequence[int], term_start: date) -> list[LedgerEntry]:
    q = (select(LedgerEntry).where(LedgerEntry.student_id.in_(list(student_ids)), LedgerEntry.term_start == term_start)
         .order_by(LedgerEntry.at, LedgerEntry.id))
    return list((await session.execute(q)).scalars())


async def school_ledger(session: AsyncSession, school_id: int, term_start: date) -> list[tuple[LedgerEntry, str]]:
    q = (select(LedgerEntry, Student.name).join(Student, Student.id == LedgerEntry.student_id)
         .where(LedgerEntry.school_id == school_id, LedgerEntry.term_start == term_start)
         .order_by(Student.name, LedgerEntry.id))
    return [(e, n) for e, n in (await session.execute(q)).all()]


@dataclass(frozen=True)
class Workload:
    teacher: str
    course: str
    sessions: int
    children: int
    child_minutes: int  # child-hours = child_minutes / 60 (integer minutes: no float arithmetic stored)


async def workload(
    session: AsyncSession, school_id: int, start: date, end: date, is_care_day: Callable[[date], bool]
) -> list[Workload]:
    """Sessions taught and child-minutes per teacher and course in [start, end]; three statements in all."""
    courses = (await session.execute(
        select(Course, Staff.name).join(Staff, Staff.id == Course.teacher_id)
        .where(Course.school_id == school_id, Course.state != "cancelled").order_by(Staff.name, Course.name)
    )).all()
    counts: dict[int, int] = defaultdict(int)
    for (course_id,) in (await session.execute(
        select(Enrollment.course_id).join(Course, Course.id == Enrollment.course_id)
        .where(Course.school_id == school_id, Enrollment.state.in_([State.ACTIVE.value, State.WITHDRAW_REQ.value]))
    )).all():
        counts[course_id] += 1
    cancelled = {
        (c, d) for c, d in (await session.execute(
            select(SessionCancellation.course_id, SessionCancellation.day)
            .join(Course, Course.id == SessionCancellation.course_id)
            .where(Course.school_id == school_id, SessionCancellation.day.between(start, end)))).all()
    }
    out = []
    for course, teacher in courses:
        wd = {int(x) for x in course.weekdays.split(",") if x.strip()}
        held = [d for d in rules.days(start, end) if d.isoweekday() in wd and is_care_day(d)
                and (course.id, d) not in cancelled]
        minutes = (course.end_time.hour * 60 + course.end_time.minute) - (
            course.start_time.hour * 60 + course.start_time.minute)
        n = counts[course.id]
        out.append(Workload(teacher, course.name, len(held), n, len(held) * n * minutes))
    return out
