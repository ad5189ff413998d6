"""How 报名, 退出, 同意/驳回, 复核 and 撤班 are written (pure parsers of the enrollment commands)."""

from __future__ import annotations

import re

from bot.handlers.registry import ArgParser, Args

_BASIC = {"1类", "基础托管", "基础", "1"}
_X = {"X类", "x类", "X", "x"}
_BOTH = {"1+X", "1+x", "1+X类", "1+x类"}


def parse_enroll(text: str) -> Args | None:
    m = re.fullmatch(r"报名\s+(.+)", text.strip())
    if not m:
        return None
    words = m.group(1).split()
    basic = False
    if words[0] in _BASIC or words[0] in _BOTH:
        basic = True
        if words[0] in _BASIC:
            return (
                {"basic": True, "course": None, "child": words[1] if len(words) == 2 else None}
                if len(words) <= 2
                else None
            )
        words = words[1:]
    elif words[0] in _X:
        words = words[1:]
    if not 1 <= len(words) <= 2:
        return None
    return {"basic": basic, "course": words[0], "child": words[1] if len(words) == 2 else None}


_NATURAL_VERB = re.compile(r"报名|报个|报一下|报一个|想报|要报|报上|报了?个|给.{0,4}报|帮.{0,4}报")
_NOT_ENROLL = re.compile(r"退|撤|复核|同意|驳回|日报|报告|报销|汇报|报警|报到|通知|请假|接")
_COURSE_FILLER = re.compile(r"^(?:名|个|一下|一个|上|了)*\s*(?:1\+[Xx]类?|1类|[Xx]类|兴趣班|兴趣课)?\s*")


def parse_enroll_natural(text: str) -> Args | None:
    """我想给孩子报个美术, 王小红 报名 书法, 帮王小红报一下书法班: the course is found at handle time."""
    m = _NATURAL_VERB.search(text)
    if m is None or _NOT_ENROLL.search(text):
        return None
    tail = _COURSE_FILLER.sub("", text[m.end() :].strip())
    word = re.match(r"[\u4e00-\u9fff]{1,8}", tail)
    course = re.sub(r"(班|课程|课|吧|了|呗|哈|啊)+$", "", word.group(0)) if word else ""
    basic = bool(re.search(r"1类|基础托管|1\+[Xx]", text))
    if not course and not basic:
        return None
    return {"basic": basic, "course": course or None, "child": None, "text": text}


def parse_enroll_any(text: str) -> Args | None:
    return parse_enroll(text) or parse_enroll_natural(text)


def two_names(verb: str) -> ArgParser:
    def parse(text: str) -> Args | None:
        m = re.fullmatch(verb + r"\s+(\S+)\s+(\S+)", text.strip())
        return {"child": m.group(1), "course": m.group(2)} if m else None

    return parse


def course_only(verb: str) -> ArgParser:
    def parse(text: str) -> Args | None:
        m = re.fullmatch(verb + r"\s+(\S+)", text.strip())
        return {"course": m.group(1)} if m else None

    return parse


_NATURAL_WITHDRAW = re.compile(
    r"^(?:老师)?[,，\s]*(?:我|我们)?(?:想|要)?(?:给孩子|帮孩子)?(?:退掉|退了|退出|不上|不学|不想上|不想学)了?\s*"
    r"(?P<course>[\u4e00-\u9fff]{1,6}?)(?:班|课)?(?:了|吧|啊)?$"
)


def parse_withdraw(text: str) -> Args | None:
    """退出 篮球 [孩子], or 我想退掉篮球 (no name: the sender's only child)."""
    m = re.fullmatch(r"退出\s+(\S+)(?:\s+(\S+))?", text.strip())
    if m:
        return {"course": m.group(1), "child": m.group(2)}
    m = _NATURAL_WITHDRAW.match(text.strip(" 。.!！~"))
    return {"course": m["course"], "child": None} if m else None
