"""巡课 (a patrol of a class) and 清校完毕 (the school checked empty): by the day's duty leader or the principal.

Both answer privately (none of the duty records is shown in a group). 清校完毕 is refused while the register
still has children in care not picked up (the care day's own notion: ClassDay.waiting).
"""

from __future__ import annotations

from bot.domain import duty as rules
from bot.domain.actors import SCHOOL_WIDE
from bot.domain.messages import Reply
from bot.handlers.care_common import calendar_of
from bot.handlers.context import HandlerContext
from bot.handlers.registry import STAFF, Args, Commands
from bot.store.duty import NewPatrol

PATROL_USAGE = "巡课 三年级2班 正常 或 巡课 三年级2班 有问题 说明"
NAMES_SHOWN = 30


def parse_patrol(text: str) -> Args | None:
    found = rules.parse_patrol(text)
    return {"class_word": found.class_word, "ok": found.ok, "note": found.note} if found else None


def parse_clear(text: str) -> Args | None:
    return {} if rules.is_clearance(text) else None


async def _on_duty(ctx: HandlerContext, what: str) -> Reply | None:
    """None when the sender may do `what` today (the day's duty leader, or the principal); else the refusal."""
    school_id = ctx.actor.school_id
    assert school_id is not None
    if ctx.actor.roles & SCHOOL_WIDE:
        return None
    leader = await ctx.uow.duty.leader(school_id, ctx.today())
    if leader is not None and leader[0] == ctx.actor.staff_id:
        return None
    today = rules.day_label(ctx.today())
    who = f"今天({today})的带班领导是 {leader[1]}," if leader else f"今天({today})值班表上没有您,"
    return Reply.refusal(f"{who}{what}由带班领导或校长登记。", not_allowed=True, private=True)


async def _no_care_today(ctx: HandlerContext) -> Reply | None:
    calendar = await calendar_of(ctx)
    if calendar.is_care_day(ctx.today()):
        return None
    return Reply.refusal(f"今天没有托管({calendar.why_not(ctx.today())}),无需登记。", private=True)


async def handle_patrol(ctx: HandlerContext, args: Args) -> Reply:
    school_id = ctx.actor.school_id
    assert school_id is not None
    refusal = await _on_duty(ctx, "巡课") or await _no_care_today(ctx)
    if refusal is not None:
        return refusal
    classes = await ctx.uow.notices.classes_with_pupils(school_id)
    if not args["class_word"]:
        return Reply.refusal(f"请写明巡查的班级和情况,例如: {PATROL_USAGE}", private=True)
    key = rules.class_key(args["class_word"])
    found = [(cid, name) for cid, name in classes if rules.class_key(name) == key]
    if not found:
        names = "、".join(name for _, name in classes) or "无"
        return Reply.refusal(f"没有找到班级「{args['class_word']}」。本校班级: {names}", private=True)
    class_id, class_name = found[0]
    if args["ok"] is None:
        return Reply.refusal(
            f"请写明{class_name}的巡课情况: 巡课 {class_name} 正常 或 巡课 {class_name} 有问题 说明",
            private=True,
        )
    if args["ok"] is False and not args["note"]:
        return Reply.refusal(
            f"请写明发现的问题,例如: 巡课 {class_name} 有问题 两名学生追逐打闹", private=True
        )
    now = ctx.clock.now()
    count = len(await ctx.uow.duty.patrols_of_day(school_id, ctx.today())) + 1
    await ctx.uow.duty.record_patrol(
        NewPatrol(
            school_id,
            ctx.today(),
            class_id,
            args["ok"],
            args["note"],
            ctx.actor.staff_id,
            now,
            ctx.message.message_id,
        )
    )
    ctx.audit("duty.patrol", class_name, ok=args["ok"], note=args["note"])
    state = "正常" if args["ok"] else f"有问题: {args['note']}"
    return Reply(
        f"已记录 {ctx.now_local():%H:%M} {class_name} 巡课: {state}(今天第 {count} 次巡课)。"
        "托管结束时巡课记录会发给校长和带班领导。",
        private=True,
    )


def _waiting_lines(days: dict[int, list[str]], names: dict[int, str]) -> list[str]:
    lines = []
    for class_id, kids in days.items():
        more = f" 等 {len(kids)} 人" if len(kids) > NAMES_SHOWN else ""
        lines.append(f"· {names.get(class_id, '')}: {'、'.join(kids[:NAMES_SHOWN])}{more}")
    return lines


async def handle_clear(ctx: HandlerContext, args: Args) -> Reply:
    school_id = ctx.actor.school_id
    assert school_id is not None
    refusal = await _on_duty(ctx, "清校") or await _no_care_today(ctx)
    if refusal is not None:
        return refusal
    today = ctx.today()
    done = await ctx.uow.duty.clearance_of_day(school_id, today)
    if done is not None:
        at, by = done
        return Reply(
            f"今天已确认清校({at.astimezone(ctx.settings.school.tz):%H:%M} {by}),无需重复。", private=True
        )
    waiting = await ctx.uow.duty.waiting(school_id, today)
    if waiting:
        names = dict(await ctx.uow.notices.classes_with_pupils(school_id))
        total = sum(len(k) for k in waiting.values())
        lines = [
            f"登记中还有 {total} 名学生在托管、未确认接走,暂不能清校:",
            *_waiting_lines(waiting, names),
            "请核实并由老师确认接走(例如: 王小明 已接走),全部离校后再发送「清校完毕」。谢谢!",
        ]
        return Reply.refusal("\n".join(lines), private=True)
    await ctx.uow.duty.record_clearance(
        school_id, today, ctx.actor.staff_id, ctx.clock.now(), ctx.message.message_id
    )
    ctx.audit("duty.clear", rules.day_label(today))
    return Reply(f"已记录 {ctx.now_local():%H:%M} 清校完毕,今天的学生已全部离校。辛苦了!", private=True)


# fmt: off
commands = Commands(roles=STAFF)
commands.add("巡课", PATROL_USAGE, "带班领导或校长登记巡课情况(托管结束时汇总给校长)", parse_patrol,
             handle_patrol, example="巡课 三年级2班 正常")
commands.add("清校完毕", "清校完毕", "带班领导确认学生已全部离校、校园已清查", parse_clear, handle_clear,
             keywords=("清校完毕", "清校"))
# fmt: on
