"""已接走, 未接走 and the late batch's 接走时间: who left care, when, and who is still waiting."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from bot.domain.care_day import ClassDay, PickupRecord
from bot.domain.children import Child
from bot.domain.commands import Picked, PickupTime
from bot.domain.messages import Push, Reply
from bot.handlers import care_parse
from bot.handlers.care_common import (
    Refusal,
    class_of_chat,
    kids_for,
    kids_named_in_class,
)
from bot.handlers.care_lateness import (
    charge_late_fee,
    flag_repeated_lateness,
    minutes_late_at,
    tell_late_privately,
)
from bot.handlers.context import HandlerContext
from bot.handlers.registry import KNOWN, STAFF, Args, Commands


async def handle_picked(ctx: HandlerContext, command: Picked) -> Reply:
    text, everyone = command.text, command.everyone
    try:
        if ctx.actor.is_staff:
            class_id = await class_of_chat(ctx)
            roster = await ctx.uow.care.kids_of_class(class_id)
            day = await ctx.uow.care.class_day(roster, ctx.today())
            kids = day.waiting() if everyone else await kids_named_in_class(ctx, text, class_id)
            if not kids:
                if everyone:
                    return Reply("没有待接的孩子了。")
                return Reply.refusal("请写出孩子的姓名,例如: 王小明 已接走")
            at = given_time(ctx, command.at)
            return await _confirm(ctx, day, kids, at, batch=everyone or len(kids) > 1)
        kids = await kids_for(ctx, text, "王小明 已接走")
    except Refusal as refusal:
        return refusal.reply()
    day = await ctx.uow.care.class_day(kids, ctx.today())
    return await _claim(ctx, day, kids)


def given_time(ctx: HandlerContext, said: time | None) -> datetime | None:
    """The time a teacher says the children left (`17:35 全部已接走`) today; never later than now."""
    if said is None:
        return None
    at = datetime.combine(ctx.today(), said, tzinfo=ctx.settings.school.tz)
    if at > ctx.now_local():
        raise Refusal(f"接走时间 {said:%H:%M} 还没到,请写实际接走的时间,例如: 17:35 全部已接走")
    return at.astimezone(ctx.clock.now().tzinfo)  # stored as the clock gives times (UTC in production)


def _expected(ctx: HandlerContext, day: ClassDay, kid: Child) -> int:
    return minutes_late_at(ctx, day, kid, ctx.now_local())


async def _confirm(
    ctx: HandlerContext, day: ClassDay, kids: list[Child], at: datetime | None = None, *, batch: bool = False
) -> Reply:
    done, notes, late, unknown = [], [], 0, []
    for kid in kids:
        if day.on_leave(kid):
            notes.append(f"{kid.name}今天请假")
            continue
        pickup = day.pickups.get(kid.id)
        if pickup is not None and pickup.state == "confirmed":
            done.append(kid.name)
            continue
        pickup, ask_when = await _confirm_one(ctx, day, kid, at, batch)
        if ask_when:
            unknown.append(kid)
        done.append(kid.name)
        late += pickup.minutes_late > 0
    lines = []
    if done:
        lines.append("已确认接走: " + "、".join(done))
    if late:  # not in the reply: a group must not learn which named child was late
        tell_late_privately(ctx, [k for k in kids if (p := day.pickups.get(k.id)) and p.minutes_late > 0])
    if unknown:
        await ask_pickup_time(ctx, day, unknown)
        lines.append(f"其中 {len(unknown)} 人已过约定时间,接走时间另行私信询问。")
    if notes:
        lines.append(";".join(notes) + "。")
    waiting = [k.name for k in day.waiting()] if len(day.kids) > len(kids) else []
    if waiting:
        lines.append(f"还有 {len(waiting)} 人待接。")
    return Reply("\n".join(lines) or "没有需要确认的孩子。")


async def _confirm_one(
    ctx: HandlerContext, day: ClassDay, kid: Child, at: datetime | None, batch: bool
) -> tuple[PickupRecord, bool]:
    """A teacher confirms one child left (a guardian's claim, or a pickup recorded now), with its lateness;
    and whether to ask when the child really left (recorded late in a batch, the time not known)."""
    now, pickup, ask_when = ctx.clock.now(), day.pickups.get(kid.id), False
    if pickup is None:
        plan = day.plans.get(kid.id)
        left = at or now
        minutes = minutes_late_at(ctx, day, kid, left)
        # Confirmed late in a batch: when the child really left is not known; ask, count nothing yet.
        known = not (at is None and batch and minutes > 0)
        pickup = await ctx.uow.pickups.add_pickup(
            student_id=kid.id,
            day=day.day,
            state="confirmed",
            picked_up_at=left,
            picked_up_by=plan.person if plan else "",
            minutes_late=minutes if known else 0,
            time_known=known,
            message_id=ctx.message.message_id,
        )
        day.pickups[kid.id], ask_when = pickup, not known
    elif at is not None:
        pickup.picked_up_at, pickup.time_known = at, True
        pickup.minutes_late = minutes_late_at(ctx, day, kid, at)
    pickup.state, pickup.confirmed_by, pickup.confirmed_at = "confirmed", ctx.actor.actor_ref, now
    await ctx.uow.pickups.save(pickup)
    ctx.audit(
        "pickup_confirmed",
        kid.name,
        student_id=kid.id,
        minutes_late=pickup.minutes_late,
        time_known=pickup.time_known,
    )
    await flag_repeated_lateness(ctx, kid, pickup, day.day)
    await charge_late_fee(ctx, kid, pickup, day.day)
    return pickup, ask_when


async def ask_pickup_time(ctx: HandlerContext, day: ClassDay, kids: list[Child]) -> None:
    """Store the question durably: the teacher's bare `17:35` within `care.answer_minutes` answers it."""
    minutes = ctx.settings.care.answer_minutes
    if ctx.actor.staff_id is not None:  # privately: lateness of named children is never said in a group
        ctx.push(
            Push(
                key=f"pickup-time:{ctx.message.message_id}:{ctx.actor.staff_id}",
                staff_id=ctx.actor.staff_id,
                text=f"{'、'.join(k.name for k in kids)} 确认时已过约定时间。请回复他们实际接走的时间,例如: 17:35"
                f"({minutes}分钟内;不回复则记为时间不详,不计晚接)。",
            )
        )
    await ctx.uow.pickups.ask_time(
        kids[0].class_group_id,
        day.day,
        ctx.actor.actor_ref,
        [k.id for k in kids],
        ctx.clock.now(),
        ctx.message.message_id,
    )


async def handle_pickup_time(ctx: HandlerContext, command: PickupTime) -> Reply:
    """A teacher's bare `17:35`: the time the children of their last late batch left."""
    question = await ctx.uow.pickups.open_question(
        ctx.actor.actor_ref, ctx.clock.now(), timedelta(minutes=ctx.settings.care.answer_minutes)
    )
    if question is None:
        return Reply.refusal("没有等您回复的接走时间。要记录接走时间请写: 陈思远 17:40 已接走", private=True)
    try:
        at = given_time(ctx, command.at)
    except Refusal as refusal:
        return refusal.reply()
    assert at is not None
    kids = await ctx.uow.care.kids_by_ids(list(question.student_ids))
    day = await ctx.uow.care.class_day(kids, question.day)
    names, late = [], 0
    for kid in kids:
        pickup = day.pickups.get(kid.id)
        if pickup is None or pickup.time_known:
            continue
        pickup.picked_up_at, pickup.time_known = at, True
        pickup.minutes_late = minutes_late_at(ctx, day, kid, at)
        await ctx.uow.pickups.save(pickup)
        ctx.audit(
            "pickup_time", kid.name, student_id=kid.id, at=at.isoformat(), minutes_late=pickup.minutes_late
        )
        await flag_repeated_lateness(ctx, kid, pickup, day.day)
        await charge_late_fee(ctx, kid, pickup, day.day)
        names.append(kid.name)
        late += pickup.minutes_late > 0
    await ctx.uow.pickups.answered(question.id, ctx.clock.now())
    if not names:
        return Reply("这些孩子的接走时间已经记录过了。", private=True)
    tail = f",其中 {late} 人晚于约定时间,已记录" if late else ",均未超过约定时间"
    local = at.astimezone(ctx.settings.school.tz)
    return Reply(f"已记录 {'、'.join(names)} 于 {local:%H:%M} 接走{tail}。", private=True)


async def _claim(ctx: HandlerContext, day: ClassDay, kids: list[Child]) -> Reply:
    now, self_confirm, lines = ctx.clock.now(), ctx.settings.care.guardian_self_confirm, []
    for kid in kids:
        if day.on_leave(kid):
            lines.append(f"{kid.name}今天请假,无需确认接走。")
            continue
        pickup = day.pickups.get(kid.id)
        if pickup is None:
            pickup = await ctx.uow.pickups.add_pickup(
                student_id=kid.id,
                day=day.day,
                state="claimed",
                picked_up_at=now,
                picked_up_by=ctx.actor.name,
                minutes_late=_expected(ctx, day, kid),
                time_known=True,
                message_id=ctx.message.message_id,
            )
        pickup.claimed_by = ctx.actor.actor_ref
        may_pickup = await _claimant_may_pickup(ctx, kid)
        if self_confirm and may_pickup and pickup.state != "confirmed":
            pickup.state, pickup.confirmed_by, pickup.confirmed_at = "confirmed", ctx.actor.actor_ref, now
        await ctx.uow.pickups.save(pickup)
        if not may_pickup:
            await _warn_not_authorised(ctx, kid)
        ctx.audit("pickup_claimed", kid.name, student_id=kid.id, may_pickup=may_pickup)
        await flag_repeated_lateness(ctx, kid, pickup, day.day)
        await charge_late_fee(ctx, kid, pickup, day.day)
        state = "已确认" if pickup.state == "confirmed" else "等老师确认"
        lines.append(f"已记录: {kid.name} 由{ctx.actor.name}接走({state})。")
        if not may_pickup:
            lines.append("您不在可接送名单中,老师会核实。")
    return Reply("\n".join(lines))


async def _claimant_may_pickup(ctx: HandlerContext, kid: Child) -> bool:
    """Is the sender on the child's pickup list (可接送)? Someone not a guardian of the child is not."""
    guardians = await ctx.uow.care.guardians_of(kid.id)
    return any(g.guardian_id == ctx.actor.guardian_id and g.may_pickup for g in guardians)


async def _warn_not_authorised(ctx: HandlerContext, kid: Child) -> None:
    """A claim by a guardian marked 不可接送: the class's teachers hear at once, privately."""
    for teacher in await ctx.uow.people.class_teachers(kid.class_group_id):
        ctx.push(
            Push(
                key=f"unauthorised-claim:{kid.id}:{ctx.today().isoformat()}:{ctx.message.message_id}:t{teacher}",
                text=f"请注意: {ctx.actor.name}(不在{kid.name}的可接送名单中)说已接走{kid.name}。"
                "此记录不算确认,请立即核实孩子去向并与家长电话联系。",
                staff_id=teacher,
            )
        )


async def handle_not_picked(ctx: HandlerContext, args: Args) -> Reply:
    try:
        class_id = await class_of_chat(ctx)
    except Refusal as refusal:
        return refusal.reply()
    day = await ctx.uow.care.class_day(await ctx.uow.care.kids_of_class(class_id), ctx.today())
    waiting = day.waiting()
    if not waiting:
        return Reply("全部已接走 ✓")
    names = []
    for kid in waiting:
        plan = day.plans.get(kid.id)
        note = f"(约{plan.expected_time:%H:%M})" if plan and plan.expected_time else ""
        claimed = "(家长说已接,待确认)" if kid.id in day.pickups else ""
        names.append(f"{kid.name}{note}{claimed}")
    # The names say who is (or soon is) late: the list goes to the teacher privately, the group gets a note.
    return Reply(f"未接走 {len(waiting)} 人({ctx.now_local():%H:%M}): " + "、".join(names), private=True)


# fmt: off
commands = Commands(roles=STAFF)
commands.add("未接走", "未接走", "列出还没接走的孩子", care_parse.parse_not_picked, handle_not_picked,
             keywords=("未接走", "没接走"), writes=False)
commands.add("接走时间", "17:35", "回复晚确认的一批孩子实际接走的时间", care_parse.parse_bare_time,
             handle_pickup_time)
commands.add("已接走", "[姓名…] 已接走 / 全部已接走", "记录孩子已被接走(老师确认;家长发送则待老师确认)",
             care_parse.parse_picked, handle_picked, example="王小明 已接走",
             keywords=("已接走", "接走了", "全部已接走"), roles=KNOWN)
# fmt: on
