"""Benchmark: bill and settle a term for 3,000 students with 2 courses each; wall time and SQL statement count.

Run: python bench/billing.py [--students 300 3000] [--pg-url postgresql+asyncpg://.../a_scratch_db]
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import tempfile
import time
from datetime import UTC, date, datetime
from datetime import time as clock_time

from sqlalchemy import event, insert

from bot.domain.fees import FeePolicy
from bot.domain.school_calendar import SchoolCalendar
from bot.store.care_tables import Leave
from bot.store.db import Database
from bot.store.enroll_tables import Enrollment, SessionCancellation
from bot.store.fees import bill_term
from bot.store.schema import truncate_all
from bot.store.settlement import settle_term
from bot.store.tables import ClassGroup, Course, School, Student

NOW = datetime(2026, 9, 1, tzinfo=UTC)
TERM = (date(2026, 9, 1), date(2027, 1, 31))


async def seed(db: Database, students: int) -> int:
    async with db.transaction() as s:
        school = School(name="基准小学")
        s.add(school)
        await s.flush()
        cls = ClassGroup(school_id=school.id, name="一班", grade=3)
        courses = [
            Course(
                school_id=school.id,
                name=f"课程{i}",
                category="X",
                weekdays=wd,
                start_time=clock_time(16, 30),
                end_time=clock_time(17, 10),
                capacity=students,
                price_fen=2000,
            )
            for i, wd in enumerate(("1,3", "2,4,5"))
        ]
        s.add_all([cls, *courses])
        await s.flush()
        rows = [
            {
                "school_id": school.id,
                "student_no": f"B{i:06d}",
                "name": f"学生{i}",
                "class_group_id": cls.id,
                "gender": "",
                "basic_care": True,
                "left_behind": "none",
                "away_work_place": "",
                "note": "",
                "active": True,
            }
            for i in range(students)
        ]
        for i in range(0, students, 1000):
            await s.execute(insert(Student), rows[i : i + 1000])
        ids = list(range(1, students + 1))
        enr = [
            {
                "course_id": c.id,
                "student_id": sid,
                "guardian_id": None,
                "state": "active",
                "applied_at": NOW,
                "updated_at": NOW,
                "round": 1,
            }
            for c in courses
            for sid in ids
        ]
        for i in range(0, len(enr), 1000):
            await s.execute(insert(Enrollment), enr[i : i + 1000])
        return school.id


async def run(url: str, students: int) -> None:
    db = Database(url)
    await db.upgrade()
    if not db.is_sqlite:
        await truncate_all(db.engine)
    school_id = await seed(db, students)
    count = [0]

    def on_execute(*_a: object) -> None:
        count[0] += 1

    event.listen(db.engine.sync_engine, "before_cursor_execute", on_execute)
    cal = SchoolCalendar()
    policy = FeePolicy(basic_monthly_fen=4000, refund_personal_leave=True)
    started = time.perf_counter()
    async with db.transaction() as s:
        result = await bill_term(s, school_id, TERM[0], TERM[1], NOW, policy, cal.is_care_day)
    elapsed = time.perf_counter() - started
    name = url.split(":")[0]
    print(
        f"{name}: {students} students x 2 courses: bill {result.lines} ledger lines in {elapsed:.2f} s, "
        f"{count[0]} SQL statements (incl. BEGIN/COMMIT and {(result.lines + 999) // 1000} INSERT batches)"
    )
    async with db.transaction() as s:  # a session cancelled, two weeks without care for half the school
        s.add(SessionCancellation(course_id=1, day=date(2026, 9, 7), reason="bench"))
        rows = [
            {
                "student_id": sid,
                "day": date(2026, 9, 14 + d),
                "reason": "",
                "late_notice": False,
                "created_by": "bench",
                "created_at": NOW,
                "message_id": f"b{sid}-{d}",
            }
            for sid in range(1, students // 2 + 1)
            for d in range(5)
        ]
        for i in range(0, len(rows), 1000):
            await s.execute(insert(Leave), rows[i : i + 1000])
    count[0] = 0
    started = time.perf_counter()
    async with db.transaction() as s:
        settled = await settle_term(s, school_id, TERM[0], TERM[1], NOW, policy, cal.is_care_day)
    elapsed = time.perf_counter() - started
    print(
        f"{name}: {students} students: settle {settled.lines} lines in {elapsed:.2f} s, {count[0]} SQL statements; "
        f"again: ",
        end="",
    )
    count[0] = 0
    async with db.transaction() as s:
        again = await settle_term(s, school_id, TERM[0], TERM[1], NOW, policy, cal.is_care_day)
    print(f"{again.lines} lines, {count[0]} SQL statements")
    event.remove(db.engine.sync_engine, "before_cursor_execute", on_execute)
    await db.dispose()


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--students", type=int, nargs="+", default=[3000], help="one run per size, e.g. 300 3000")
    p.add_argument("--pg-url", default="", help="postgresql+asyncpg://... (emptied first!)")
    a = p.parse_args()
    # The term runs into 2027, which chinese-calendar does not know yet: it warns once per day looked up.
    logging.getLogger("bot.domain.school_calendar").setLevel(logging.ERROR)
    for n in a.students:
        with tempfile.TemporaryDirectory() as tmp:
            asyncio.run(run(f"sqlite+aiosqlite:///{tmp}/bench.db", n))
        if a.pg_url:
            asyncio.run(run(a.pg_url, n))


if __name__ == "__main__":
    main()
