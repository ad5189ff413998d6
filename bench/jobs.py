"""Benchmark: one `late-pickup` scan and one `pickup-reminder` for a district-sized school:
100,000 students in 3,000 classes (2% still waiting at the late check; everyone still in care at the
reminder, so each class gets its push). Reports time, SQL statements and pushes queued.

Run: python bench/jobs.py [--students 100000] [--classes 3000] [--pg-url postgresql+asyncpg://...]
Target: the scan under 2 s, with a statement count that does not grow with the number of classes.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from datetime import UTC, date, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import event, insert, select

from bot.bootstrap import bootstrap
from bot.clock import FixedClock
from bot.jobs.pickup import JOBS
from bot.jobs.runner import run_job
from bot.settings import load_settings
from bot.store.care_tables import Pickup
from bot.store.db import Database
from bot.store.outbox_tables import OutboxMessage
from bot.store.schema import truncate_all
from bot.store.tables import (
    Chat,
    ClassGroup,
    Guardian,
    Guardianship,
    Identity,
    School,
    Staff,
    StaffRole,
    Student,
)

DAY = date(2026, 11, 23)
EPOCH = datetime(2026, 9, 1, tzinfo=UTC)


async def seed(db: Database, students: int, classes: int) -> None:
    async with db.transaction() as s:
        school = School(name="基准区")
        s.add(school)
        await s.flush()
        sid = school.id
        await s.execute(
            insert(Staff),
            [{"school_id": sid, "name": f"师{c}", "phone": f"139{c:08d}"} for c in range(classes + 1)],
        )
        staff = dict((await s.execute(select(Staff.phone, Staff.id))).all())
        await s.execute(
            insert(ClassGroup),
            [
                {
                    "school_id": sid,
                    "name": f"班{c}",
                    "grade": c % 6 + 1,
                    "head_teacher_id": staff[f"139{c:08d}"],
                }
                for c in range(classes)
            ],
        )
        cls = dict((await s.execute(select(ClassGroup.name, ClassGroup.id))).all())
        await s.execute(
            insert(Chat),
            [
                {
                    "class_group_id": cls[f"班{c}"],
                    "platform": "wecom",
                    "chat_id": f"chat-{c}",
                    "webhook": f"key-{c}",
                    "webhook_secret": "",
                }
                for c in range(classes)
            ],
        )
        await s.execute(
            insert(StaffRole),
            [
                {"staff_id": staff[f"139{c:08d}"], "role": "head_teacher", "class_group_id": cls[f"班{c}"]}
                for c in range(classes)
            ]
            + [{"staff_id": staff[f"139{classes:08d}"], "role": "principal", "class_group_id": None}],
        )
        per = students // classes
        for start in range(0, students, 20000):
            chunk = range(start, min(start + 20000, students))
            await s.execute(
                insert(Student),
                [
                    {
                        "school_id": sid,
                        "student_no": f"S{i:07d}",
                        "name": f"生{i}",
                        "class_group_id": cls[f"班{min(i // per, classes - 1)}"],
                    }
                    for i in chunk
                ],
            )
            await s.execute(
                insert(Guardian),
                [{"school_id": sid, "name": f"家长{i}", "phone": f"136{i:08d}"} for i in chunk],
            )
        kids = dict((await s.execute(select(Student.student_no, Student.id))).all())
        guardians = dict((await s.execute(select(Guardian.phone, Guardian.id))).all())
        for start in range(0, students, 20000):
            chunk = range(start, min(start + 20000, students))
            await s.execute(
                insert(Guardianship),
                [
                    {
                        "student_id": kids[f"S{i:07d}"],
                        "guardian_id": guardians[f"136{i:08d}"],
                        "relation": "母亲",
                        "may_pickup": True,
                    }
                    for i in chunk
                ],
            )
            await s.execute(
                insert(Identity),
                [
                    {
                        "platform": "wecom",
                        "user_id": f"p-{i}",
                        "bound_at": EPOCH,
                        "guardian_id": guardians[f"136{i:08d}"],
                    }
                    for i in chunk
                ],
            )
            # 98% already picked up on time
            await s.execute(
                insert(Pickup),
                [
                    {
                        "student_id": kids[f"S{i:07d}"],
                        "day": DAY,
                        "state": "confirmed",
                        "picked_up_at": EPOCH,
                        "minutes_late": 0,
                        "message_id": "seed",
                    }
                    for i in chunk
                    if i % 50 != 0
                ],
            )


async def measure(url: str, students: int, classes: int) -> None:
    db = Database(url)
    await db.upgrade()
    if not db.is_sqlite:
        await truncate_all(db.engine)
    started = time.perf_counter()
    await seed(db, students, classes)
    print(
        f"{db.url.get_backend_name():>10} seeded {students} students / {classes} classes in "
        f"{time.perf_counter() - started:.1f} s"
    )
    statements = []
    event.listen(db.engine.sync_engine, "before_cursor_execute", lambda *a: statements.append(1))
    clock = FixedClock(datetime(2026, 11, 23, 18, 5, tzinfo=load_settings().school.tz))
    services = bootstrap(load_settings(), clock=clock, db=db)
    reminder, late = JOBS
    # The late check on the seeded day (2% waiting); the reminder the next day, before anyone is picked up.
    for spec, at in ((late, clock.instant), (reminder, clock.instant.replace(day=24, hour=17, minute=15))):
        statements.clear()
        clock.instant = at
        started = time.perf_counter()
        results = await run_job(services, spec, at)
        elapsed = time.perf_counter() - started
        async with db.transaction() as s:
            queued = len(
                (
                    await s.scalars(select(OutboxMessage.id).where(OutboxMessage.key.startswith(spec.name)))
                ).all()
            )
        print(
            f"{'':>10} {spec.name:<16} {elapsed:6.2f} s  {len(statements):4d} SQL statements  "
            f"{queued} pushes queued  ({results[0].detail})"
        )
    await db.dispose()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--students", type=int, default=100_000)
    parser.add_argument("--classes", type=int, default=3_000)
    parser.add_argument("--pg-url", default="")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        asyncio.run(measure(f"sqlite+aiosqlite:///{Path(tmp) / 'jobs.db'}", args.students, args.classes))
    if args.pg_url:
        asyncio.run(measure(args.pg_url, args.students, args.classes))


if __name__ == "__main__":
    main()
