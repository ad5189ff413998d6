"""`duty-morning`, `patrol-log` and `clear-check`: the duty leader's day, each push one-to-one.

duty-morning tells the day's duty leader at 08:00. From the day's care end on (CareTimes, like the pickup
jobs), patrol-log sends the day's patrols to the principals and the duty leader; from care end plus
`duty.clear_check_minutes`, clear-check tells the principals when no 清校完毕 has come. Both run every five
minutes in the afternoon and evening; their keys are per day and person, so a re-run never sends twice.
A school with no 值班 sheet at all gets neither evening push.
"""

from __future__ import annotations

from datetime import timedelta

from bot.domain import duty as rules
from bot.domain.care import CareTimes
from bot.domain.messages import Push
from bot.jobs.registry import JobContext, JobSpec, same_evening, within

EVENING = {"day_of_week": "mon-sun", "hour": "15-22", "minute": "*/5"}


async def duty_morning(ctx: JobContext) -> str:
    async with ctx.deps.db.unit_of_work() as uow:
        leader = await uow.duty.leader(ctx.school_id, ctx.day)
        classes = [name for _, name in await uow.notices.classes_with_pupils(ctx.school_id)]
    if leader is None:
        return "今天没有排带班领导"
    ctx.push(
        Push(
            key=f"duty-morning:{ctx.day.isoformat()}:s{leader[0]}",
            staff_id=leader[0],
            text=rules.morning_text(ctx.day, classes),
        )
    )
    return f"已告知带班领导 {leader[1]}"


async def patrol_log(ctx: JobContext) -> str:
    end = CareTimes.from_settings(ctx.deps.settings.care).end_for(ctx.day)
    if not rules.service_ended(end, ctx.at):
        return "托管尚未结束"
    tz = ctx.deps.settings.school.tz
    async with ctx.deps.db.unit_of_work() as uow:
        if not await uow.duty.in_use(ctx.school_id):
            return "未排值班表"
        leader = await uow.duty.leader(ctx.school_id, ctx.day)
        patrols = await uow.duty.patrols_of_day(ctx.school_id, ctx.day)
        classes = await uow.notices.classes_with_pupils(ctx.school_id)
        principals = await uow.people.staff_with_role(ctx.school_id, ("principal",))
    visited = {p.class_group_id for p in patrols}
    lines = [rules.PatrolLine(p.at.astimezone(tz), p.class_name, p.ok, p.note, p.by) for p in patrols]
    text = rules.patrol_log_text(
        ctx.day, leader[1] if leader else "", lines, [name for cid, name in classes if cid not in visited]
    )
    targets = list(dict.fromkeys([*principals, *([leader[0]] if leader else [])]))
    for staff_id in targets:
        ctx.push(Push(key=f"patrol-log:{ctx.day.isoformat()}:s{staff_id}", staff_id=staff_id, text=text))
    return f"巡课 {len(patrols)} 次,发给 {len(targets)} 人"


async def clear_check(ctx: JobContext) -> str:
    end = CareTimes.from_settings(ctx.deps.settings.care).end_for(ctx.day)
    minutes = ctx.deps.settings.duty.clear_check_minutes
    if not rules.clear_check_due(end, minutes, ctx.at):
        return "未到清校检查时间"
    async with ctx.deps.db.unit_of_work() as uow:
        if not await uow.duty.in_use(ctx.school_id):
            return "未排值班表"
        if await uow.duty.clearance_of_day(ctx.school_id, ctx.day) is not None:
            return "已清校"
        leader = await uow.duty.leader(ctx.school_id, ctx.day)
        waiting = sum(len(names) for names in (await uow.duty.waiting(ctx.school_id, ctx.day)).values())
        principals = await uow.people.staff_with_role(ctx.school_id, ("principal",))
    text = rules.clear_missing_text(ctx.day, end, minutes, leader[1] if leader else "", waiting)
    for staff_id in principals:
        ctx.push(Push(key=f"clear-check:{ctx.day.isoformat()}:p{staff_id}", staff_id=staff_id, text=text))
    return f"未清校,告知 {len(principals)} 位校长"


JOBS = [
    JobSpec(
        "duty-morning",
        "早上私信告知当天的带班领导",
        {"day_of_week": "mon-sun", "hour": 8, "minute": 0},
        duty_morning,
        still_useful=within(timedelta(hours=4)),
    ),
    JobSpec(
        "patrol-log",
        "托管结束时把当天巡课记录私信给校长和带班领导",
        EVENING,
        patrol_log,
        still_useful=same_evening,
    ),
    JobSpec(
        "clear-check",
        "托管结束后一段时间仍未「清校完毕」则私信告知校长",
        EVENING,
        clear_check,
        still_useful=same_evening,
    ),
]
