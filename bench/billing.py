"""Benchmark: bill a term for 3,000 students with 2 courses each; wall time and SQL statement count.

Run: python bench/billing.py [--students 3000] [--pg-url postgresql+asyncpg://.../a_scratch_db]
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from datetime import UTC, date, datetime
from datetime import time as clock_time

from sqlalchemy import event, insert

from bot.domain.fees import FeePolicy
from bot.domain.school_calendar import SchoolCalendar
from bot.store.db import Database
from bot.store.enroll_tables import Enrollment
from bot.store.fees import bill_term
from bot.store.schema import truncate_all
from bot.store.tables import ClassGroup, Course, School, Student

NOW = datetime(2026, 9, 1, tzinfo=UTC)


async def seed(db: Database, students: int) -> int:
    async with db.transaction() as s:
        school = School(name="基准小学")
        s.add(school)
        await s.flush()
        cls = ClassGroup(school_id=school.id, name="一班", grade=3)
        courses = [Course(school_id=school.id, name=f"课程{i}", category="X", weekdays=wd,
                          start_time=clock_time(16, 30), end_time=clock_time(17, 10), capacity=students,
                          price_fen=2000) for i, wd in enumerate(("1,3", "2,4,5"))]
        s.add_all([cls, *courses])
        await s.flush()
        rows = [{"school_id": school.id, "student_no": f"B{i:06d}", "name": f"学生{i}", "class_group_id": cls.id,
                 "gender": "", "basic_care": True, "left_behind": "none", "away_work_place": "", "note": "",
                 "active": True} for i in range(students)]
        for i in range(0, students, 1000):
            await s.execute(insert(Student), rows[i : i + 1000])
        ids = list(range(1, students + 1))
        enr = [{"course_id": c.id, "student_id": sid, "guardian_id": None, "state": "active", "applied_at": NOW,
                "updated_at": NOW, "round": 1} for c in courses for sid in ids]
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
    started = time.perf_counter()
    async with db.transaction() as s:
        result = await bill_term(s, school_id, date(2026, 9, 1), date(2027, 1, 31), NOW,
                                 FeePolicy(basic_monthly_fen=4000), cal.is_care_day)
    elapsed = time.perf_counter() - started
    event.remove(db.engine.sync_engine, "before_cursor_execute", on_execute)
    print(f"{url.split(':')[0]}: {students} students x 2 courses: {result.lines} ledger lines in {elapsed:.2f} s, "
          f"{count[0]} SQL statements (incl. BEGIN/COMMIT and {(result.lines + 999) // 1000} INSERT batches)")
    await db.dispose()


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--students", type=int, default=3000)
    p.add_argument("--pg-url", default="", help="postgresql+asyncpg://... (emptied first!)")
    a = p.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        asyncio.run(run(f"sqlite+aiosqlite:///{tmp}/bench.db", a.students))
    if a.pg_url:
        asyncio.run(run(a.pg_url, a.students))


if __name__ == "__main__":
    main()
