"""Bus riders: reading `校车 一号线 已上车 [缺 张三 李四]`, matching line names and plates, sorting a line's
riders at departure, and the texts guardians and teachers get (no I/O)."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from bot.domain.dates import cn_number

_CN_NUMBER = re.compile(r"[零〇一二两三四五六七八九十]+")
_LINE_TAIL = re.compile(r"(?:号线路|号线|线路|号车|号|线|路)$")
PROVINCES = "京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼"
_PLATE = re.compile(rf"^[{PROVINCES}][A-Z][A-Z0-9]{{5,6}}$")
PLATE_EXAMPLE = "湘A12345"
# Bus pickups are written with this before the line's name (Pickup.picked_up_by): 校车一号线.
BUS_PREFIX = "校车"
USAGE = "校车 线路 已上车 [缺 姓名…]"
EXAMPLE = "校车 一号线 已上车 缺 张三 李四"

_BOARDED = re.compile(
    r"^\s*校车\s*[:]?\s*(?P<line>(?!已|都|全)[^\s,:;。]+?)?\s*[,]?\s*"
    r"(?:已经?|都|全部|全都)?(?:上车|发车)(?:了|啦)?(?P<rest>.*)$"
)
_MISSING = re.compile(
    r"^[\s,;。、]*(?:缺少|缺|未上车|没上车|没有上车|未到)\s*[:]?\s*(?P<names>.+?)[\s。.!]*$"
)
_NONE_MISSING = re.compile(r"^[\s,;。.!、]*(?:全部|全员|都在|人齐了?|齐了|无缺|没有缺)?[\s,;。.!、]*$")
_ABOUT_MISSING = re.compile(r"缺|没上车|未上车|没有上车|没来|没到|未到")
_FILLER = re.compile(r"同学|小朋友|共?[两二三四五六七八九十\d]+\s*(?:人|个|名)|等")
_NAME_SPLIT = re.compile(r"[\s,;、和跟与及]+")


def line_key(name: str) -> str:
    """The form line names are compared in: 一号线, 1号线, 1号, 1路, 校车一号线 -> "1"; 城东线 -> "城东"."""
    text = re.sub(r"\s+", "", unicodedata.normalize("NFKC", name)).upper()
    if text.startswith(BUS_PREFIX) and len(text) > len(BUS_PREFIX):
        text = text[len(BUS_PREFIX) :]
    text = _CN_NUMBER.sub(lambda m: str(cn_number(m.group(0))), text)
    return _LINE_TAIL.sub("", text) or text


@dataclass(frozen=True)
class LineFacts:
    """A bus line as the roster's 校车 sheet gives it."""

    id: int
    name: str
    direction: str
    driver: str
    driver_phone: str
    plate: str


def find_line(word: str | None, lines: Sequence[LineFacts]) -> LineFacts | None:
    """The line a teacher named (any usual spelling); with no name, the school's only line."""
    if not word:
        return lines[0] if len(lines) == 1 else None
    key = line_key(word)
    found = [line for line in lines if line_key(line.name) == key]
    return found[0] if len(found) == 1 else None


def normal_plate(text: str) -> str | None:
    """湘a·12345 / 湘A-12345 / 湘A 12345 -> 湘A12345; None when it is not a plate."""
    plate = re.sub(r"[\s·•.\-]", "", unicodedata.normalize("NFKC", text)).upper()
    return plate if _PLATE.match(plate) else None


def parse_boarding(text: str) -> dict[str, object] | None:
    """`校车 一号线 已上车`, `校车一号线已上车 缺 张三 李四`, `校车 已上车` (the school's only line).

    None when the text is not about a bus departing; `bad` when it is, names someone missing, but cannot be read.
    """
    m = _BOARDED.match(unicodedata.normalize("NFKC", text))
    if m is None:
        return None
    rest = m["rest"]
    if _NONE_MISSING.match(rest):
        return {"line": m["line"] or "", "missing": ""}
    found = _MISSING.match(rest)
    if found is None:
        return {"line": m["line"] or "", "missing": "", "bad": True} if _ABOUT_MISSING.search(rest) else None
    return {"line": m["line"] or "", "missing": found["names"]}


def missing_words(text: str) -> list[str]:
    """The words a teacher listed after 缺 (names, as written), without fillers (同学, 共2人, 等)."""
    return [w for w in _NAME_SPLIT.split(_FILLER.sub(" ", text)) if w]


@dataclass(frozen=True)
class RiderDay:
    """One rider at departure time, from the care register."""

    id: int
    in_care: bool  # basic care, a course today, or a drop-in marked present
    on_leave: bool
    absent: bool
    left: bool  # already picked up (or claimed by a guardian) before the bus left
    named_missing: bool


@dataclass(frozen=True)
class Departure:
    """How a line's riders come out of a departure: on the bus, missing (in care, unaccounted), or neither."""

    boarded: tuple[int, ...]
    missing: tuple[int, ...]
    on_leave: tuple[int, ...]
    not_in_care: tuple[int, ...]  # no care today, or marked absent
    left: tuple[int, ...]


def sort_riders(riders: Iterable[RiderDay]) -> Departure:
    """Boarded: every rider in care today, not on leave, not absent, not already gone, not named missing.
    Missing: a rider named missing who is in care and not on leave, absent or gone (the unaccounted ones)."""
    boarded, missing, leave, away, left = [], [], [], [], []
    for r in riders:
        if r.on_leave:
            leave.append(r.id)
        elif not r.in_care or r.absent:
            away.append(r.id)
        elif r.left:
            left.append(r.id)
        elif r.named_missing:
            missing.append(r.id)
        else:
            boarded.append(r.id)
    return Departure(tuple(boarded), tuple(missing), tuple(leave), tuple(away), tuple(left))


def line_label(line: LineFacts) -> str:
    return f"{line.name}({line.direction})" if line.direction else line.name


def boarded_note(child: str, line: LineFacts, departed: datetime) -> str:
    """To the rider's guardians, one-to-one only: the driver's phone is never said in a group."""
    driver = f",司机 {line.driver}" if line.driver else ""
    phone = f"(电话 {line.driver_phone})" if line.driver_phone else ""
    plate = f",车牌 {line.plate}" if line.plate else ""
    return f"{child} 已乘坐校车 {line_label(line)},{departed:%H:%M} 发车{plate}{driver}{phone}。"


def missing_note(child: str, line: LineFacts, departed: datetime) -> str:
    return (
        f"今天校车 {line.name} {departed:%H:%M} 发车时,{child} 没有上车。老师正在核实孩子去向;"
        "如果您已经接走孩子,请回复「已接走」。"
    )


def teacher_reply(line: LineFacts, departed: datetime, gone: Departure) -> str:
    """For the group the command came from: counts only, no child named."""
    parts = [f"上车 {len(gone.boarded)} 人"]
    if gone.missing:
        parts.append(f"未上车 {len(gone.missing)} 人(已私信告知家长,未接走的将按晚接上报)")
    if gone.on_leave:
        parts.append(f"请假 {len(gone.on_leave)} 人")
    return f"已记录 校车 {line.name} {departed:%H:%M} 发车: " + ",".join(parts) + "。"


def teacher_list(line: LineFacts, departed: datetime, names: dict[str, list[str]]) -> str:
    """The names behind the counts, for the teacher one-to-one."""
    lines = [f"校车 {line.name} {departed:%H:%M} 发车名单:"]
    for label, key in (
        ("上车", "boarded"),
        ("未上车", "missing"),
        ("请假", "on_leave"),
        ("已接走", "left"),
        ("今天不在托管", "not_in_care"),
    ):
        if names.get(key):
            lines.append(f"· {label} {len(names[key])} 人: {'、'.join(names[key])}")
    return "\n".join(lines)
