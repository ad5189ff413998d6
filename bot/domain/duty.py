"""Duty, patrol, clearance and incidents (pure rules): who is on duty, how the commands read, the texts.

None of these records is shown in a group: every text here goes one-to-one (the duty leader, the principal,
a child's guardians). The duty roster holds weekly slots (星期) and dated slots (日期); a dated one wins.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

WEEKDAY_CN = "一二三四五六日"
CN_GRADES = "一二三四五六"

# The action taken, as teachers write it: canonical label first, then the ways it is written.
ACTIONS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("已送医", ("已送医院", "已送医", "送医院", "送医", "已就医", "已去医院", "送往医院", "已送卫生院")),
    (
        "已通知家长",
        (
            "已通知家长",
            "已告知家长",
            "已联系家长",
            "通知家长",
            "告知家长",
            "联系家长",
            "家长已知晓",
            "家长已知道",
        ),
    ),
    ("已处理", ("已处理", "已经处理", "已妥善处理", "已包扎", "已消毒", "已涂药", "已冰敷", "处理好了")),
)
OK_WORDS = ("正常", "良好", "无异常", "没问题", "很好", "秩序良好")
PROBLEM_WORDS = ("有问题", "问题", "异常", "不正常")


def slot_of_day(day: date) -> str:
    return day.isoformat()


def slot_of_weekday(weekday: int) -> str:
    """A weekly slot: w1 (Monday) .. w7 (Sunday)."""
    return f"w{weekday}"


def leader_for(day: date, slots: Mapping[str, int]) -> int | None:
    """The duty leader of `day` (a staff id): the dated slot, else the weekly one, else nobody."""
    return slots.get(slot_of_day(day), slots.get(slot_of_weekday(day.isoweekday())))


def day_label(day: date) -> str:
    return f"{day.month}月{day.day}日(周{WEEKDAY_CN[day.weekday()]})"


@dataclass(frozen=True)
class PatrolWords:
    class_word: str  # as written: 三年级2班, 3年级2班
    ok: bool | None  # None: the state was not said
    note: str


_PATROL = re.compile(
    r"^\s*(?:巡课|巡班|巡查)\s*[:：]?\s*(?P<cls>[一二三四五六1-6]\s*年级\s*[(（]?\s*\d{1,2}\s*[)）]?\s*班)"
    r"\s*[,，:：]?\s*(?P<rest>.*)$",
    re.DOTALL,
)
_PATROL_BARE = re.compile(r"^\s*(?:巡课|巡班|巡查)(?:\s+(?P<rest>.*))?$", re.DOTALL)


def parse_patrol(text: str) -> PatrolWords | None:
    """`巡课 三年级2班 正常` / `巡课 三年级2班 有问题 两名学生打闹`; a bare `巡课 …` without a class is
    read too (class_word empty), so the handler can say how to write it."""
    m = _PATROL.match(text)
    if m is None:
        bare = _PATROL_BARE.match(text)
        return PatrolWords("", None, (bare.group("rest") or "").strip()) if bare else None
    rest = m.group("rest").strip()
    ok: bool | None = None
    for word in PROBLEM_WORDS:
        if rest.startswith(word):
            ok, rest = False, rest[len(word) :]
            break
    else:
        for word in OK_WORDS:
            if rest.startswith(word):
                ok, rest = True, rest[len(word) :]
                break
    return PatrolWords(m.group("cls"), ok, re.sub(r"^[\s,，:：;；。、]+", "", rest).strip()[:300])


def class_key(name: str) -> str:
    """三年级2班, 3年级2班, 三年级(2)班 -> 3-2, to match a class as written with its roster name."""
    m = re.fullmatch(r"\s*([一二三四五六1-6])\s*年级\s*[(（]?\s*(\d{1,2})\s*[)）]?\s*班\s*", name)
    if m is None:
        return name.strip()
    grade = m.group(1)
    number = int(grade) if grade.isdigit() else CN_GRADES.index(grade) + 1
    return f"{number}-{int(m.group(2))}"


_CLEAR = re.compile(
    r"^\s*(?:已(?:经)?清校|清校(?:已)?(?:完毕|完成|结束|好了|了)|清校检查(?:完毕|完成))[\s。.!！]*$"
)


def is_clearance(text: str) -> bool:
    """`清校完毕` (also 清校完成, 已清校, 清校检查完毕)."""
    return _CLEAR.match(text) is not None


_INCIDENT = re.compile(
    r"^\s*(?:事故|安全事件|安全事故|意外事件|突发事件)(?:登记|上报|报告)?\s*[:：]?\s*(?P<rest>.*)$", re.DOTALL
)


def parse_incident(text: str) -> str | None:
    """`事故 王小明 摔倒擦伤 已处理` -> "王小明 摔倒擦伤 已处理" (the child is found by the handler)."""
    m = _INCIDENT.match(text)
    return m.group("rest").strip() if m else None


def split_actions(text: str) -> tuple[str, tuple[str, ...]]:
    """What happened, and the action words found (canonical, in table order); the rest stays as text."""
    found: list[str] = []
    rest = text
    for label, forms in ACTIONS:
        for form in sorted(forms, key=len, reverse=True):
            if form in rest:
                rest = rest.replace(form, " ")
                if label not in found:
                    found.append(label)
    what = re.sub(r"\s{2,}", " ", re.sub(r"[,，;；、。]\s*(?=[,，;；、。\s]|$)", " ", rest)).strip(
        " ,，;；、。"
    )
    return what, tuple(label for label, _ in ACTIONS if label in found)


def clear_check_due(end: time, minutes: int, at: datetime) -> bool:
    """Is it service end + `minutes` or later on `at`'s day?"""
    return at >= datetime.combine(at.date(), end, tzinfo=at.tzinfo) + timedelta(minutes=minutes)


def service_ended(end: time, at: datetime) -> bool:
    return at >= datetime.combine(at.date(), end, tzinfo=at.tzinfo)


# -- texts ------------------------------------------------------------------------------------------
def morning_text(day: date, class_names: Sequence[str]) -> str:
    classes = "、".join(class_names) or "各班"
    return (
        f"{day_label(day)}由您带班值班。请在托管期间巡课({classes}),例如: 巡课 {class_names[0] if class_names else '三年级2班'} 正常"
        f" 或 巡课 {class_names[0] if class_names else '三年级2班'} 有问题 说明;最后一名学生离校后请发送「清校完毕」。"
    )


@dataclass(frozen=True)
class PatrolLine:
    at: datetime  # local
    class_name: str
    ok: bool
    note: str
    by: str


def patrol_log_text(day: date, leader: str, lines: Sequence[PatrolLine], unvisited: Sequence[str]) -> str:
    head = f"{day_label(day)} 巡课记录(带班领导: {leader or '未排班'}),共 {len(lines)} 次"
    out = [head + (":" if lines else "。")]
    for line in lines:
        state = "正常" if line.ok else f"有问题: {line.note or '未说明'}"
        extra = f"({line.note})" if line.ok and line.note else ""
        out.append(f"· {line.at:%H:%M} {line.class_name} {state}{extra} — {line.by}")
    if unvisited:
        out.append(f"未巡课的班级: {'、'.join(unvisited)}")
    problems = sum(1 for line in lines if not line.ok)
    if problems:
        out.append(f"发现问题 {problems} 次,请跟进。")
    return "\n".join(out)


def clear_missing_text(day: date, end: time, minutes: int, leader: str, waiting: int) -> str:
    still = f"登记中仍有 {waiting} 名学生未确认接走。" if waiting else ""
    who = f"带班领导 {leader} " if leader else "今天值班表没有带班领导,"
    return (
        f"{day_label(day)} 托管 {end:%H:%M} 结束后已过 {minutes} 分钟,{who}尚未发送「清校完毕」。{still}"
        "请核实校内是否还有学生。"
    )


def incident_staff_text(
    when: datetime, class_name: str, child: str, what: str, actions: Sequence[str], reporter: str
) -> str:
    done = "、".join(actions) or "未说明处理情况"
    return (
        f"【安全事件】{when.month}月{when.day}日 {when:%H:%M} {class_name} {child}: {what or '(未写经过)'};"
        f"处理: {done}。报告人: {reporter}。"
    )


def incident_guardian_text(when: datetime, child: str, reporter: str, words: str) -> str:
    return (
        f"{child}家长您好,{reporter}告知({when.month}月{when.day}日 {when:%H:%M}): {words}\n"
        "如有疑问请直接联系老师。"
    )
