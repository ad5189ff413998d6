"""晚点接, 早点接, 代接: a family tells the day's pickup plan (a later or earlier time, another person)."""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta

from bot.domain.children import Child
from bot.domain.commands import EarlyPickup, LatePickup, ProxyPickup
from bot.domain.messages import Push, Reply
from bot.handlers import care_parse
from bot.handlers.care_common import Refusal, care_times, days_in, days_label, kids_for
from bot.handlers.context import HandlerContext
from bot.handlers.registry import GUARDIANS, STAFF, Commands


async def _plan(ctx: HandlerContext, kid: Child, day: date, **values: object) -> None:
    await ctx.uow.pickups.plan(
        kid.id, day, ctx.actor.actor_ref, ctx.clock.now(), ctx.message.message_id, **values
    )


async def notice_days(ctx: HandlerContext, text: str, example: str) -> tuple[date, ...]:
    """The care days a pickup notice is for: the day it names (今天, 明天, 周三, 11月25日), else today while
    today's care is still on; after that the sender is asked to name the day."""
    dated = await days_in(ctx, text)
    if dated.explicit:
        return dated.days
    today = ctx.today()
    over = datetime.combine(today, care_times(ctx).end_for(today), tzinfo=ctx.settings.school.tz) + timedelta(
        minutes=ctx.settings.care.max_late_minutes
    )
    if ctx.now_local() > over:
        raise Refusal(f"今天的托管已经结束。如果是明天,请写: 明天{example}")
    return dated.days


async def handle_late(ctx: HandlerContext, command: LatePickup) -> Reply:
    text, at = command.text, command.at
    if at is None:
        return Reply.refusal("请告诉我大约几点接,例如: 今天晚点接 18:10")
    try:
        days = await notice_days(ctx, text, "晚点接 18:10")
        end = care_times(ctx).end_for(days[0])
        if at < end and not _LATE_WORD.search(text):  # 三点半来接: before care ends, an early pickup
            return await _early(ctx, text, at, days)
        latest = (
            datetime.combine(days[0], end) + timedelta(minutes=ctx.settings.care.max_late_minutes)
        ).time()
        if at < end:
            return Reply.refusal(
                f"托管 {end:%H:%M} 结束,{at:%H:%M} 来接不算晚。提前接请写: 早点接 {at:%H:%M}"
            )
        if at > latest:
            return Reply.refusal(
                f"托管最晚照看到 {latest:%H:%M}。{at:%H:%M} 接请直接与老师联系安排;"
                f"能在此前到,请写: 晚点接 {latest:%H:%M}"
            )
        kids = await kids_for(ctx, text, "王小明 今天晚点接 18:10")
    except Refusal as refusal:
        return refusal.reply()
    for kid in kids:
        for day in days:
            await _plan(ctx, kid, day, expected_time=at, early_time=None)
            ctx.audit(
                "late_notice", kid.name, student_id=kid.id, day=day.isoformat(), expected=at.isoformat()
            )
    names = "、".join(k.name for k in kids)
    return Reply(f"好的,已记录: {names} {days_label(days)} 约 {at:%H:%M} 接,老师会照看到那时。")


_LATE_WORD = re.compile(r"晚|迟")


async def handle_early(ctx: HandlerContext, command: EarlyPickup) -> Reply:
    text, at = command.text, command.at
    if at is None:
        return Reply.refusal("请告诉我几点来接,例如: 明天早点接 16:00")
    try:
        days = await notice_days(ctx, text, "早点接 16:00")
        return await _early(ctx, text, at, days)
    except Refusal as refusal:
        return refusal.reply()


async def _early(ctx: HandlerContext, text: str, at: time, days: tuple[date, ...]) -> Reply:
    """The child leaves care early that day: recorded, the class's teachers told privately, never late."""
    end = care_times(ctx).end_for(days[0])
    if at >= end:
        raise Refusal(f"托管 {end:%H:%M} 结束,{at:%H:%M} 不算提前。晚到请写: 晚点接 {at:%H:%M}")
    kids = await kids_for(ctx, text, "王小明 明天早点接 16:00")
    for kid in kids:
        for day in days:
            await _plan(ctx, kid, day, early_time=at, expected_time=None)
            ctx.audit("early_pickup", kid.name, student_id=kid.id, day=day.isoformat(), at=at.isoformat())
        for teacher in await ctx.uow.people.class_teachers(kid.class_group_id):
            ctx.push(
                Push(
                    key=f"early-pickup:{kid.id}:{days[0].isoformat()}:{ctx.message.message_id}:t{teacher}",
                    staff_id=teacher,
                    text=f"{kid.name} {days_label(days)} 将于 {at:%H:%M} 提前接走({ctx.actor.name}告知)。",
                )
            )
    names = "、".join(k.name for k in kids)
    return Reply(f"好的,已记录: {names} {days_label(days)} {at:%H:%M} 提前接走,已告知老师。")


async def handle_proxy(ctx: HandlerContext, command: ProxyPickup) -> Reply:
    who = command.who
    if not who:
        return Reply.refusal("请说明谁来接,例如: 今天外婆接")
    try:
        days = await notice_days(ctx, command.text, f"{who}接")
        kids = await kids_for(ctx, command.text, "王小明 今天外婆接")
    except Refusal as refusal:
        return refusal.reply()
    on = days_label(days)
    lines, name = [], command.name
    if who == "我":
        who = ctx.actor.name
    for kid in kids:
        relation = care_parse.RELATION_OF.get(who, who)
        match = next(
            (
                g
                for g in await ctx.uow.care.guardians_of(kid.id)
                if (g.relation == relation and (not name or g.name == name)) or g.name in {who, name}
            ),
            None,
        )
        authorised = match is not None and match.may_pickup
        person = f"{match.relation}{match.name}" if match else f"{who}{name}"
        for day in days:
            await _plan(ctx, kid, day, person=person, person_authorised=authorised)
            ctx.audit(
                "pickup_person",
                kid.name,
                student_id=kid.id,
                day=day.isoformat(),
                person=person,
                authorised=authorised,
            )
        if authorised:
            lines.append(f"好的,{kid.name} {on}由{person}接。")
            continue
        head = await ctx.uow.care.head_teacher_of(kid.class_group_id)
        if head is not None:
            ctx.push(
                Push(
                    key=f"proxy:{kid.id}:{days[0].isoformat()}:{ctx.message.message_id}",
                    text=f"{kid.name} {on}将由「{person}」接,此人不在可接送名单中,请交接时核实身份并与家长电话确认。",
                    staff_id=head,
                )
            )
        lines.append(f"已记录: {kid.name} {on}由「{person}」接。此人不在可接送名单中,老师交接时会核实。")
    return Reply("\n".join(lines))


# fmt: off
commands = Commands()
commands.add("晚点接", "今天晚点接 时间", "今天会晚到,告诉老师预计几点接", care_parse.parse_late, handle_late,
             example="今天晚点接 18:10", keywords=("晚点接", "晚接"))
commands.add("早点接", "明天早点接 16:00 / 今天三点半来接", "提前接孩子离开托管(老师会收到私信)",
             care_parse.parse_early, handle_early, example="明天早点接 16:00", keywords=("早点接", "提前接"))
commands.add("代接", "今天外婆接 / 代接 姓名", "今天换人来接", care_parse.parse_proxy, handle_proxy,
             example="今天外婆接", keywords=("代接", "外婆接", "爷爷接"), roles=GUARDIANS | STAFF)
# fmt: on
