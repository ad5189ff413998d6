"""点名, 缺席, 到了: today's roll call for a class; an unnotified absence is told to the guardians privately."""

from __future__ import annotations

from datetime import date

from bot.domain.care_day import ClassDay
from bot.domain.messages import Push, Reply
from bot.domain.school_calendar import calendar_term
from bot.handlers import care_parse
from bot.handlers.care_common import (
    WEEKDAY_CN,
    Refusal,
    calendar_of,
    class_of_chat,
    day_label,
    kids_named_in_class,
    staff_with_role,
)
from bot.handlers.context import HandlerContext
from bot.handlers.registry import STAFF, Args, Commands
from bot.handlers.resolve import find_kids


def counts_line(day: ClassDay) -> str:
    expected = day.expected
    leave = sum(1 for k in expected if day.on_leave(k))
    absent = sum(1 for k in expected if day.absent(k))
    return f"应到 {len(expected)} 实到 {len(expected) - leave - absent} 请假 {leave} 缺席 {absent}"


async def handle_rollcall(ctx: HandlerContext, args: Args) -> Reply:
    try:
        class_id = await class_of_chat(ctx)
    except Refusal as refusal:
        return refusal.reply()
    day = await ctx.uow.care.class_day(await ctx.uow.care.kids_of_class(class_id), ctx.today())
    name = await ctx.uow.people.class_name(class_id)
    lines = [counts_line(day), f"{name} {day_label(day.day)} {ctx.now_local():%H:%M} 点名"]
    on_leave = [k.name for k in day.expected if day.on_leave(k)]
    absent = [k.name for k in day.expected if day.absent(k)]
    if on_leave:
        lines.append("请假: " + "、".join(on_leave))
    if absent:
        lines.append("缺席: " + "、".join(absent))
    present = [k.name for k in day.expected if day.present(k)]
    lines.append("在托: " + ("、".join(present) if present else "无"))
    lines.append(
        "没来的孩子请回复: 缺席 姓名" + ("" if day.roll_called else ";都在请回复: 全部到齐(今天还未点名)")
    )
    # Who is on leave or absent is not for the class group to read: the teacher gets the list privately.
    return Reply("\n".join(lines), private=bool(on_leave or absent))


async def _mark(ctx: HandlerContext, text: str, status: str) -> Reply:
    try:
        class_id = await class_of_chat(ctx)
        kids = await kids_named_in_class(ctx, text, class_id)
    except Refusal as refusal:
        return refusal.reply()
    if not kids:
        return Reply.refusal("请写出孩子的姓名,例如: " + ("缺席 张三" if status == "absent" else "到了 张三"))
    day = await ctx.uow.care.class_day(kids, ctx.today())
    now, lines = ctx.clock.now(), []
    for kid in kids:
        if status == "absent" and day.on_leave(kid):
            lines.append(f"{kid.name}今天已请假,不算缺席。")
            continue
        await ctx.uow.care.set_mark(day, kid.id, status, ctx.actor.actor_ref, now, ctx.message.message_id)
        ctx.audit(f"mark_{status}", kid.name, student_id=kid.id, day=day.day.isoformat())
        if status == "absent":
            await _tell_unnotified_absence(ctx, kid.id, kid.name, kid.class_group_id, day.day.isoformat())
            await ctx.uow.flush()
            await _flag_repeated_absence(ctx, kid.id, kid.name, kid.class_group_id, day.day)
            lines.append(f"已记录: {kid.name} 今天缺席(未请假),已私信告知家长。")
        else:
            lines.append(f"已记录: {kid.name} 已到。")
    # An absence of a named child is never said in a group: the teacher gets it one-to-one, the group a note.
    return Reply("\n".join(lines), private=status == "absent")


async def _tell_unnotified_absence(
    ctx: HandlerContext, student_id: int, name: str, class_id: int, day: str
) -> None:
    for guardian in await ctx.uow.care.guardians_of(student_id):
        ctx.push(
            Push(
                key=f"absent:{student_id}:{day}:g{guardian.guardian_id}",
                text=f"{guardian.name}您好: {name}今天没有到托管班,也没有请假。请尽快回复老师孩子的去向,谢谢!",
                guardian_id=guardian.guardian_id,
            )
        )
    head = await ctx.uow.care.head_teacher_of(class_id)
    if head is not None and head != ctx.actor.staff_id:
        ctx.push(
            Push(
                key=f"absent:{student_id}:{day}:head",
                text=f"{name} 今天未请假缺席托管,已私信家长。",
                staff_id=head,
            )
        )


async def _flag_repeated_absence(
    ctx: HandlerContext, student_id: int, name: str, class_id: int, day: date
) -> None:
    """The Nth unnotified absence of a child in a term (`care.absence_flag_count`) goes, privately and once, to
    the head teacher and the principal (the seeds: repeated absence without notice may end the place)."""
    start, end = calendar_term(await calendar_of(ctx), day)
    count = await ctx.uow.care.unnotified_absences(student_id, start, end)
    if count != ctx.settings.care.absence_flag_count:
        return
    phones = "、".join(f"{g.relation}{g.name} {g.phone}" for g in await ctx.uow.care.guardians_of(student_id))
    head = await ctx.uow.care.head_teacher_of(class_id)
    targets = dict.fromkeys(
        [*([head] if head is not None else []), *await staff_with_role(ctx, ("principal",))]
    )
    for staff in targets:
        ctx.push(
            Push(
                key=f"absence-flag:{student_id}:{start.isoformat()}:{count}:s{staff}",
                text=f"{name} 本学期第{count}次未请假缺席托管(今天 {day_label(day)})。请与家长联系。家长: {phones}",
                staff_id=staff,
            )
        )
    ctx.audit("absence_flag", name, student_id=student_id, count=count)


async def handle_all_present(ctx: HandlerContext, args: Args) -> Reply:
    """Presence is positive: every expected child not on leave and not marked absent is recorded present."""
    try:
        class_id = await class_of_chat(ctx)
    except Refusal as refusal:
        return refusal.reply()
    day = await ctx.uow.care.class_day(await ctx.uow.care.kids_of_class(class_id), ctx.today())
    now = ctx.clock.now()
    for kid in day.expected:
        if day.on_leave(kid) or kid.id in day.marks:
            continue
        await ctx.uow.care.set_mark(day, kid.id, "present", ctx.actor.actor_ref, now, ctx.message.message_id)
        ctx.audit("mark_present", kid.name, student_id=kid.id, day=day.day.isoformat())
    await ctx.uow.flush()
    day = await ctx.uow.care.class_day(day.kids, day.day)
    return Reply(f"已点名: {counts_line(day)}")


async def handle_absent(ctx: HandlerContext, args: Args) -> Reply:
    return await _mark(ctx, args["text"], "absent")


async def handle_present(ctx: HandlerContext, args: Args) -> Reply:
    return await _mark(ctx, args["text"], "present")


async def handle_course_rollcall(ctx: HandlerContext, args: Args) -> Reply:
    """One session of an X course: its enrolled children present, on leave (a care leave that day) or absent
    (named by the teacher); recorded per child and day, changed by a later roll call of the same session."""
    course = await ctx.uow.care.x_course(ctx.actor.school_id, args["course"])
    if course is None:
        return Reply.refusal(f"没有叫「{args['course']}」的兴趣课。本班点名请发: 点名")
    today = ctx.today()
    if today.isoweekday() not in course.weekdays:
        days = "、".join(f"周{WEEKDAY_CN[d - 1]}" for d in course.weekdays)
        return Reply.refusal(f"{course.name}今天({day_label(today)})没有课({days}上课)。")
    ids = await ctx.uow.care.course_pupils(course.id)
    kids = await ctx.uow.care.kids_by_ids(ids)
    if not kids:
        return Reply.refusal(f"{course.name}还没有已报名的孩子。")
    found = find_kids(args["absent"], kids, look_for_unknown=True) if args["absent"] else None
    if found is not None and (found.unknown or not found.kids):
        return Reply.refusal(
            f"{course.name}的孩子中没有「{args['absent'][:12]}」。例如: 点名 {course.name} 缺席 "
            f"{kids[0].name}"
        )
    absent = {k.id for k in found.kids} if found is not None else set()
    on_leave = {sid for sid, _ in await ctx.uow.care.leaves_of(ids, [today], today)}
    statuses = {
        k.id: "leave" if k.id in on_leave else "absent" if k.id in absent else "present" for k in kids
    }
    await ctx.uow.care.set_course_marks(
        course.id, today, statuses, ctx.actor.actor_ref, ctx.clock.now(), ctx.message.message_id
    )
    groups: dict[str, list[str]] = {"present": [], "leave": [], "absent": []}
    for kid in kids:
        groups[statuses[kid.id]].append(kid.name)
    ctx.audit(
        "course_rollcall",
        course.name,
        day=today.isoformat(),
        present=len(groups["present"]),
        leave=len(groups["leave"]),
        absent=len(groups["absent"]),
    )
    return course_rollcall_reply(course.name, today, len(kids), groups)


def course_rollcall_reply(course: str, day: date, expected: int, groups: dict[str, list[str]]) -> Reply:
    """Counts for all; who is on leave or absent is not for a group to read (the reply is then private)."""
    lines = [
        f"{course} {day_label(day)} 点名: 应到 {expected} 实到 {len(groups['present'])} "
        f"请假 {len(groups['leave'])} 缺席 {len(groups['absent'])}"
    ]
    if groups["leave"]:
        lines.append("请假: " + "、".join(groups["leave"]))
    if groups["absent"]:
        lines.append("缺席: " + "、".join(groups["absent"]))
    lines.append("在课: " + ("、".join(groups["present"]) or "无"))
    if not groups["absent"]:
        lines.append(f"没来的孩子请发: 点名 {course} 缺席 姓名")
    return Reply("\n".join(lines), private=bool(groups["leave"] or groups["absent"]))


# fmt: off
commands = Commands(roles=STAFF)
commands.add("点名", "点名", "今天本班的应到、实到、请假、缺席", care_parse.parse_rollcall, handle_rollcall,
             keywords=("点名", "考勤"), writes=False)
commands.add("课程点名", "点名 课程名 [缺席 姓名…]", "兴趣课(X类)本次课的点名: 已报名的孩子在课、请假、缺席",
             care_parse.parse_course_rollcall, handle_course_rollcall, example="点名 篮球")
commands.add("全部到齐", "全部到齐", "点名: 确认应到的孩子(请假、缺席除外)都在", care_parse.parse_all_present,
             handle_all_present, keywords=("全部到齐", "都到了"))
commands.add("缺席", "缺席 姓名…", "记录没来且没请假的孩子(私信告知家长)", care_parse.parse_absent,
             handle_absent, example="缺席 张三", keywords=("缺席", "没来"))
commands.add("到了", "到了 姓名…", "改为已到", care_parse.parse_present, handle_present, example="到了 张三",
             keywords=("到了", "已到"))
# fmt: on
