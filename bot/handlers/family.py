"""已通话 / 通话 (a family call of a left-behind child) and 谈心 (a teacher's pastoral talk): private records."""

from __future__ import annotations

import re

from bot.domain import family as rules
from bot.domain.messages import Reply
from bot.handlers.context import HandlerContext
from bot.handlers.registry import STAFF, Args, Commands
from bot.handlers.resolve import find_kids, not_found_text
from bot.store.family import LeftBehind

_CONTACT = r"(通话|通电话|电话|视频|写信|回信|书信)"
_DONE = re.compile(
    rf"^(已经?|刚刚?|刚才|今天|今晚|昨天|昨晚|本月|这个月).{{0,10}}{_CONTACT}|(视频|通话|通电话)(了|过)|{_CONTACT}.{{0,6}}(了|过)[。!! ]*$|^已{_CONTACT}"
)
_NOT_A_CALL = re.compile(r"请假|报名|退出|接|缴费|费用|谈心|绑定|吗|[??]")


def parse_call(text: str) -> Args | None:
    """`通话 王小明 视频` (anyone concerned) or a guardian's `已通话` / `今天和孩子视频了`."""
    t = text.strip()
    if re.match(r"^(通话|通话记录|亲情通话)(\s|$)", t):
        return {"text": re.sub(r"^(通话记录|亲情通话|通话)", "", t).strip()}
    if len(t) <= 30 and _DONE.search(t) and not _NOT_A_CALL.search(t):
        return {"text": t}
    return None


def parse_talk(text: str) -> Args | None:
    m = re.match(r"^谈心(记录)?[\s,:,:]*(.*)$", text.strip(), re.DOTALL)
    return {"text": m.group(2).strip()} if m else None


async def _mine(ctx: HandlerContext) -> list[LeftBehind]:
    """The left-behind children the sender may record for: their own, their classes', their paired ones."""
    if ctx.actor.school_id is None:
        return []
    everyone = await ctx.uow.family.left_behind(ctx.actor.school_id)
    if ctx.actor.is_staff:
        return [
            c
            for c in everyone
            if ctx.actor.teaches(c.class_group_id) or c.paired_teacher_id == ctx.actor.staff_id
        ]
    return [c for c in everyone if ctx.actor.guards(c.id)]


def _named(text: str, candidates: list[LeftBehind]) -> tuple[list[LeftBehind], str]:
    """Children named in the text, and a refusal when a name was given but matches none of them."""
    found = find_kids(text, candidates)
    ids = {k.id for k in found.kids}
    named = [c for c in candidates if c.id in ids]
    if not named and found.unknown:
        return [], not_found_text(found.unknown)
    return named, ""


async def handle_call(ctx: HandlerContext, args: Args) -> Reply:
    text = args["text"]
    candidates = await _mine(ctx)
    if not candidates:
        if ctx.actor.is_staff:
            return Reply.refusal("您的班级或结对学生中没有留守儿童记录。", private=True)
        return Reply.refusal("您的孩子不在留守儿童名单中,无需登记通话;如有误请联系班主任。", private=True)
    named, refusal = _named(text, candidates)
    if refusal:
        return Reply.refusal(refusal, private=True)
    if not named:
        if ctx.actor.is_staff:
            return Reply.refusal("请写明是哪个孩子,例如: 通话 王小明 视频", private=True)
        named = candidates  # a parent away calls home: it counts for each of their left-behind children
    today, month, kind = ctx.today(), rules.month_key(ctx.today()), rules.call_kind(text)
    done = await ctx.uow.family.calls_in_month([c.id for c in named], month)
    lines = []
    for child in named:
        away = ctx.actor.is_staff or await _is_parent_away(ctx, child)
        await ctx.uow.family.record_call(
            child.id,
            today,
            month,
            kind,
            ctx.actor.actor_ref,
            ctx.clock.now(),
            ctx.message.message_id,
            by_parent_away=away,
        )
        ctx.audit("family.call", child.name, kind=kind, month=month, by_parent_away=away)
        label = rules.KIND_LABELS[kind]
        if not away:  # an entrusted grandparent's word: the guardian's own contact, not the parents' call
            lines.append(
                f"{child.name} {today.month}月{label}已记录为您(家中监护人)的联系,另行显示;"
                "本月亲情通话仍需外出的父母完成,可请他们发送: 已通话"
            )
            continue
        lines.append(
            f"{child.name} {today.month}月亲情{label}已记录(本月第 {len(done.get(child.id, [])) + 1} 次)"
        )
    thanks = "谢谢您!" if not ctx.actor.is_staff else ""
    return Reply("\n".join(lines) + ("\n" + thanks if thanks else ""), private=True)


async def _is_parent_away(ctx: HandlerContext, child: LeftBehind) -> bool:
    """Is the guardian sending this a parent away from home (by the roster's relation and 留守 status)?"""
    relation = await ctx.uow.people.relation(child.id, ctx.actor.guardian_id)
    return relation is not None and rules.away_relation(child.status, relation)


async def handle_talk(ctx: HandlerContext, args: Args) -> Reply:
    text = args["text"]
    candidates = await _mine(ctx)
    named, refusal = _named(text, candidates)
    if refusal:
        return Reply.refusal(refusal, private=True)
    if len(named) != 1:
        return Reply.refusal(
            "请写明一个孩子和谈心内容,例如: 谈心 王小明 最近学习有进步,想念妈妈", private=True
        )
    child = named[0]
    note = re.sub(r"^[\s,:,:]+", "", text.replace(child.name, " ", 1)).strip()[:500]
    today = ctx.today()
    await ctx.uow.family.record_talk(
        child.id,
        ctx.actor.staff_id,
        today,
        rules.month_key(today),
        note,
        ctx.actor.actor_ref,
        ctx.clock.now(),
        ctx.message.message_id,
    )
    ctx.audit("family.talk", child.name, month=rules.month_key(today))
    return Reply(f"已记录 {child.name} {today.month}月谈心(仅教师可见)。", private=True)


# fmt: off
commands = Commands()
commands.add("通话", "已通话 / 通话 孩子 [视频|书信]", "登记留守儿童本月亲情通话(私密)", parse_call,
             handle_call, example="已通话", keywords=("已通话", "通话"))
commands.add("谈心", "谈心 孩子 内容", "登记与留守儿童的谈心(仅教师可见)", parse_talk, handle_talk,
             example="谈心 王小明 最近很开朗", roles=STAFF)
# fmt: on
