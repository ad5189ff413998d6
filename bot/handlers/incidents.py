"""事故 / 安全事件: a teacher records an incident; the duty leader, the principal and the child's guardians are
told at once, each privately. Never in a group: sent there, it is recorded and answered one-to-one, and the
group only reads that the answer went privately.

Who may record: a teacher of the child's class, a care teacher (care mixes classes), the principal.
"""

from __future__ import annotations

import re

from bot.domain import duty as rules
from bot.domain.actors import SCHOOL_WIDE, Role
from bot.domain.children import Child
from bot.domain.messages import Push, Reply
from bot.handlers.context import HandlerContext
from bot.handlers.phenomena import is_question
from bot.handlers.registry import KNOWN, STAFF, Args, Commands
from bot.handlers.resolve import find_kids, join_han, not_found_text
from bot.store.incidents import NewIncident

USAGE = "事故 王小明 摔倒擦伤 已处理"
ACTION_HINT = "处理情况可写: 已处理、已送医、已通知家长"


def parse_incident(text: str) -> Args | None:
    rest = rules.parse_incident(text)
    return {"text": rest} if rest is not None else None


def _may_record(ctx: HandlerContext, kid: Child) -> bool:
    roles = ctx.actor.roles
    return bool(roles & SCHOOL_WIDE) or Role.CARE_TEACHER in roles or ctx.actor.teaches(kid.class_group_id)


def _reporter(ctx: HandlerContext) -> str:
    if Role.PRINCIPAL in ctx.actor.roles:
        return f"校长 {ctx.actor.name}".strip()
    return f"{ctx.actor.name}老师" if ctx.actor.name else "老师"


class _Refused(Exception):
    def __init__(self, reply: Reply) -> None:
        super().__init__(reply.text)
        self.reply = reply


def _refuse(text: str, *, not_allowed: bool = False) -> _Refused:
    return _Refused(Reply.refusal(text, not_allowed=not_allowed, private=True))


async def _child(ctx: HandlerContext, text: str) -> tuple[Child, str]:
    """The child named first (a class may be written before the name), and the teacher's words after the name."""
    school_id = ctx.actor.school_id
    assert school_id is not None
    classes = await ctx.uow.notices.classes_with_pupils(school_id)
    class_ids: list[int] | None = None
    head = re.match(r"^([一二三四五六1-6]\s*年级\s*[(（]?\s*\d{1,2}\s*[)）]?\s*班)\s*", text)
    if head:
        key = rules.class_key(head.group(1))
        class_ids = [cid for cid, name in classes if rules.class_key(name) == key]
        text = text[head.end() :]
    roster = await ctx.uow.incidents.pupils_of(school_id, class_ids)
    found = find_kids(text, roster, short_forms=False)
    first = next((k for k in found.kids if join_han(text).startswith(k.name)), None)
    if first is None:
        if found.unknown:
            raise _refuse(f"{not_found_text(found.unknown)}请写孩子的全名,例如: {USAGE}")
        raise _refuse(f"请先写孩子的姓名,再写经过和处理情况,例如: {USAGE}({ACTION_HINT})")
    same = [k for k in roster if k.name == first.name]
    mine = [k for k in same if _may_record(ctx, k)]
    if len(same) > 1 and len(mine) == 1 and not ctx.actor.is_school_wide:
        same = mine  # a teacher means the one of their own class
    if len(same) > 1:
        names = dict(classes)
        where = "、".join(names.get(k.class_group_id, "") for k in same)
        raise _refuse(
            f"有 {len(same)} 名学生叫{first.name}({where}),请写上班级,例如: 事故 {where.split('、')[0]} "
            f"{first.name} 摔倒擦伤 已处理"
        )
    words = re.sub(r"^(?:同学|小朋友)?[\s,，:：;；、]*", "", _after_name(text, same[0].name))
    return same[0], words.strip()[:500]


def _after_name(text: str, name: str) -> str:
    """The text after the leading name (written with or without a space inside it: 王 小明)."""
    i = n = 0
    while i < len(text) and n < len(name):
        if text[i] == name[n]:
            n += 1
        elif not text[i].isspace():
            break
        i += 1
    return text[i:]


async def _tell(
    ctx: HandlerContext, school_id: int, incident_id: int, kid: Child, words: str
) -> tuple[int, int]:
    """Push the incident to the duty leader and the principals (not the reporter) and to the child's guardians,
    each one-to-one; (staff told, guardians told)."""
    what, actions = rules.split_actions(words)
    leader = await ctx.uow.duty.leader(school_id, ctx.today())
    principals = await ctx.uow.people.staff_with_role(school_id, ("principal",))
    chosen = dict.fromkeys([*([leader[0]] if leader else []), *principals])
    staff = [s for s in chosen if s != ctx.actor.staff_id]
    guardians = [g.guardian_id for g in await ctx.uow.care.guardians_of(kid.id)]
    class_name = dict(await ctx.uow.notices.classes_with_pupils(school_id)).get(kid.class_group_id, "")
    local, reporter = ctx.now_local(), _reporter(ctx)
    staff_text = rules.incident_staff_text(local, class_name, kid.name, what, actions, reporter)
    guardian_text = rules.incident_guardian_text(local, kid.name, reporter, words)
    for sid in staff:
        ctx.push(Push(key=f"incident:{incident_id}:s{sid}", staff_id=sid, text=staff_text))
    for gid in guardians:
        ctx.push(Push(key=f"incident:{incident_id}:g{gid}", guardian_id=gid, text=guardian_text))
    return len(staff), len(guardians)


async def handle_incident(ctx: HandlerContext, args: Args) -> Reply:
    try:
        kid, words = await _child(ctx, args["text"])
    except _Refused as refused:
        return refused.reply
    if not _may_record(ctx, kid):
        return Reply.refusal(
            f"{kid.name}不在您的班级,请由该班老师、托管教师或校长登记。", not_allowed=True, private=True
        )
    if not words:
        return Reply.refusal(f"请写明发生了什么和处理情况,例如: {USAGE}({ACTION_HINT})", private=True)
    school_id = ctx.actor.school_id
    assert school_id is not None
    what, actions = rules.split_actions(words)
    in_group = ctx.message.is_group
    incident_id = await ctx.uow.incidents.record(
        NewIncident(
            school_id=school_id,
            kid=kid,
            day=ctx.today(),
            at=ctx.clock.now(),
            reported_by=ctx.actor.staff_id,
            what=what,
            actions=actions,
            words=words,
            in_group=in_group,
            message_id=ctx.message.message_id,
        )
    )
    ctx.audit("incident.record", kid.name, incident=incident_id, actions=list(actions), in_group=in_group)
    staff, guardians = await _tell(ctx, school_id, incident_id, kid, words)
    at = ctx.now_local().strftime("%H:%M")
    return Reply(_recorded_text(kid.name, at, what, actions, staff, guardians, in_group), private=True)


def _recorded_text(
    child: str, at: str, what: str, actions: tuple[str, ...], staff: int, guardians: int, in_group: bool
) -> str:
    lines = [f"已登记 {at} {child} 安全事件: {what or '(未写经过)'};处理: {'、'.join(actions) or '未说明'}。"]
    told = [
        f"带班领导和校长 {staff} 人" if staff else "",
        f"{child}的家长 {guardians} 人" if guardians else "",
    ]
    lines.append(f"已私信告知 {'、'.join(t for t in told if t)}。" if any(told) else "没有可告知的人。")
    if not guardians:
        lines.append(f"{child}没有登记家长,请电话告知家长。")
    if in_group:
        lines.append("安全事件请私聊托管助手登记;群里不会显示孩子的任何信息。")
    return "\n".join(lines)


# An injury told in plain words (王小明摔倒擦伤了): not a record, but never echoed back into a group either.
_INJURY = re.compile(
    r"摔倒|摔伤|擦伤|受伤|流血|流鼻血|骨折|烫伤|咬伤|抓伤|碰伤|扭伤|磕破|磕到|撞到头|送医|晕倒|昏倒"
)


def parse_injury(text: str) -> Args | None:
    return {} if _INJURY.search(text) and not is_question(text) else None


async def handle_injury(ctx: HandlerContext, args: Args) -> Reply:
    if ctx.actor.is_staff:
        return Reply(
            f"如需登记安全事件,请私聊托管助手发送: 事故 姓名 经过 处理情况,例如: {USAGE}。"
            "登记后会立即私信告知带班领导、校长和孩子的家长。",
            private=True,
        )
    return Reply(
        "收到。孩子在托管期间受伤或有意外,请直接私聊班主任或托管老师;老师登记后,托管助手会私信告知您。",
        private=True,
    )


# fmt: off
commands = Commands(roles=STAFF)
commands.add("事故", f"{USAGE}(也可写 安全事件 …)", "登记安全事件,立即私信告知带班领导、校长和家长",
             parse_incident, handle_incident, example=USAGE, keywords=("事故", "安全事件"))
commands.add("受伤", "(提到受伤)", "私信说明如何登记安全事件,不在群里重复孩子的情况", parse_injury,
             handle_injury, example=USAGE, roles=KNOWN, writes=False)
# fmt: on
