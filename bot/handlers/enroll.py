"""报名, 我的课程, 退出 (guardians); 同意/驳回 (head teacher); 复核, 撤班 (principal)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.domain import enrollment as rules
from bot.domain.actors import ChildRef
from bot.domain.enrollment import State
from bot.domain.messages import Push, Reply
from bot.handlers.care_common import Refusal, guardian_children
from bot.handlers.context import HandlerContext
from bot.handlers.enroll_parse import course_only, parse_enroll_any, parse_withdraw, two_names
from bot.handlers.registry import GUARDIANS, PRINCIPALS, STAFF, Args, Commands, keyword_parser
from bot.settings import Settings
from bot.store import enrollment as store

if TYPE_CHECKING:
    from bot.store.enrollment import CourseView as Course
    from bot.store.enrollment import EnrollmentView as Enrollment


def pick_child(ctx: HandlerContext, name: str | None) -> ChildRef | str:
    kids = ctx.actor.children
    if name:
        named = [c for c in kids if c.name == name]
        return named[0] if named else f"您的孩子中没有「{name}」。"
    if len(kids) == 1:
        return kids[0]
    if not kids:
        return "您还没有绑定孩子。"
    return "您有多个孩子,请写上姓名,例如: 报名 篮球 " + kids[0].name


def _tell(ctx: HandlerContext, e: Enrollment, step: str, text: str) -> None:
    if e.guardian_id is not None:
        ctx.push(Push(key=f"enroll:{e.id}:{step}", text=text, guardian_id=e.guardian_id))


def priority_policy(settings: Settings) -> rules.PriorityPolicy:
    e = settings.enrollment
    return rules.PriorityPolicy(tuple(e.priority_groups), e.reserved_places, e.priority_early_hours)


async def promote(ctx: HandlerContext, course: Course) -> None:
    """Freed places go to the waitlist in order (reserved ones to priority groups); each family is told."""
    for e in await ctx.uow.enrollment.promote_waitlist(
        course.id, priority_policy(ctx.settings), ctx.clock.now()
    ):
        _tell(ctx, e, "promoted", f"候补转正:「{course.name}」有空位了,已进入审核。")


async def _grade_refusal(ctx: HandlerContext, course: Course, child: ChildRef) -> str | None:
    grade = await ctx.uow.people.class_grade(child.class_group_id)
    if grade is None or rules.grade_allowed(course.grades, grade):
        return None
    return (
        f"「{course.name}」面向{rules.grades_text(course.grades)},{child.name}在{child.class_name}"
        f"({grade}年级),不能报名。发送「我的课程」查看已报课程。"
    )


async def _natural(ctx: HandlerContext, args: Args) -> Args:
    """A natural phrasing: the school's course named in the text (longest), the child named in any form."""
    text = args["text"]
    names = sorted(
        (c.name for c in await ctx.uow.enrollment.open_courses(ctx.actor.school_id)), key=len, reverse=True
    )
    course = next((n for n in names if n in text and n != "基础托管"), args["course"])
    named = await guardian_children(ctx, text, "报名 X类 篮球")
    child = named[0].name if len(named) == 1 else None
    if course is not None and course.startswith(("1类", "基础")):
        course = None
    return {
        "basic": args["basic"] or (course is None and "基础托管" in text),
        "course": course,
        "child": child,
    }


async def handle_enroll(ctx: HandlerContext, args: Args) -> Reply:
    if "text" in args:
        try:
            args = await _natural(ctx, args)
        except Refusal as refused:
            return refused.reply()
        if not args["basic"] and args["course"] is None:
            return Reply.refusal("想报哪门课?例如: 报名 X类 篮球。发送「课程」查看可报名的课程。")
    child = pick_child(ctx, args["child"])
    if isinstance(child, str):
        return Reply.refusal(child)
    lines = []
    if args["basic"]:
        await ctx.uow.enrollment.take_basic_care(child.student_id)
        lines.append(f"{child.name} 已报名 1类 基础托管。")
    if args["course"] is None:
        return Reply("\n".join(lines))
    course = await ctx.uow.enrollment.find_course(ctx.actor.school_id, args["course"], lock=True)
    if course is not None and course.state == "draft":
        return Reply.refusal(f"「{course.name}」尚未开放报名。发送「课程」查看课程和报名时间。")
    if course is None or course.state != "open":
        return Reply.refusal(f"没有可报名的课程「{args['course']}」。发送「我的课程」查看已报课程。")
    policy = priority_policy(ctx.settings)
    priority = child.student_id in await ctx.uow.enrollment.priority_students([child.student_id], policy)
    refusal = await _refusal(ctx, course, child, priority)
    if refusal:
        return Reply.refusal(refusal)
    lines.append(await _apply(ctx, course, child, priority))
    return Reply("\n".join(lines))


async def _refusal(ctx: HandlerContext, course: Course, child: ChildRef, priority: bool) -> str | None:
    """Why this child may not apply for the course now: grade, sign-up window, applied already."""
    grade_refusal = await _grade_refusal(ctx, course, child)
    if grade_refusal:
        return grade_refusal
    refusal = await ctx.uow.enrollment.window_refusal(
        course.id, child.student_id, ctx.clock.now(), priority, ctx.settings.enrollment.priority_early_hours
    )
    if refusal:
        return f"「{course.name}」{refusal}"
    mine = [
        e
        for e, _ in await ctx.uow.enrollment.for_students([child.student_id])
        if e.course_id == course.id and State(e.state) in rules.OPEN
    ]
    if mine:
        return f"{child.name} 已报过「{course.name}」。发送「我的课程」查看状态。"
    return None


async def _apply(ctx: HandlerContext, course: Course, child: ChildRef, priority: bool) -> str:
    """The application: a place (waiting for review) if one is free for the child, else the waitlist."""
    policy = priority_policy(ctx.settings)
    rows = await ctx.uow.enrollment.open_enrollments(course.id)
    prio = await ctx.uow.enrollment.priority_students([e.student_id for e in rows], policy)
    reserved = await ctx.uow.enrollment.reserved_places(course.id, policy)
    seats = store.as_seats(rows, prio)
    fits = rules.has_place(seats, course.capacity, reserved, priority)
    held_back = not fits and rules.has_place(seats, course.capacity)  # only reserved places are left
    state = State.APPLIED if fits else State.WAITLIST
    await ctx.uow.enrollment.apply(course.id, child.student_id, ctx.actor.guardian_id, state, ctx.clock.now())
    ctx.audit("enroll.apply", child.name, course=course.name, state=state.value)
    if state is State.WAITLIST:
        pos = sum(1 for r in rows if r.state == State.WAITLIST) + 1
        full = "剩余名额优先保障留守儿童、困难家庭,报名截止后未用的名额开放" if held_back else "已满"
        return f"「{course.name}」{full},{child.name} 为候补第{pos}位,有空位会自动转正并通知您。"
    return f"已提交「{course.name}」报名申请({child.name}),等待班主任审核。"


async def handle_mine(ctx: HandlerContext, args: Args) -> Reply:
    kids = {c.student_id: c.name for c in ctx.actor.children}
    pairs = await ctx.uow.enrollment.for_students(list(kids))
    if not pairs:
        return Reply("还没有报名任何课程。例如: 报名 X类 篮球")
    lines = ["我的课程:"]
    positions = await ctx.uow.enrollment.waitlist_positions(
        [e.id for e, _ in pairs if e.state == State.WAITLIST]
    )
    for e, course in pairs:
        lines.append(f"· {kids[e.student_id]} {course.name}: {rules.label(e.state, positions.get(e.id))}")
    return Reply("\n".join(lines))


async def _one(ctx: HandlerContext, child: str, course_name: str) -> tuple[Enrollment, Course] | Reply:
    course = await ctx.uow.enrollment.find_course(ctx.actor.school_id, course_name, lock=True)
    if course is None:
        return Reply.refusal(f"没有找到课程「{course_name}」。")
    classes = await ctx.uow.enrollment.pupils_named(ctx.actor.school_id, child)
    for e, c in await ctx.uow.enrollment.for_students(list(classes)):
        if c.id == course.id and State(e.state) in rules.OPEN:
            cls = classes[e.student_id]
            if not (ctx.actor.is_school_wide or ctx.actor.teaches(cls)):
                return Reply.refusal(f"{child} 不在您的班级。", not_allowed=True)
            return e, course
    return Reply.refusal(f"没有找到 {child} 的「{course_name}」报名。")


async def handle_class_review(ctx: HandlerContext, args: Args, action: str) -> Reply:
    found = await _one(ctx, args["child"], args["course"])
    if isinstance(found, Reply):
        return found
    e, course = found
    try:
        state = rules.move(State(e.state), action)
    except rules.InvalidMove:
        return Reply.refusal(
            f"{args['child']} 的「{course.name}」当前为{rules.label(e.state)},无需班级审核。"
        )
    await ctx.uow.enrollment.set_state(e.id, state, ctx.clock.now())
    ctx.audit(f"enroll.{action}", args["child"], course=course.name)
    if state is State.CLASS_OK:
        _tell(ctx, e, "class_ok", f"{args['child']} 的「{course.name}」报名已通过班级审核,等待学校复核。")
        return Reply(f"已同意 {args['child']} 报名「{course.name}」,等待校长复核。")
    _tell(ctx, e, "rejected", f"{args['child']} 的「{course.name}」报名未通过班级审核,如有疑问请联系班主任。")
    await promote(ctx, course)
    return Reply(f"已驳回 {args['child']} 的「{course.name}」报名。")


async def handle_approve(ctx: HandlerContext, args: Args) -> Reply:
    return await handle_class_review(ctx, args, "class_approve")


async def handle_reject(ctx: HandlerContext, args: Args) -> Reply:
    return await handle_class_review(ctx, args, "class_reject")


async def handle_approve_withdraw(ctx: HandlerContext, args: Args) -> Reply:
    found = await _one(ctx, args["child"], args["course"])
    if isinstance(found, Reply):
        return found
    e, course = found
    if e.state != State.WITHDRAW_REQ:
        return Reply.refusal(f"{args['child']} 没有「{course.name}」的退出申请。")
    await ctx.uow.enrollment.set_state(e.id, rules.move(State(e.state), "approve_withdraw"), ctx.clock.now())
    ctx.audit("enroll.withdrawn", args["child"], course=course.name)
    _tell(ctx, e, "withdrawn", f"{args['child']} 退出「{course.name}」的申请已批准。")
    await promote(ctx, course)
    return Reply(f"已批准 {args['child']} 退出「{course.name}」。")


async def handle_school_review(ctx: HandlerContext, args: Args) -> Reply:
    course = await ctx.uow.enrollment.find_course(ctx.actor.school_id, args["course"], lock=True)
    if course is None:
        return Reply.refusal(f"没有找到课程「{args['course']}」。")
    rows = await ctx.uow.enrollment.open_enrollments(course.id)
    by_id = {e.id: e for e in rows}
    ok = rules.school_approvals(store.as_seats(rows), course.capacity)
    for seat in ok:
        e = by_id[seat.id]
        await ctx.uow.enrollment.set_state(e.id, State.ACTIVE, ctx.clock.now())
        _tell(ctx, e, "active", f"「{course.name}」报名已通过学校复核,报名成功。")
    ctx.audit("enroll.school_review", course.name, approved=len(ok))
    approved = {seat.id for seat in ok}
    active = sum(1 for e in rows if e.state == State.ACTIVE or e.id in approved)
    return Reply(f"「{course.name}」复核通过 {len(ok)} 人,已报名 {active}/{course.capacity}。")


async def handle_withdraw(ctx: HandlerContext, args: Args) -> Reply:
    child = pick_child(ctx, args["child"])
    if isinstance(child, str):
        return Reply.refusal(child)
    course = await ctx.uow.enrollment.find_course(ctx.actor.school_id, args["course"], lock=True)
    pairs = await ctx.uow.enrollment.for_students([child.student_id])
    e = next((e for e, c in pairs if course and c.id == course.id and State(e.state) in rules.OPEN), None)
    if course is None or e is None:
        return Reply.refusal(f"{child.name} 没有报名「{args['course']}」。发送「我的课程」查看。")
    try:
        state = rules.move(State(e.state), "request_withdraw")
    except rules.InvalidMove:
        return Reply("退出申请已提交,等待审核。")
    await ctx.uow.enrollment.set_state(e.id, state, ctx.clock.now())
    ctx.audit("enroll.withdraw", child.name, course=course.name, state=state.value)
    if state is State.WITHDRAWN:
        await promote(ctx, course)
        return Reply(f"{child.name} 已退出「{course.name}」。")
    return Reply(f"已提交 {child.name} 退出「{course.name}」的申请,学校需要书面申请,审核后生效。")


async def handle_cancel_course(ctx: HandlerContext, args: Args) -> Reply:
    course = await ctx.uow.enrollment.find_course(ctx.actor.school_id, args["course"], lock=True)
    if course is None:
        return Reply.refusal(f"没有找到课程「{args['course']}」。")
    n = await cancel_course(ctx, course)
    return Reply(f"「{course.name}」已撤班,{n} 名学生的家长已收到通知,可参加二次报名。")


async def cancel_course(ctx: HandlerContext, course: Course) -> int:
    rows = await ctx.uow.enrollment.open_enrollments(course.id)
    for e in rows:
        await ctx.uow.enrollment.set_state(e.id, State.CANCELLED, ctx.clock.now())
        _tell(ctx, e, "cancelled", f"「{course.name}」因人数不足已撤班,请发送「报名 课程名」参加二次报名。")
    await ctx.uow.enrollment.cancel_course(course.id)
    ctx.audit("enroll.cancel_course", course.name, students=len(rows))
    return len(rows)


# fmt: off
commands = Commands(roles=GUARDIANS)
commands.add("报名", "报名 1类 / 报名 X类 课程 [孩子]", "报名基础托管或兴趣课程", parse_enroll_any,
             handle_enroll, example="报名 X类 篮球")
commands.add("我的课程", "我的课程", "查看孩子的课程和报名状态",
             keyword_parser("我的课程", "孩子的课程", "报了什么课"), handle_mine, writes=False)
commands.add("退出课程", "退出 课程 [孩子]", "申请退出课程(需审核)", parse_withdraw, handle_withdraw,
             example="退出 篮球", keywords=("退出",))
commands.add("同意报名", "同意 孩子 课程", "班级审核通过报名", two_names("同意"), handle_approve,
             example="同意 王小明 篮球", keywords=("同意",), roles=STAFF)
commands.add("同意退出", "同意退出 孩子 课程", "批准退出课程(已收到书面申请)", two_names("同意退出"),
             handle_approve_withdraw, example="同意退出 王小明 篮球", roles=STAFF)
commands.add("驳回报名", "驳回 孩子 课程", "班级审核驳回报名", two_names("驳回"), handle_reject,
             example="驳回 王小明 篮球", keywords=("驳回",), roles=STAFF)
commands.add("复核", "复核 课程", "学校复核该课程已通过班级审核的报名", course_only("复核"),
             handle_school_review, example="复核 篮球", roles=PRINCIPALS)
commands.add("撤班", "撤班 课程", "撤销课程并通知家长二次报名", course_only("撤班"), handle_cancel_course,
             example="撤班 书法", roles=PRINCIPALS)
# fmt: on
