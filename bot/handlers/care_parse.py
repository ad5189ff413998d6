"""Pure recognisers for the care day's phrasing: leave, pickups, late notices, roll call, binding.

Each returns its command (typed, bot.domain.commands, for the care-day ones; the whole text stays in `text`
for name and date lookup at handle time) or None when the phrasing is not its own.
"""

from __future__ import annotations

import re

from bot.domain.commands import CancelLeave, EarlyPickup, LatePickup, Leave, Picked, PickupTime, ProxyPickup
from bot.domain.dates import find_time
from bot.domain.text import strip_decoration
from bot.handlers.registry import Args
from bot.handlers.resolve import SURNAMES

PEOPLE = "外婆|外公|姥姥|姥爷|爷爷|奶奶|爸爸|妈妈|舅舅|舅妈|姑姑|姑父|阿姨|叔叔|小姨|姨妈|哥哥|姐姐|伯伯|大伯"
RELATION_OF = {
    "外婆": "外婆",
    "姥姥": "外婆",
    "外公": "外公",
    "姥爷": "外公",
    "爷爷": "爷爷",
    "奶奶": "奶奶",
    "爸爸": "父亲",
    "妈妈": "母亲",
}

_CANCEL_LEAVE = re.compile(
    r"销假|(撤销|取消|撤回).{0,6}(请假|假)|(请假|假)(就|先)?(取消|撤销|撤回|不请)|不请假了|不(用)?请(假)?了|假不请了|又能去了|还是去托管|照常(参加|去)"
)
_LEAVE = re.compile(
    r"请假|请个假|请[^假,。]{1,8}的假|请\s*[\d一二两三四五六七八九十]{1,2}\s*(个)?天((的)?(病|事)?假)?|请(病|事)假|不(去|来|参加|上)(托管|了)|(在家|回家)休息|去不了|来不了|不能(去|来|参加)"
)
_PICKED = re.compile(
    r"已接走|已经接走|接走了|已接|接到(孩子|他|她|宝宝)?(了|啦|咯|喽|啰)|已经接到|接上(了|啦)|接回家了|已被接走|领走了|已离校"
)
_NOT_PICKED = re.compile(r"未接走|没接走|还没(被)?接|没被接|谁(还)?没接|未接|等待接|还有几个没接")
_ALL = re.compile(r"全部|都|全体|所有(人|孩子|学生)?|全班")
_LATE = re.compile(
    r"(晚|迟)(一)?(点|些|会儿)?(接|到|来)|晚接|会晚|左右到|才能到|(点|:\d\d).{0,4}(到|来接|接)"
)
_PROXY = re.compile(
    rf"代接|(?P<me>我自己|我)(来|去|过来)?接(?![到通电走])|(?P<who>{PEOPLE})(?P<name>[\u4e00-\u9fff]{{2,3}}?)?(来|去|过来)?接|由(?P<by>[\u4e00-\u9fff]{{2,3}}?)(来|去|过来)?接|(?P<by2>换人|别人)(来|去|过来)?接"
)
# The person's own name, said after the relation: 今天他舅舅来接，叫李明 / 名字是李明.
_CALLED = re.compile(r"(?:叫|名字是|名字叫|姓名)[:：\s]*(?P<name>[\u4e00-\u9fff]{2,3})")
_ROLLCALL = re.compile(r"^(点名|考勤|今天点名|点个名|到了几个|今天到了几个)$")
_ABSENT = re.compile(r"缺席|没来|没到|未到|没有来")
_PRESENT = re.compile(r"到了|已到|来了")
_BIND = re.compile(r"^(绑定|关联|认证)\s*(?P<rest>.*)$")
_APPROVE_BIND = re.compile(r"^(同意|确认|通过)绑定\s*(?P<rest>.*)$")
_REJECT_BIND = re.compile(r"^(拒绝|驳回)绑定\s*(?P<rest>.*)$")


def parse_cancel_leave(text: str) -> CancelLeave | None:
    return CancelLeave(text) if _CANCEL_LEAVE.search(text) else None


def parse_leave(text: str) -> Leave | None:
    return Leave(text) if _LEAVE.search(text) else None


def parse_not_picked(text: str) -> Args | None:
    return {"text": text} if _NOT_PICKED.search(text) and len(text) <= 12 else None


def parse_picked(text: str) -> Picked | None:
    if not _PICKED.search(text):
        return None
    found = find_time(text)
    return Picked(text, bool(_ALL.search(text)), found[0] if found else None)


_BARE_TIME = re.compile(r"^(接走时间\s*)?\d{1,2}[:：]\d{2}$")


def parse_bare_time(text: str) -> PickupTime | None:
    """`17:35` alone: a teacher answering when a late batch was picked up."""
    t = text.strip(" 。.")
    if not _BARE_TIME.match(t):
        return None
    found = find_time(t.replace("：", ":").removeprefix("接走时间").strip())
    return PickupTime(found[0]) if found else None


_EARLY = re.compile(r"早(一)?(点|些)(来)?接|提前(来)?接|提早(来)?接|早接")


def parse_early(text: str) -> EarlyPickup | None:
    """`明天早点接 16:00`, `提前接`: an early pickup (checked before the late notice, which matches 点接)."""
    if not _EARLY.search(text) or "请假" in text:
        return None
    found = find_time(text)
    return EarlyPickup(text, found[0] if found else None)


def parse_late(text: str) -> LatePickup | None:
    if "请假" in text or not _LATE.search(text):
        return None
    found = find_time(text)
    return LatePickup(text, found[0] if found else None)


def parse_proxy(text: str) -> ProxyPickup | None:
    if _PICKED.search(text):
        return None
    m = _PROXY.search(text)
    if m is None:
        return None
    if m["me"]:  # 我来接: the sender, a guardian
        return ProxyPickup(text, "我")
    if m["by2"]:  # 今天换人接: who is asked
        return ProxyPickup(text, "")
    if m["by"]:
        return ProxyPickup(text, m["by"])
    who = m["who"] or text[m.end() :].strip(" :,，。") or ""
    who = who.split(" ")[0] if who else ""
    called = _CALLED.search(text)
    name = m["name"] or (called["name"] if called else "")
    if name and name[0] not in SURNAMES:  # 外婆下午来接: 下午 is not a name
        name = called["name"] if called else ""
    return ProxyPickup(text, who, name)


def parse_rollcall(text: str) -> Args | None:
    return {} if _ROLLCALL.match(text.strip(" ?？!！。")) or _ROLLCALL.match(strip_decoration(text)) else None


_COURSE_ROLLCALL = re.compile(
    r"^(点名|考勤)\s*(?P<course>[\u4e00-\u9fffA-Za-z]{1,12}?)(?:课)?"
    r"(?:\s*[,，]?\s*(缺席|没来|没到|未到)\s*(?P<absent>.+))?$"
)


def parse_course_rollcall(text: str) -> Args | None:
    """`点名 篮球`, `点名 篮球 缺席 王小明`: the roll of one X-course session today."""
    m = _COURSE_ROLLCALL.match(text.strip(" ?？!！。"))
    if m is None or m["course"] in ("今天", "本班", "全班"):
        return None
    return {"course": m["course"], "absent": m["absent"] or ""}


_ALL_PRESENT = re.compile(r"^(全部到齐|全员到齐|都到齐了|全到了|都到了|全部已到|全部到了)$")


def parse_all_present(text: str) -> Args | None:
    """`全部到齐`: the teacher confirms every expected child not on leave or absent is there."""
    return {} if _ALL_PRESENT.match(text.strip(" 。.!！")) else None


def parse_absent(text: str) -> Args | None:
    return {"text": text} if _ABSENT.search(text) and "请假" not in text else None


def parse_present(text: str) -> Args | None:
    if _PICKED.search(text) or _ABSENT.search(text):
        return None
    return {"text": text} if _PRESENT.search(text) else None


def parse_bind(text: str) -> Args | None:
    m = _BIND.match(text)
    return {"rest": m["rest"]} if m else None


def parse_approve_bind(text: str) -> Args | None:
    m = _APPROVE_BIND.match(text)
    return {"rest": m["rest"], "approve": True} if m else None


def parse_reject_bind(text: str) -> Args | None:
    m = _REJECT_BIND.match(text)
    return {"rest": m["rest"], "approve": False} if m else None
