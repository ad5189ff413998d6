"""校车 一号线 已上车 [缺 张三 李四]: who boarded at departure (they left care, like a pickup) and who is missing.

Boarded: every rider of the line in care today, not on leave or absent, not already picked up, minus those
named missing (names resolved among the line's riders; an unknown name refuses the whole message). The riders'
guardians are told one-to-one (the driver's phone only there); the group hears counts, the sender gets the names
privately. A missing rider still in care is escalated by the late-pickup job (bot/jobs/pickup.py) with the
departure as their agreed time.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from bot.domain import bus as rules
from bot.domain.children import Child
from bot.domain.messages import Push, Reply
from bot.handlers.care_common import Refusal, calendar_of
from bot.handlers.context import HandlerContext
from bot.handlers.registry import STAFF, Args, Commands
from bot.handlers.resolve import find_kids, join_han
from bot.store.bus import Departed, is_bus_pickup
from bot.store.care import ClassDay


def parse_boarding(text: str) -> Args | None:
    return rules.parse_boarding(text)


def _which_line(word: str, lines: Sequence[rules.LineFacts]) -> str:
    if not lines:
        return "本校还没有登记校车线路(花名册 校车 表)。"
    known = "、".join(line.name for line in lines)
    if not word:
        return f"请写明线路,例如: 校车 {lines[0].name} 已上车(本校线路: {known})"
    return f"没有找到校车线路「{word}」。本校线路: {known}。例如: 校车 {lines[0].name} 已上车"


def _named_missing(text: str, riders: list[Child], line: rules.LineFacts) -> set[int]:
    """The riders named after 缺, by full name; any other word refuses the message (nothing is written)."""
    if not text:
        return set()
    found = find_kids(text, riders, look_for_unknown=False, short_forms=False)
    leftover = join_han(text)
    for word in found.words:
        leftover = leftover.replace(word, " ", 1)
    for word in rules.missing_words(leftover):
        close = find_kids(word, riders, short_forms=False).unknown
        guess = f",是「{close[0][1]}」吗?" if close and close[0][1] else "。"
        raise Refusal(f"校车 {line.name} 的乘车学生中没有「{word}」{guess}请核对后重发,例如: {rules.EXAMPLE}")
    for kid in found.kids:
        if sum(k.name == kid.name for k in riders) > 1:
            raise Refusal(
                f"校车 {line.name} 有不止一名乘车学生叫「{kid.name}」,无法区分,请联系管理员在花名册中区分姓名。"
            )
    return {k.id for k in found.kids}


def _rider_day(day: ClassDay, kid: Child, missing: set[int], in_care: set[int]) -> rules.RiderDay:
    pickup = day.pickups.get(kid.id)
    left = pickup is not None and not is_bus_pickup(pickup)
    return rules.RiderDay(
        kid.id, kid.id in in_care, day.on_leave(kid), day.absent(kid), left, kid.id in missing
    )


async def _tell_guardians(
    ctx: HandlerContext,
    line: rules.LineFacts,
    names: dict[int, str],
    gone: rules.Departure,
    departed: datetime,
) -> None:
    """One-to-one to each guardian: on the bus (line, plate, driver and phone) or not on it."""
    contacts = await ctx.uow.bus.guardian_contacts([*gone.boarded, *gone.missing])
    day = departed.date().isoformat()
    for sid, on_bus in [*((s, True) for s in gone.boarded), *((s, False) for s in gone.missing)]:
        note = rules.boarded_note if on_bus else rules.missing_note
        for guardian in contacts.get(sid, []):
            ctx.push(
                Push(
                    key=f"bus:{day}:{sid}:{'on' if on_bus else 'off'}:g{guardian.guardian_id}",
                    guardian_id=guardian.guardian_id,
                    text=note(names[sid], line, departed),
                )
            )


def _names(gone: rules.Departure, names: dict[int, str]) -> dict[str, list[str]]:
    return {
        key: [names[i] for i in getattr(gone, key)]
        for key in ("boarded", "missing", "on_leave", "left", "not_in_care")
    }


async def _line_of(ctx: HandlerContext, word: str) -> rules.LineFacts:
    assert ctx.actor.school_id is not None
    if not (await calendar_of(ctx)).is_care_day(ctx.today()):
        raise Refusal("今天没有托管,不用记录校车。")
    lines = await ctx.uow.bus.school_lines(ctx.actor.school_id)
    line = rules.find_line(word, lines)
    if line is None:
        raise Refusal(_which_line(word, lines))
    return line


async def _sorted(
    ctx: HandlerContext, line: rules.LineFacts, missing_text: str
) -> tuple[list[Child], rules.Departure]:
    """The line's riders and where each of them is at departure; a wrong name refuses."""
    riders = await ctx.uow.bus.riders(line.id)
    if not riders:
        raise Refusal(f"校车 {line.name} 没有登记乘车学生(花名册 学生 表的 校车线路 列)。")
    missing = _named_missing(missing_text, riders, line)
    day = await ctx.uow.care.class_day(riders, ctx.today())
    in_care = {k.id for k in day.expected}
    return riders, rules.sort_riders(_rider_day(day, kid, missing, in_care) for kid in riders)


async def handle_boarding(ctx: HandlerContext, args: Args) -> Reply:
    if args.get("bad"):
        return Reply.refusal(f"没看懂未上车的名单。请写: {rules.EXAMPLE}(全部上车: 校车 一号线 已上车)")
    try:
        line = await _line_of(ctx, args["line"])
        riders, gone = await _sorted(ctx, line, args["missing"])
    except Refusal as refusal:
        return refusal.reply()
    departed = Departed(line, ctx.today(), ctx.clock.now(), ctx.actor.actor_ref, ctx.message.message_id)
    clear = (*gone.on_leave, *gone.not_in_care, *gone.left)
    await ctx.uow.bus.record_departure(departed, boarded=gone.boarded, missing=gone.missing, clear=clear)
    local, names = ctx.now_local(), {k.id: k.name for k in riders}
    await _tell_guardians(ctx, line, names, gone, local)
    ctx.audit("bus.boarding", line.name, boarded=list(gone.boarded), missing=list(gone.missing))
    reply, detail = (
        rules.teacher_reply(line, local, gone),
        rules.teacher_list(line, local, _names(gone, names)),
    )
    if not ctx.message.is_group:
        return Reply(f"{reply}\n{detail}")
    if ctx.actor.staff_id is not None:  # no child is named in a group: the names go to the sender alone
        key = f"bus-list:{ctx.message.message_id}:{ctx.actor.staff_id}"[:200]
        ctx.push(Push(key=key, staff_id=ctx.actor.staff_id, text=detail))
    return Reply(f"{reply}名单已私信给您。")


# fmt: off
commands = Commands(roles=STAFF)
commands.add("校车", rules.USAGE, "发车时记录乘车学生上车情况(家长私信收到)", parse_boarding, handle_boarding,
             example=rules.EXAMPLE, keywords=("校车", "已上车"))
# fmt: on
