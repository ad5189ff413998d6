"""Lateness at pickup: the agreed time, minutes late, the term's repeated lateness and the optional late fee."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING

from bot.domain.care import expected_pickup, minutes_late
from bot.domain.care_day import ClassDay
from bot.domain.children import Child
from bot.domain.messages import Push
from bot.domain.school_calendar import calendar_term
from bot.handlers.care_common import calendar_of, care_times, staff_with_role
from bot.handlers.context import HandlerContext

if TYPE_CHECKING:
    from bot.domain.care_day import PickupRecord as Pickup


def agreed_time(ctx: HandlerContext, day: ClassDay, kid: Child) -> datetime:
    """When the child is due to be picked up: care end, or the late notice's time."""
    plan = day.plans.get(kid.id)
    end = care_times(ctx).end_for(day.day)
    return datetime.combine(
        day.day, expected_pickup(end, plan.expected_time if plan else None), tzinfo=ctx.settings.school.tz
    )


def minutes_late_at(ctx: HandlerContext, day: ClassDay, kid: Child, moment: datetime) -> int:
    """Minutes past the agreed time when the child left; 0 within `care.pickup_grace_minutes` or early."""
    agreed = agreed_time(ctx, day, kid)
    return minutes_late(
        agreed.time(), moment.astimezone(ctx.settings.school.tz), ctx.settings.care.pickup_grace_minutes
    )


def tell_late_privately(ctx: HandlerContext, kids: list[Child]) -> None:
    """Who was late goes to the confirming teacher one-to-one; the group reply gives only a count."""
    if ctx.actor.staff_id is None or not kids:
        return
    ctx.push(
        Push(
            key=f"late-recorded:{ctx.message.message_id}:{ctx.actor.staff_id}",
            staff_id=ctx.actor.staff_id,
            text="晚于约定时间接走(已记录): " + "、".join(kids_names(kids)) + "。",
        )
    )


def kids_names(kids: list[Child]) -> list[str]:
    return [k.name for k in kids]


async def _term(ctx: HandlerContext, day: date) -> tuple[date, date]:
    """The school's term holding `day` (its calendar entries; Sep-Jan / Feb-Aug when none), as fees use it."""
    return calendar_term(await calendar_of(ctx), day)


async def flag_repeated_lateness(ctx: HandlerContext, kid: Child, pickup: Pickup, day: date) -> None:
    """The Nth late pickup of a family in a term goes to the principal (once)."""
    if pickup.minutes_late <= 0:
        return
    guardians = await ctx.uow.care.guardians_of(kid.id)
    family = sorted({kid.id} | set(await ctx.uow.people.children_of([g.guardian_id for g in guardians])))
    start, end = await _term(ctx, day)
    count = await ctx.uow.pickups.late_count(family, start, end)
    if count != ctx.settings.care.late_flag_count:
        return
    phones = "、".join(f"{g.relation}{g.name} {g.phone}" for g in guardians)
    for principal in await staff_with_role(ctx, ("principal",)):
        ctx.push(
            Push(
                key=f"late-flag:{'-'.join(map(str, family))}:{start.isoformat()}:{count}:p{principal}",
                text=f"{kid.name} 本学期第{count}次晚接(今天晚 {pickup.minutes_late} 分钟)。家长: {phones}",
                staff_id=principal,
            )
        )


async def charge_late_fee(ctx: HandlerContext, kid: Child, pickup: Pickup, day: date) -> None:
    """A confirmed late pickup charges the optional per-minute late fee to the family ledger (once)."""
    fen_per_minute = ctx.settings.care.late_fee_fen_per_minute
    if fen_per_minute <= 0 or pickup.minutes_late <= 0 or pickup.state != "confirmed":
        return
    fen = pickup.minutes_late * fen_per_minute
    note = f"晚接 {pickup.minutes_late} 分钟 ({day.isoformat()})"
    if await ctx.uow.pickups.charge_late_fee(pickup, (await _term(ctx, day))[0], fen, note, ctx.clock.now()):
        ctx.audit("late_fee", kid.name, student_id=kid.id, fen=fen)
