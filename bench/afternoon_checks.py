"""Nothing lost: after the afternoon, the store and the fake platforms against what the generator expected.

The expectations come from the script (what was sent); the store is only used to translate 学籍号,
classes and accounts into row ids. Each check is one PASS/FAIL line with the first differences.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from sqlalchemy import select

from bench.afternoon_load import Fakes, Result
from bench.afternoon_school import CARE_END, DAY, TZ, Expected, Message
from bot.clock import SystemClock
from bot.platforms.apps import AppMessenger
from bot.platforms.base import Outgoing
from bot.platforms.dingtalk.app import DingtalkApp
from bot.platforms.dingtalk.robot import DingtalkRobot
from bot.platforms.wecom.app import WecomApp
from bot.platforms.wecom.robot import WecomRobot
from bot.settings import Settings
from bot.store.calendar_tables import JobRun
from bot.store.care_tables import Leave, Pickup, PickupPlan
from bot.store.db import Database
from bot.store.inbound_tables import ProcessedMessage
from bot.store.outbox_tables import OutboxMessage
from bot.store.tables import Chat, ClassGroup, Identity, Student


@dataclass
class Report:
    lines: list[str] = field(default_factory=list)
    failed: int = 0

    def check(self, name: str, ok: bool, detail: str = "") -> None:
        self.failed += not ok
        self.lines.append(f"{'PASS' if ok else 'FAIL'} {name}" + (f": {detail}" if detail else ""))


def _diff(expected: Any, actual: Any) -> str:
    exp, act = dict(expected), dict(actual)
    missing = sorted(set(exp) - set(act), key=str)[:3]
    extra = sorted(set(act) - set(exp), key=str)[:3]
    wrong = sorted((k for k in set(exp) & set(act) if exp[k] != act[k]), key=str)[:3]
    parts = [f"expected {len(exp)}, found {len(act)}"]
    if missing:
        parts.append(f"missing {missing}")
    if extra:
        parts.append(f"unexpected {extra}")
    if wrong:
        parts.append("differ " + ", ".join(f"{k}: {exp[k]!r} != {act[k]!r}" for k in wrong))
    return "; ".join(parts)


LATE_REPLY = "late-reply:"


def shown_too_often(want: Counter[tuple[str, str]], shown: Counter[tuple[str, str]]) -> int:
    """How many (recipient, body) were shown more times than they were queued. Two pushes may carry the same
    text to the same person (the same late list at 17:40 and 17:45): each is wanted once, and both shown is right."""
    return sum(1 for key, n in shown.items() if n > want.get(key, 0))


def _canon(body: dict[str, Any]) -> str:
    return json.dumps(body, sort_keys=True, ensure_ascii=False)


async def check_store(
    db: Database, expected: Expected, messages: list[Message], report: Report
) -> dict[str, Any]:
    async with db.transaction() as s:
        ids = dict((await s.execute(select(Student.student_no, Student.id))).all())
        numbers = {v: k for k, v in ids.items()}
        leaves = {(numbers[r.student_id], r.day): r for r in await s.scalars(select(Leave))}
        pickups = {
            numbers[r.student_id]: r.state for r in await s.scalars(select(Pickup).where(Pickup.day == DAY))
        }
        plans = {
            numbers[r.student_id]: r.expected_time
            for r in await s.scalars(select(PickupPlan).where(PickupPlan.day == DAY))
        }
        processed = Counter(
            (p, m)
            for p, m in (
                await s.execute(select(ProcessedMessage.platform, ProcessedMessage.message_id))
            ).all()
        )
    got_leaves = {k: v.cancelled_at is not None for k, v in leaves.items()}
    report.check(
        "leaves (per child per day, cancelled or not)",
        got_leaves == expected.leaves,
        _diff(expected.leaves, got_leaves),
    )
    late = {no for (no, day), v in leaves.items() if day == DAY and v.late_notice}
    report.check(
        "leave today told after care began (迟报)",
        late == expected.late_leave,
        _diff(dict.fromkeys(expected.late_leave, 1), dict.fromkeys(late, 1)),
    )
    report.check(
        "pickups (claimed / confirmed)", pickups == expected.pickups, _diff(expected.pickups, pickups)
    )
    report.check("late notices (pickup plans)", plans == expected.plans, _diff(expected.plans, plans))
    sent = Counter(
        ("dingtalk" if m.klass.kind == "dingtalk" else "wecom", m.msg_id)
        for m in messages
        if m.retry_of is None
    )
    retried = sum(1 for m in messages if m.retry_of is not None)
    report.check(
        f"each message id handled once ({len(sent)} ids, {retried} platform retries)",
        processed == sent,
        _diff(sent, processed),
    )
    return ids


async def expected_keys(
    db: Database, expected: Expected, ids: dict[str, int], classes: list[str]
) -> set[str]:
    """The outbox keys the afternoon must have queued, from the script (ids only translated)."""
    async with db.transaction() as s:
        class_ids = dict((await s.execute(select(ClassGroup.name, ClassGroup.id))).all())
        heads = dict((await s.execute(select(ClassGroup.id, ClassGroup.head_teacher_id))).all())
        klass = dict((await s.execute(select(Student.student_no, Student.class_group_id))).all())
        principals = list(
            (await s.scalars(select(Identity.staff_id).where(Identity.user_id == "principal-1"))).all()
        )
    day = DAY.isoformat()
    keys = {f"pickup-reminder:{class_ids[name]}:{day}" for name in classes}
    for (
        no
    ) in expected.alerted:  # one alert per class and agreed time; the group's only for unclaimed children
        batch = f"{klass[no]}:{day}:{expected.plans.get(no, CARE_END):%H%M}"
        keys.add(f"late-pickup:{batch}:t{heads[klass[no]]}")
        if expected.pickups.get(no) != "claimed":
            keys.add(f"late-pickup:{batch}:group")
    if expected.escalated:
        order = sorted(expected.escalated, key=lambda no: (klass[no], no))
        joined = "-".join(str(ids[no]) for no in order)
        keys |= {f"late-escalation:{day}:{joined}:p{p}"[:200] for p in principals}
    keys |= {f"leave:{ids[no]}:{first.isoformat()}:{msg}:head" for no, first, msg in expected.leave_notes}
    keys |= {f"cancel-leave:{ids[no]}:{msg}:head" for no, msg in expected.cancel_notes}
    keys |= {
        f"private-reply:{'dingtalk' if msg.startswith('dingtalk') else 'wecom'}:{msg}"
        for msg in expected.private_replies
    }
    return keys


async def check_outbox(db: Database, settings: Settings, fakes: Fakes, keys: set[str], report: Report) -> int:
    """Every expected push queued once and delivered; the fakes show each exactly once, nothing else."""
    async with db.transaction() as s:
        rows = list((await s.scalars(select(OutboxMessage).order_by(OutboxMessage.id))).all())
        chats = {c.id: c for c in await s.scalars(select(Chat))}
        accounts = {
            (("staff", i.staff_id) if i.staff_id else ("guardian", i.guardian_id)): (i.platform, i.user_id)
            for i in await s.scalars(select(Identity))
        }
    # A reply given up live (the reply budget passed, e.g. on a loaded machine) is queued as a late reply: not a
    # push the script expects, but part of "every callback answered" (checked with the replies posted later).
    late = {r.key for r in rows if r.key.startswith(LATE_REPLY)}
    got = {r.key for r in rows} - late
    report.check(
        f"pushes queued (reminders, late-pickup alerts, escalation, notes, private replies; {len(late)} late replies"
        " apart)",
        got == keys,
        _diff(dict.fromkeys(keys, 1), dict.fromkeys(got, 1)),
    )
    states = Counter(r.state for r in rows)
    report.check(
        "outbox all delivered (none queued, sending, failed, no_channel)",
        set(states) <= {"sent"},
        str(dict(states)),
    )
    async with aiohttp.ClientSession() as http:
        robots: dict[str, WecomRobot | DingtalkRobot] = {
            "wecom": WecomRobot(http, ""),
            "dingtalk": DingtalkRobot(http, ""),
        }
        apps: dict[str, AppMessenger] = {
            "wecom": WecomApp(http, SystemClock(), settings.wecom),
            "dingtalk": DingtalkApp(http, SystemClock(), settings.dingtalk),
        }
        want: dict[str, Counter[str]] = {}
        for row in rows:
            if row.key.startswith(LATE_REPLY) and row.reply_url is not None:
                continue  # posted by its platform's reply route (the late-reply recorder), not to a robot or app
            msg = Outgoing(
                row.key,
                row.text,
                tuple(row.mentions.get("user_ids", [])),
                tuple(row.mentions.get("phones", [])),
                row.markdown,
                row.image,
            )
            if row.chat_ref is not None:
                chat = chats[row.chat_ref]
                for body in robots[chat.platform].bodies(msg):
                    want.setdefault(chat.webhook, Counter())[_canon(body)] += 1
                continue
            platform, user = accounts[
                ("staff", row.staff_id) if row.staff_id else ("guardian", row.guardian_id)
            ]
            for body in apps[platform].bodies(user, msg):
                if platform == "dingtalk":
                    body = {"msgKey": body["msgKey"], **json.loads(body["msgParam"])}
                want.setdefault(user, Counter())[_canon(body)] += 1
    shown: dict[str, Counter[str]] = {}
    for source in (fakes.platforms.received, fakes.apps.received):
        for who, bodies in source.items():
            shown.setdefault(who, Counter()).update(_canon(b) for b in bodies)
    flat_want = Counter({(w, b): n for w, c in want.items() for b, n in c.items()})
    flat_shown = Counter({(w, b): n for w, c in shown.items() for b, n in c.items()})
    twice = shown_too_often(flat_want, flat_shown)
    report.check(
        f"fake platforms received each push exactly once ({sum(flat_shown.values())} messages)",
        flat_want == flat_shown and not twice,
        f"{twice} shown more than once; " + _diff(flat_want, flat_shown),
    )
    report.check(
        "no robot or app pushed past its limit (20/min per robot)",
        fakes.platforms.throttled == 0 and not fakes.apps.refused,
        f"robots throttled {fakes.platforms.throttled}, apps refused {Counter(fakes.apps.refused)}",
    )
    return sum(flat_shown.values())


async def job_fires(db: Database) -> str:
    """The afternoon's job fires that did something, as one line (e.g. `pickup-reminder 17:15 提醒 60 个班`)."""
    async with db.transaction() as s:
        runs = list(await s.scalars(select(JobRun).where(JobRun.status == "done").order_by(JobRun.fire_time)))
    done = []
    for run in runs:  # PostgreSQL gives the fire time back aware; SQLite keeps the school-local wall time
        fired = run.fire_time.astimezone(TZ) if run.fire_time.tzinfo else run.fire_time
        if run.job in ("pickup-reminder", "late-pickup") and run.detail not in (
            "未到提醒时间",
            "晚接提醒 0 人,上报 0 人",
        ):
            done.append(f"{run.job} {fired:%H:%M} {run.detail}")
    return "jobs fired: " + "; ".join(done)


def check_replies(results: list[Result], late: dict[int, list[tuple[float, str]]], report: Report) -> None:
    answered = [r for r in results if r.reply is not None]
    report.check(
        "every callback answered 200 with a reply (in the answer or posted later)",
        len(answered) == len(results),
        f"{len(results) - len(answered)} without a reply",
    )
    twice = [i for i, posted in late.items() if len(posted) > 1]
    report.check("no reply posted later twice", not twice, f"requests {twice[:5]}")
