"""费用 (a guardian's own statement, privately) and 缴费 (staff record a payment); amounts never in a group."""

from __future__ import annotations

import re
from datetime import date

from bot.domain import fees as rules
from bot.domain.messages import Reply
from bot.domain.school_calendar import calendar_term
from bot.handlers.context import HandlerContext
from bot.handlers.registry import GUARDIANS, STAFF, Args, Commands, keyword_parser

KIND_LABELS = {"charge": "应缴", "payment": "已缴", "refund": "退费", "settlement": "结算退还"}


def parse_pay(text: str) -> Args | None:
    m = re.fullmatch(r"缴费\s+(\S+)\s+(\S+)", text.strip())
    if not m:
        return None
    fen = rules.parse_yuan(m.group(2))
    return {"child": m.group(1), "fen": fen} if fen is not None else None


async def current_term(ctx: HandlerContext) -> tuple[date, date]:
    return calendar_term(await ctx.uow.calendar.of(ctx.actor.school_id or 0), ctx.today())


async def handle_statement(ctx: HandlerContext, args: Args) -> Reply:
    start, _ = await current_term(ctx)
    kids = {c.student_id: c.name for c in ctx.actor.children}
    lines = [f"费用明细({start:%Y年%m月}起本学期,仅您可见):"]
    rows = await ctx.uow.fees.entries(list(kids), start)
    for e in rows:
        lines.append(
            f"· {kids[e.student_id]} {KIND_LABELS.get(e.kind, e.kind)} {rules.yuan(e.fen)} 元 {e.note}"
        )
    if not rows:
        lines.append("· 暂无费用记录")
    lines.append(rules.settle((e.kind, e.fen) for e in rows).text)
    return Reply("\n".join(lines), private=True)


async def handle_pay(ctx: HandlerContext, args: Args) -> Reply:
    name, school_id = args["child"], ctx.actor.school_id
    found = await ctx.uow.enrollment.pupils_named(school_id, name)
    if len(found) != 1 or school_id is None:
        return Reply.refusal(
            f"没有找到唯一的学生「{name}」,请用 tuoguan fees pay 按学籍号登记。", private=True
        )
    ((student_id, class_id),) = found.items()
    if not (ctx.actor.is_school_wide or ctx.actor.teaches(class_id)):
        return Reply.refusal(f"{name} 不在您的班级。", not_allowed=True, private=True)
    start, _ = await current_term(ctx)
    await ctx.uow.fees.record_payment(
        school_id,
        student_id,
        args["fen"],
        start,
        ctx.clock.now(),
        key=f"pay:{ctx.message.platform}:{ctx.message.message_id}",
    )
    ctx.audit("fees.pay", name, fen=args["fen"])
    return Reply(f"已登记 {name} 缴费 {rules.yuan(args['fen'])} 元。", private=True)


# fmt: off
commands = Commands(roles=GUARDIANS)
commands.add("费用", "费用", "查看本学期费用明细(私信回复)",
             keyword_parser("费用", "我的费用", "账单", "缴费情况"), handle_statement,
             keywords=("费用", "缴费情况", "账单"), writes=False)
commands.add("缴费", "缴费 孩子 金额", "登记家长缴费(元)", parse_pay, handle_pay, example="缴费 王小明 160",
             roles=STAFF)
# fmt: on
