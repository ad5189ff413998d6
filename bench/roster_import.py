"""Benchmark: import a roster of 3,000 students (60 classes, ~5,000 guardians), then re-import it.

Run: python bench/roster_import.py [--students 3000] [--pg-url postgresql+asyncpg://postgres@127.0.0.1/test]
Target: the first import under 10 s on the 2-core reference machine.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from openpyxl import Workbook

from bot.clock import SystemClock
from bot.roster.importer import import_roster
from bot.roster.template import write_sheet
from bot.store.db import Database
from bot.store.schema import truncate_all

SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗"
GIVEN = "子涵欣怡浩然梓萱宇轩雨桐俊杰诗琪博文佳琪天宇思远"


def name(i: int) -> str:
    return SURNAMES[i % len(SURNAMES)] + GIVEN[(i * 7) % len(GIVEN)] + GIVEN[(i * 13 + 3) % len(GIVEN)]


def build(path: Path, students: int, classes: int) -> None:
    per_class = max(1, students // classes)
    class_rows, teacher_rows, student_rows, guardian_rows = [], [], [], []
    for c in range(classes):
        grade = c % 6 + 1
        cname = f"{grade}年级{c // 6 + 1}班"
        phone = f"139{c:08d}"
        class_rows.append([cname, grade, f"教师{c}", phone, "wecom", f"chat-{c}", f"key-{c}", ""])
        teacher_rows.append([f"教师{c}", phone, "班主任", cname, f"t-{c}"])
    teacher_rows.append(["校长", "13799999999", "校长", "", "principal"])
    for i in range(students):
        cname = class_rows[min(i // per_class, classes - 1)][0]
        no = f"G{i:06d}"
        student_rows.append(
            [no, name(i), cname, "男" if i % 2 else "女", "2017-03-05", "是", "无", "", "", ""]
        )
        guardian_rows.append([no, name(i + 1)[:1] + "母", "母亲", f"136{i:08d}", f"p-{i}", "是"])
        if i % 3 != 0:  # two guardians for two thirds of the children
            guardian_rows.append([no, name(i)[:1] + "父", "父亲", f"135{i:08d}", "", "是"])
    wb = Workbook()
    for index, (sheet, rows) in enumerate(
        [("班级", class_rows), ("学生", student_rows), ("家长", guardian_rows), ("教师", teacher_rows)]
    ):
        ws = wb.active if index == 0 else wb.create_sheet(sheet)
        assert ws is not None
        ws.title = sheet
        write_sheet(ws, sheet, rows)
    wb.save(path)
    print(f"workbook: {students} students, {len(guardian_rows)} guardian rows, {classes} classes")


async def measure(url: str, path: Path, students: int) -> None:
    db = Database(url)
    await db.upgrade()
    if not db.is_sqlite:
        await truncate_all(db.engine)
    for label in ("first import", "re-import (no change)"):
        started = time.perf_counter()
        result = await import_roster(db, [path], school_name="基准小学", clock=SystemClock())
        elapsed = time.perf_counter() - started
        assert result.ok, result.render()
        print(
            f"{db.url.get_backend_name():>10} {label:<22} {elapsed:6.2f} s  {students / elapsed:8.0f} students/s"
        )
    await db.dispose()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--students", type=int, default=3000)
    parser.add_argument("--classes", type=int, default=60)
    parser.add_argument("--pg-url", default="")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "roster.xlsx"
        build(path, args.students, args.classes)
        asyncio.run(measure(f"sqlite+aiosqlite:///{Path(tmp) / 'bench.db'}", path, args.students))
        if args.pg_url:
            asyncio.run(measure(args.pg_url, path, args.students))


if __name__ == "__main__":
    main()
