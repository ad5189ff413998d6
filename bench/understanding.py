"""Benchmark: how well the bot understands real-style messages, against the `tuoguan demo` school.

Each corpus file (tests/corpus/*.tsv) is replayed in order through the real pipeline on a fresh SQLite
database holding the demo school; what each message wrote is read back from the audit trail and compared
with the expected effect. Prints accuracy overall and per command, and the count of wrong writes (a write
where none, or another one, was expected: the failure that matters most).

Run: python bench/understanding.py [FILE ...] [--show-wrong]
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import sys
import tempfile
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import select

from bot.bootstrap import bootstrap
from bot.clock import FixedClock
from bot.demo import CHAT_32, CHAT_51, load_demo
from bot.domain.messages import IncomingMessage, Platform
from bot.settings import load_settings
from bot.store.db import Database
from bot.store.tables import AuditEntry

CORPUS = Path(__file__).resolve().parents[1] / "tests" / "corpus"
SHANGHAI = ZoneInfo("Asia/Shanghai")
# The demo school's people, and the class group each one writes in.
CHAT_OF = {"parent-sun": CHAT_51, "teacher-chen": CHAT_51}
# Audit actions -> the effect's command word; actions not listed are side effects (a late fee) and ignored.
WORDS = {
    "leave": "请假",
    "cancel_leave": "销假",
    "late_notice": "晚点接",
    "pickup_person": "代接",
    "pickup_claimed": "已接走",
    "pickup_confirmed": "已接走",
    "mark_absent": "缺席",
    "mark_present": "到了",
    "enroll.apply": "报名",
    "enroll.withdraw": "退出",
    "family.call": "通话",
    "family.talk": "谈心",
    "bind_requested": "绑定",
    "bus.boarding": "校车",
    "incident.record": "事故",
    "duty.patrol": "巡课",
    "duty.clear": "清校完毕",
}


@dataclass(frozen=True)
class Row:
    file: str
    line: int
    sender: str
    child: str
    sent_at: datetime
    message: str
    expected: str

    @property
    def must_not_write(self) -> bool:
        return self.expected in {"none", "unknown"} or self.expected.startswith("读 ")

    @property
    def category(self) -> str:
        if self.expected.startswith("读 "):
            return self.expected
        return self.expected.split(" ")[0]


@dataclass
class Result:
    row: Row
    actual: str
    command: str
    reply: str
    right: bool
    wrong_write: bool


@dataclass
class Report:
    results: list[Result] = field(default_factory=list)

    @property
    def right(self) -> int:
        return sum(r.right for r in self.results)

    @property
    def wrong_writes(self) -> list[Result]:
        return [r for r in self.results if r.wrong_write]

    @property
    def accuracy(self) -> float:
        return self.right / len(self.results) if self.results else 0.0

    def render(self, show_wrong: bool = False) -> str:
        total, must_not = len(self.results), sum(r.row.must_not_write for r in self.results)
        lines = [
            f"messages {total} (must not write {must_not}), right {self.right}, "
            f"accuracy {self.accuracy:.1%}, wrong writes {len(self.wrong_writes)}"
        ]
        per, ok = (
            Counter(r.row.category for r in self.results),
            Counter(r.row.category for r in self.results if r.right),
        )
        for category, n in sorted(per.items(), key=lambda kv: -kv[1]):
            lines.append(f"  {category:<10} {ok[category]:>4}/{n:<4} {ok[category] / n:.1%}")
        if show_wrong:
            for r in self.results:
                if not r.right:
                    mark = "WRONG WRITE" if r.wrong_write else "miss"
                    lines.append(
                        f"{mark} {r.row.file}:{r.row.line} [{r.row.sender}] {r.row.message!r}\n"
                        f"    expected {r.row.expected!r} got {r.actual!r} ({r.command}) "
                        f"reply {r.reply[:90]!r}"
                    )
        return "\n".join(lines)


def read_corpus(path: Path) -> list[Row]:
    rows = []
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not raw.strip() or raw.startswith("#"):
            continue
        cells = raw.split("\t")
        if len(cells) != 5:
            raise ValueError(f"{path.name}:{number}: want 5 tab-separated columns, got {len(cells)}")
        sender, child, sent_at, _, expected = (c.strip() for c in cells)
        if sender == "sender":  # the header row
            continue
        at = datetime.fromisoformat(sent_at).replace(tzinfo=SHANGHAI)
        rows.append(Row(path.name, number, sender, child, at, cells[3], " ".join(expected.split())))
    return rows


def effect_of(entries: list[tuple[str, str, dict[str, object]]]) -> str:
    """The audit entries one message wrote, as the corpus writes an effect."""
    parts = []
    for action, subject, detail in entries:
        word = WORDS.get(action)
        if word is None:
            continue
        if action in {"leave", "cancel_leave"}:
            days = detail.get("days") or []
            parts.append(f"{word} {subject} " + " ".join(str(d) for d in days))  # type: ignore[union-attr]
        elif action == "late_notice":
            parts.append(f"{word} {subject} {str(detail.get('expected', ''))[:5]}")
        elif action == "pickup_person":
            parts.append(f"{word} {subject} {detail.get('person', '')}")
        elif action == "duty.clear":
            parts.append(word)
        elif action in {"enroll.apply", "enroll.withdraw"}:
            parts.append(f"{word} {subject} {detail.get('course', '')}")
        else:
            parts.append(f"{word} {subject}")
    return " ; ".join(sorted(parts))


def judge(row: Row, actual: str, command: str, result: str) -> tuple[bool, bool]:
    """(right, wrong write) for one message."""
    if row.must_not_write:
        wrote = bool(actual)
        if row.expected == "none":
            return not wrote and result != "not_understood", wrote
        if row.expected == "unknown":
            return not wrote, wrote
        return not wrote and command == row.expected[2:], wrote
    expected = " ; ".join(sorted(p.strip() for p in row.expected.split(";")))
    return actual == expected, bool(actual) and actual != expected


async def run_file(rows: list[Row], workdir: Path, template: Path) -> list[Result]:
    path = workdir / f"understanding-{rows[0].file}.db" if rows else workdir / "empty.db"
    shutil.copy(template, path)  # migrated once, copied per file
    db = Database(f"sqlite+aiosqlite:///{path}")
    settings = load_settings()
    clock = FixedClock(rows[0].sent_at if rows else datetime.now(SHANGHAI))
    await load_demo(db, settings, clock)
    services = bootstrap(settings, clock=clock, db=db)
    results = []
    try:
        for n, row in enumerate(rows):
            clock.instant = row.sent_at
            msg_id = f"corpus-{row.file}-{n}"
            msg = IncomingMessage(
                Platform.WECOM, CHAT_OF.get(row.sender, CHAT_32), row.sender, row.message, msg_id, row.sent_at
            )
            outcome = await services.pipeline.handle_message(msg)
            async with db.transaction() as session:
                entries = [
                    (a, s, dict(d or {}))
                    for a, s, d in (
                        await session.execute(
                            select(AuditEntry.action, AuditEntry.subject, AuditEntry.detail)
                            .where(AuditEntry.message_id == msg_id)
                            .order_by(AuditEntry.id)
                        )
                    ).all()
                ]
            actual = effect_of(entries)
            right, wrong = judge(row, actual, outcome.command, outcome.result)
            results.append(Result(row, actual, outcome.command, outcome.reply.text, right, wrong))
    finally:
        await db.dispose()
    return results


async def evaluate(files: list[Path]) -> Report:
    report = Report()
    with tempfile.TemporaryDirectory() as tmp:
        template = Path(tmp) / "template.db"
        db = Database(f"sqlite+aiosqlite:///{template}")
        await db.upgrade()
        await db.dispose()
        for path in files:
            report.results += await run_file(read_corpus(path), Path(tmp), template)
    return report


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("files", nargs="*", type=Path)
    parser.add_argument("--show-wrong", action="store_true", help="list every message not handled right")
    args = parser.parse_args()
    files = args.files or sorted(CORPUS.glob("*.tsv"))
    report = asyncio.run(evaluate(files))
    print(report.render(args.show_wrong))


if __name__ == "__main__":
    main()
