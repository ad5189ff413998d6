"""The afternoon bench's school and script: roster rows, every message with its send time, and what it must leave.

Pure and deterministic for a seed: `build_school` makes the classes, children, guardians and teachers
(bound to platform accounts through the roster's 平台账号 column), `build_script` the messages of one
afternoon and, next to them, what the store must hold afterwards (`Expected`), computed only from what
is sent, never read back from the bot.
"""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.roster.reader import Row, SheetData
from bot.roster.schema import SHEETS

TZ = ZoneInfo("Asia/Shanghai")
DAY = date(2026, 11, 24)  # a Tuesday in term; care ends 17:30 (winter schedule)
CARE_END = time(17, 30)
KINDS = ("aibot", "robot", "dingtalk")  # WeCom AI bot (JSON), WeCom group robot (XML), DingTalk
SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗"
GIVEN = "涵欣怡浩然梓萱宇轩雨桐俊杰诗琪博文佳思远晨曦若汐墨嘉懿煜城烨"
ALERT_FIRES_UNTIL = time(18, 5)  # the last late-pickup fire the run waits for


def at(hh: int, mm: int, ss: float = 0.0) -> datetime:
    return datetime.combine(DAY, time(hh, mm), tzinfo=TZ) + timedelta(seconds=ss)


MESSAGES_FROM, STATE_UNTIL, MESSAGES_UNTIL = at(17, 5), at(17, 30), at(17, 35)


@dataclass(frozen=True)
class ClassSpec:
    index: int
    name: str
    grade: int
    kind: str  # aibot | robot | dingtalk
    chat_id: str
    webhook: str  # WeCom robot key / DingTalk access_token
    secret: str  # DingTalk 加签 secret
    teacher: str
    teacher_phone: str
    teacher_account: str

    @property
    def platform(self) -> str:
        return "dingtalk" if self.kind == "dingtalk" else "wecom"


@dataclass(frozen=True)
class Child:
    no: str
    name: str
    klass: ClassSpec
    guardian: str
    phone: str
    account: str


@dataclass(frozen=True)
class School:
    classes: list[ClassSpec]
    children: list[Child]
    principal_account: str = "principal-1"


def _names(count: int, rng: random.Random) -> list[str]:
    pool = [s + a + b for s in SURNAMES for a in GIVEN for b in GIVEN if a != b]
    rng.shuffle(pool)
    if count > len(pool):
        raise ValueError(f"at most {len(pool)} distinct names")
    return pool[:count]


def build_school(students: int, classes: int, seed: int = 7) -> School:
    rng = random.Random(seed)
    specs = []
    for c in range(classes):
        grade = c % 6 + 1
        kind = KINDS[c % 3]
        specs.append(
            ClassSpec(
                index=c,
                name=f"{grade}年级{c // 6 + 1}班",
                grade=grade,
                kind=kind,
                chat_id=f"{'cid' if kind == 'dingtalk' else 'wr'}-{c}",
                webhook=f"{'tok' if kind == 'dingtalk' else 'key'}-{c}",
                secret=f"SEC-{c}" if kind == "dingtalk" else "",
                teacher=f"教师{c}",
                teacher_phone=f"139{c:08d}",
                teacher_account=f"t-{c}",
            )
        )
    names = _names(students, rng)
    children = [
        Child(
            no=f"G{i:06d}",
            name=names[i],
            klass=specs[i % classes],
            guardian=names[i][0] + "家长",
            phone=f"136{i:08d}",
            account=f"p-{i}",
        )
        for i in range(students)
    ]
    return School(specs, children)


def _sheet(name: str, rows: Sequence[Sequence[object]]) -> SheetData:
    headers = [c.header.split("(")[0] for c in SHEETS[name]]
    return SheetData(name, [Row(i, dict(zip(headers, r, strict=False))) for i, r in enumerate(rows, start=2)])


def roster_sheets(school: School) -> dict[str, SheetData]:
    """The school as the roster workbook's sheets, for the project's own validation and import."""
    classes = [
        (c.name, c.grade, c.teacher, c.teacher_phone, c.platform, c.chat_id, c.webhook, c.secret)
        for c in school.classes
    ]
    teachers = [(c.teacher, c.teacher_phone, "班主任", c.name, c.teacher_account) for c in school.classes]
    teachers.append(("校长甲", "13799999999", "校长", "", school.principal_account))
    students = [
        (k.no, k.name, k.klass.name, "男", "2017-03-05", "是", "无", "", "", "") for k in school.children
    ]
    guardians = [(k.no, k.guardian, "母亲", k.phone, k.account, "是") for k in school.children]
    return {
        "班级": _sheet("班级", classes),
        "学生": _sheet("学生", students),
        "家长": _sheet("家长", guardians),
        "教师": _sheet("教师", teachers),
        "课程": _sheet("课程", []),
    }


@dataclass(frozen=True)
class Message:
    """One platform callback: sent at `send_at` (afternoon time) into the class chat."""

    send_at: datetime
    klass: ClassSpec
    sender: str  # platform account
    text: str
    msg_id: str
    retry_of: str | None = None  # the same msgid sent again (a platform retry)


@dataclass
class Expected:
    """What the store must hold afterwards, by 学籍号, and which pushes must have been queued (by key shape)."""

    leaves: dict[tuple[str, date], bool] = field(default_factory=dict)  # (学籍号, day) -> cancelled
    late_leave: set[str] = field(default_factory=set)  # 学籍号 on leave today, told after care began
    pickups: dict[str, str] = field(default_factory=dict)  # 学籍号 -> claimed | confirmed
    plans: dict[str, time] = field(default_factory=dict)  # 学籍号 -> late-notice time
    alerted: set[str] = field(default_factory=set)  # late-pickup alert (head teacher; group unless claimed)
    escalated: set[str] = field(default_factory=set)  # on the principal's list
    leave_notes: list[tuple[str, date, str]] = field(default_factory=list)  # (学籍号, first day, msgid)
    cancel_notes: list[tuple[str, str]] = field(default_factory=list)  # (学籍号, msgid)
    private_replies: set[str] = field(default_factory=set)  # msgid of 费用, 点名, 未接走 (answered privately)


FUTURE_LEAVES = [
    ("请假 明天 发烧", [1]),
    ("明天请假 感冒", [1]),
    ("请假 后天 有事", [2]),
    ("周四请假 看病", [2]),
    ("请假 11月26日到27日 回老家", [2, 3]),
]
TODAY_LEAVES = ["老师，孩子今天不去托管了", "请假 今天 发烧"]
CLAIMS = ["孩子我接走了", "已接走"]
LATE_TIMES = [time(17, 40), time(17, 50), time(18, 10)]
FILLERS = ["查询", "查询", "查询", "帮助"]


def _uniform(rng: random.Random, start: datetime, end: datetime) -> datetime:
    return start + timedelta(seconds=rng.uniform(0, (end - start).total_seconds()))


def _alert_due(expected: time, minutes: int) -> bool:
    due = datetime.combine(DAY, expected) + timedelta(minutes=minutes)
    return due <= datetime.combine(DAY, ALERT_FIRES_UNTIL)


class _Script:
    def __init__(self, school: School, rng: random.Random, retry_share: float) -> None:
        self.school, self.rng, self.retry_share = school, rng, retry_share
        self.messages: list[Message] = []
        self.expected = Expected()
        self.confirm: dict[int, list[tuple[datetime, Child]]] = defaultdict(list)
        self.leaves_told: dict[int, list[datetime]] = defaultdict(
            list
        )  # class -> when a leave today was sent

    def say(self, when: datetime, klass: ClassSpec, sender: str, text: str) -> str:
        msg_id = f"{klass.kind}-{len(self.messages):06d}"
        self.messages.append(Message(when, klass, sender, text, msg_id))
        return msg_id

    def child(self, kid: Child, fate: str) -> None:
        rng, exp, said = self.rng, self.expected, 0
        window = (MESSAGES_FROM, STATE_UNTIL)
        if fate == "today_leave":
            when = _uniform(rng, *window)
            self.leaves_told[kid.klass.index].append(when)
            msg = self.say(when, kid.klass, kid.account, rng.choice(TODAY_LEAVES))
            exp.leaves[(kid.no, DAY)] = False
            exp.late_leave.add(kid.no)
            exp.leave_notes.append((kid.no, DAY, msg))
            said += 1
        elif fate == "late_notice":
            expected = rng.choice(LATE_TIMES)
            text = rng.choice([f"今天晚点接 {expected:%H:%M}", f"今天晚点接，大概{expected:%H:%M}到"])
            self.say(_uniform(rng, *window), kid.klass, kid.account, text)
            exp.plans[kid.no] = expected
            if _alert_due(expected, 10):
                exp.alerted.add(kid.no)
            if _alert_due(expected, 30):
                exp.escalated.add(kid.no)
            said += 1
        elif fate == "forgotten":
            exp.alerted.add(kid.no)
            exp.escalated.add(kid.no)
        else:
            picked = _uniform(rng, at(17, 8), at(17, 27))
            style = rng.choices(["both", "teacher", "guardian"], [60, 25, 15])[0]
            if style in ("both", "guardian"):
                self.say(picked, kid.klass, kid.account, rng.choice(CLAIMS))
                said += 1
            if style in ("both", "teacher"):
                self.confirm[kid.klass.index].append((picked + timedelta(seconds=rng.uniform(30, 150)), kid))
            exp.pickups[kid.no] = "claimed" if style == "guardian" else "confirmed"
            if style == "guardian":  # an unconfirmed claim stays on the teachers' and principal's lists
                exp.alerted.add(kid.no)
                exp.escalated.add(kid.no)
        if fate != "today_leave" and rng.random() < 0.4:
            text, offsets = rng.choice(FUTURE_LEAVES)
            when = _uniform(rng, MESSAGES_FROM, at(17, 22))
            msg = self.say(when, kid.klass, kid.account, text)
            days = [DAY + timedelta(days=d) for d in offsets]
            exp.leave_notes.append((kid.no, days[0], msg))
            cancel = offsets == [1] and rng.random() < 0.25
            for day in days:
                exp.leaves[(kid.no, day)] = cancel
            said += 1
            if cancel:
                exp.cancel_notes.append(
                    (kid.no, self.say(when + timedelta(minutes=6), kid.klass, kid.account, "销假 明天"))
                )
                said += 1
        if rng.random() < 0.05:
            exp.private_replies.add(
                self.say(_uniform(rng, MESSAGES_FROM, MESSAGES_UNTIL), kid.klass, kid.account, "费用")
            )
            said += 1
        for _ in range(max(0, rng.choice([4, 5]) - said)):
            self.say(
                _uniform(rng, MESSAGES_FROM, MESSAGES_UNTIL), kid.klass, kid.account, rng.choice(FILLERS)
            )

    def teachers(self, klass: ClassSpec) -> None:
        """Confirmations in batches of 1-4 names as the teacher sees children leave; roll calls and 未接走."""
        pending = sorted(self.confirm[klass.index], key=lambda p: p[0])
        while pending:
            size = min(len(pending), self.rng.choice([1, 2, 3, 3, 4]))
            batch, pending = pending[:size], pending[size:]
            when = min(batch[-1][0], STATE_UNTIL)
            names = " ".join(k.name for _, k in batch)
            text = f"{names} 已接走" if self.rng.random() < 0.7 else f"已接走 {names}"
            self.say(when, klass, klass.teacher_account, text)
        # 点名 naming a child on leave, and 未接走: answered to the teacher one-to-one.
        for hh, mm in ((17, 6), (17, 20), (17, 31)):
            when = at(hh, mm, self.rng.uniform(0, 50))
            msg = self.say(when, klass, klass.teacher_account, "点名")
            if any(told < when for told in self.leaves_told[klass.index]):
                self.expected.private_replies.add(msg)
        for hh, mm in ((17, 32), (17, 34)):
            self.expected.private_replies.add(
                self.say(at(hh, mm, self.rng.uniform(0, 50)), klass, klass.teacher_account, "未接走")
            )

    def retries(self) -> None:
        """Platform retries: the same msgid again 5 s later (WeCom's retry) or a minute later (a replay)."""
        originals = self.rng.sample(self.messages, int(len(self.messages) * self.retry_share))
        for msg in originals:
            delay = self.rng.choice([5.0, 5.0, 60.0])
            self.messages.append(
                Message(
                    msg.send_at + timedelta(seconds=delay),
                    msg.klass,
                    msg.sender,
                    msg.text,
                    msg.msg_id,
                    retry_of=msg.msg_id,
                )
            )


def build_script(school: School, seed: int = 11, retry_share: float = 0.02) -> tuple[list[Message], Expected]:
    """Every message of the afternoon in send order, and what the store must hold afterwards.

    Per class one child is forgotten (never picked up), ~8% send a late notice, ~2% take leave today
    after care began; the rest are picked up between 17:08 and 17:30 (claimed by the guardian,
    confirmed by the teacher, or both). Nothing changes state after 17:30, ten minutes before the first
    late-pickup check, so which children are late does not depend on how fast the bot keeps up.
    """
    rng = random.Random(seed)
    script = _Script(school, rng, retry_share)
    forgotten = {
        c.index: rng.choice([k for k in school.children if k.klass.index == c.index]).no
        for c in school.classes
    }
    for kid in school.children:
        if kid.no == forgotten[kid.klass.index]:
            fate = "forgotten"
        else:
            fate = rng.choices(["normal", "late_notice", "today_leave"], [90, 8, 2])[0]
        script.child(kid, fate)
    for klass in school.classes:
        script.teachers(klass)
    script.retries()
    return sorted(script.messages, key=lambda m: m.send_at), script.expected
