"""到岗 / 离岗 (a teacher's working day, with its times) and 代班 (a substitute for a class or a course that day).

Answered privately: teachers' records are never shown in a group. The report: `tuoguan report workload`.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

from bot.domain.dates import find_dates
from bot.domain.messages import Reply
from bot.domain.workload import local_time
from bot.handlers.care_common import calendar_of, day_label
from bot.handlers.context import HandlerContext
from bot.handlers.registry import STAFF, Args, Commands

_CHECK_IN = re.compile(r"^(?:我)?(?:已经?)?(?:到岗|签到)(?:了|啦)?[。.!！~～]*$")
_CHECK_OUT = re.compile(r"^(?:我)?(?:已经?)?(?:离岗|签退)(?:了|啦)?[。.!！~～]*$")
_CLASS = re.compile(r"^[一二三四五六1-6]年级\d+班$")
SUB_USAGE = "代班 班级 老师,例如: 代班 三年级2班 张老师(也可以: 代班 明天 篮球 张丽)"


def parse_check_in(text: str) -> Args | None:
    return {} if _CHECK_IN.match(text.strip()) else None


def parse_check_out(text: str) -> Args | None:
    return {} if _CHECK_OUT.match(text.strip()) else None


def parse_substitute(text: str) -> Args | None:
    """`代班 三年级2班 张老师`, `代班 明天 篮球 张丽`: the target (a class or an X course), the teacher, the day."""
    m = re.match(r"^\s*代班\s*[:：]?\s*(.*)$", text, re.DOTALL)
    if not m:
        return None
    tokens = [t for t in re.split(r"[\s,，、]+", m.group(1).strip()) if t]
    target = next((t for t in tokens if _CLASS.match(t)), "")
    teacher = next((t for t in tokens if t.endswith("老师") and t != target), "")
    rest = [t for t in tokens if t not in (target, teacher)]
    if not teacher and rest:
        teacher = rest.pop()
    if not target and rest:
        target = rest.pop()
    return {"target": target, "teacher": teacher, "when": " ".join(rest)}


def _utc(at: datetime) -> datetime:
    return at.astimezone(UTC)


def _hm(ctx: HandlerContext, at: datetime, day: date) -> str:
    return local_time(at, day, ctx.settings.school.tz).strftime("%H:%M")


async def _care_day_refusal(ctx: HandlerContext, verb: str) -> Reply | None:
    calendar = await calendar_of(ctx)
    today = ctx.today()
    if calendar.is_care_day(today):
        return None
    return Reply.refusal(f"{day_label(today)}没有托管({calendar.why_not(today)}),无需{verb}。", private=True)


async def handle_check_in(ctx: HandlerContext, args: Args) -> Reply:
    assert ctx.actor.school_id is not None and ctx.actor.staff_id is not None
    refusal = await _care_day_refusal(ctx, "到岗")
    if refusal:
        return refusal
    today = ctx.today()
    at, new = await ctx.uow.staff.check_in(
        ctx.actor.school_id,
        ctx.actor.staff_id,
        today,
        _utc(ctx.clock.now()),
        ctx.message.message_id,
    )
    if not new:
        return Reply(f"您今天 {_hm(ctx, at, today)} 已到岗,无需重复登记。", private=True)
    ctx.audit("staff.check_in", ctx.actor.name, day=today.isoformat())
    return Reply(f"已登记到岗: {day_label(today)} {_hm(ctx, at, today)}。下班时请发「离岗」。", private=True)


async def handle_check_out(ctx: HandlerContext, args: Args) -> Reply:
    assert ctx.actor.school_id is not None and ctx.actor.staff_id is not None
    refusal = await _care_day_refusal(ctx, "离岗")
    if refusal:
        return refusal
    today = ctx.today()
    at, new, came = await ctx.uow.staff.check_out(
        ctx.actor.school_id,
        ctx.actor.staff_id,
        today,
        _utc(ctx.clock.now()),
        ctx.message.message_id,
    )
    if not new:
        return Reply(f"您今天 {_hm(ctx, at, today)} 已离岗,无需重复登记。", private=True)
    ctx.audit("staff.check_out", ctx.actor.name, day=today.isoformat())
    note = "" if came else "(今天没有到岗记录,请向校长说明到岗时间)"
    return Reply(f"已登记离岗: {day_label(today)} {_hm(ctx, at, today)}{note}。辛苦了!", private=True)


async def _substitute_day(ctx: HandlerContext, when: str) -> date | str:
    """The day named (today if none), or why it cannot be used."""
    if not when:
        return ctx.today()
    calendar = await calendar_of(ctx)
    found = find_dates(when, ctx.today(), calendar.is_care_day)
    if found is None or len(found.days) != 1:
        return f"请写明哪一天(只写一天),例如: {SUB_USAGE}"
    day = found.days[0]
    if not calendar.is_care_day(day):
        return f"{day_label(day)}没有托管({calendar.why_not(day)}),无需代班。"
    if abs((day - ctx.today()).days) > 31:
        return "代班只能登记前后一个月内的日子。"
    return day


async def _target(ctx: HandlerContext, name: str) -> tuple[str, str] | Reply:
    """("class:ID" | "course:ID", its name) if the sender may arrange it, else the refusal."""
    school_id = ctx.actor.school_id
    assert school_id is not None
    found = await ctx.uow.staff.class_named(school_id, name)
    if found is not None:
        if not ctx.actor.teaches(found.id):
            return Reply.refusal(
                f"只能为您的班级登记代班;{found.name}的代班请由其班主任或校长登记。",
                private=True,
                not_allowed=True,
            )
        return f"class:{found.id}", found.name
    course = await ctx.uow.staff.x_course_named(school_id, name)
    if course is None:
        return Reply.refusal(f"没有叫「{name[:12]}」的班级或兴趣课。{SUB_USAGE}", private=True)
    if not (ctx.actor.is_school_wide or course.teacher_id == ctx.actor.staff_id):
        return Reply.refusal(f"{course.name}的代班请由任课教师或校长登记。", private=True, not_allowed=True)
    return f"course:{course.id}", course.name


async def handle_substitute(ctx: HandlerContext, args: Args) -> Reply:
    school_id = ctx.actor.school_id
    assert school_id is not None
    if not args["target"] or not args["teacher"]:
        return Reply.refusal(f"请写明班级和代班老师: {SUB_USAGE}", private=True)
    target = await _target(ctx, args["target"])
    if isinstance(target, Reply):
        return target
    day = await _substitute_day(ctx, args["when"])
    if isinstance(day, str):
        return Reply.refusal(day, private=True)
    teachers = await ctx.uow.staff.staff_named(school_id, args["teacher"])
    if len(teachers) != 1:
        many = "、".join(t.name for t in teachers[:5])
        why = f"有几位老师: {many},请写全名" if teachers else "教师名单里没有这位老师,请写全名"
        return Reply.refusal(f"「{args['teacher'][:10]}」{why}。{SUB_USAGE}", private=True)
    teacher = teachers[0]
    before = await ctx.uow.staff.set_substitute(
        school_id,
        target[0],
        day,
        teacher.id,
        ctx.actor.actor_ref,
        _utc(ctx.clock.now()),
        ctx.message.message_id,
    )
    ctx.audit("staff.substitute", target[1], day=day.isoformat(), staff=teacher.id, replaced=before)
    again = "(已改为这位老师)" if before is not None and before != teacher.id else ""
    return Reply(
        f"已登记代班: {day_label(day)} {target[1]} 由 {teacher.name} 代班{again},"
        "当天的课时和人时计入代班老师。",
        private=True,
    )


# fmt: off
commands = Commands(roles=STAFF)
commands.add("到岗", "到岗", "托管教师到岗签到(记录时间,私信回复)", parse_check_in, handle_check_in,
             keywords=("到岗", "签到"))
commands.add("离岗", "离岗", "托管教师离岗签退(记录时间,私信回复)", parse_check_out, handle_check_out,
             keywords=("离岗", "签退"))
commands.add("代班", "代班 班级 老师", "登记某天的代班老师(课时和人时计入代班老师)", parse_substitute,
             handle_substitute, example="代班 三年级2班 张老师")
# fmt: on
