"""关爱记录 / 家访 NAME … and 座谈会 …: dated records in a left-behind child's archive, staff only.

Written by the child's paired teacher (帮扶教师), 爱心妈妈, head teacher or the principal; always answered
privately (a group never reads them). A 关爱记录 counts as a talk in the principal's weekly count.
"""

from __future__ import annotations

import re
from datetime import date

from bot.domain.actors import Role
from bot.domain.children import Child
from bot.domain.dates import find_dates
from bot.domain.messages import Reply
from bot.handlers.care_common import calendar_of, day_label
from bot.handlers.context import HandlerContext
from bot.handlers.registry import STAFF, ArgParser, Args, Commands
from bot.handlers.resolve import find_kids
from bot.store.family import LeftBehind

KINDS = {"关爱记录": "care", "家访": "visit", "座谈会": "meeting"}
LABELS = {v: k for k, v in KINDS.items()}
EXAMPLES = {
    "care": "关爱记录 张一一 陪她读了绘本,情绪好多了",
    "visit": "家访 张一一 与奶奶交流学习情况",
    "meeting": "座谈会 留守儿童家长座谈,10人参加",
}
NOT_YOURS = "「{name}」不是您结对、担任爱心妈妈或班主任的留守儿童,不能登记。"


def _parser(word: str) -> ArgParser:
    pattern = re.compile(rf"^\s*{word}(?:记录)?\s*[:：,，]?\s*(.*)$", re.DOTALL)

    def parse(text: str) -> Args | None:
        m = pattern.match(text)
        return {"kind": KINDS[word], "text": m.group(1).strip()} if m else None

    return parse


def _may_record(ctx: HandlerContext, child: LeftBehind, mother: int | None) -> bool:
    actor = ctx.actor
    heads = {r.class_group_id for r in actor.staff_roles if r.role == Role.HEAD_TEACHER}
    return (
        actor.is_school_wide
        or actor.staff_id in (child.paired_teacher_id, mother, child.head_teacher_id)
        or child.class_group_id in heads
    )


async def _children(ctx: HandlerContext) -> tuple[list[LeftBehind], list[LeftBehind]]:
    """(every left-behind child of the school, those the sender may record for)."""
    assert ctx.actor.school_id is not None
    everyone = await ctx.uow.family.left_behind(ctx.actor.school_id)
    mothers = await ctx.uow.archives.archives_of([c.id for c in everyone])
    mine = [
        c
        for c in everyone
        if _may_record(ctx, c, mothers[c.id].caring_mother_id if c.id in mothers else None)
    ]
    return everyone, mine


async def _day_of(ctx: HandlerContext, note: str) -> tuple[date, str] | Reply:
    """A date written first in the note (11月20日, 昨天) is the record's; today otherwise. Not in the future."""
    calendar = await calendar_of(ctx)
    found = find_dates(note, ctx.today(), calendar.is_care_day)
    if found is None or not note.startswith(found.text) or len(found.days) != 1:
        return ctx.today(), note
    day = found.days[0]
    if day > ctx.today():
        return Reply.refusal(f"{day_label(day)}还没到,记录请在当天或之后登记。", private=True)
    return day, note[len(found.text) :].strip(" ,，:：")


def _kids(children: list[LeftBehind]) -> list[Child]:
    return [c.child for c in children]


async def _named(ctx: HandlerContext, text: str, *, meeting: bool) -> tuple[list[LeftBehind], Reply | None]:
    """The children named: refused if one of them is not the sender's to record (same words either way)."""
    everyone, mine = await _children(ctx)
    found = find_kids(text, _kids(everyone))
    allowed = {c.id for c in mine}
    for kid in found.kids:
        if kid.id not in allowed:
            return [], Reply.refusal(NOT_YOURS.format(name=kid.name), private=True, not_allowed=True)
    if found.unknown and not found.kids and not meeting:  # a meeting's note may name anyone, or no child
        return [], Reply.refusal(
            NOT_YOURS.format(name=found.unknown[0][0][:10]), private=True, not_allowed=True
        )
    ids = {k.id for k in found.kids}
    return [c for c in everyone if c.id in ids], None


async def handle_record(ctx: HandlerContext, args: Args) -> Reply:
    kind, text = args["kind"], args["text"]
    assert ctx.actor.school_id is not None
    if not text:
        return Reply.refusal(f"请写明孩子和内容,例如: {EXAMPLES[kind]}", private=True)
    named, refusal = await _named(ctx, text, meeting=kind == "meeting")
    if refusal is not None:
        return refusal
    if kind != "meeting" and len(named) != 1:
        return Reply.refusal(f"请写明一个孩子和内容,例如: {EXAMPLES[kind]}", private=True)
    if (
        kind == "meeting"
        and not named
        and not (
            ctx.actor.is_school_wide or Role.HEAD_TEACHER in ctx.actor.roles or (await _children(ctx))[1]
        )
    ):
        return Reply.refusal("座谈会由班主任、帮扶教师、爱心妈妈或校长登记。", private=True, not_allowed=True)
    note = text
    for child in named:
        note = note.replace(child.name, " ", 1)
    dated = await _day_of(ctx, re.sub(r"^[\s,，:：、]+", "", note).strip())
    if isinstance(dated, Reply):
        return dated
    day, note = dated
    if kind != "meeting" and not note:
        return Reply.refusal(f"请写上内容,例如: {EXAMPLES[kind]}", private=True)
    now = ctx.clock.now()
    targets: list[int | None] = [c.id for c in named] or [None]
    for student_id in targets:
        await ctx.uow.archives.add_record(
            ctx.actor.school_id,
            student_id,
            kind,
            day,
            ctx.actor.staff_id,
            note[:1000],
            ctx.actor.actor_ref,
            now,
            ctx.message.message_id,
        )
    ctx.audit(f"archive.{kind}", "、".join(c.name for c in named)[:100], day=day.isoformat())
    who = "、".join(c.name for c in named) or "全体"
    return Reply(f"已记录 {who} {day_label(day)} {LABELS[kind]}(仅教师可见)。", private=True)


# fmt: off
commands = Commands(roles=STAFF)
commands.add("关爱记录", "关爱记录 孩子 内容", "登记留守儿童关爱记录(计入本周谈心,仅教师可见)",
             _parser("关爱记录"), handle_record, example=EXAMPLES["care"])
commands.add("家访", "家访 孩子 内容", "登记家访(仅教师可见)", _parser("家访"), handle_record,
             example=EXAMPLES["visit"])
commands.add("座谈会", "座谈会 [孩子] 内容", "登记留守儿童座谈会(仅教师可见)", _parser("座谈会"),
             handle_record, example=EXAMPLES["meeting"])
# fmt: on
