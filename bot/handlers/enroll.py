"""报名, 我的课程, 退出 (guardians); 同意/驳回 (head teacher); 复核, 撤班 (principal)."""

from __future__ import annotations

import re

from sqlalchemy import select

from bot.domain import enrollment as rules
from bot.domain.actors import ChildRef
from bot.domain.enrollment import State
from bot.domain.messages import Push, Reply
from bot.handlers.care_common import Refusal, guardian_children
from bot.handlers.context import HandlerContext
from bot.handlers.registry import GUARDIANS, PRINCIPALS, STAFF, ArgParser, Args, CommandSpec, keyword_parser
from bot.settings import Settings
from bot.store import enrollment as store
from bot.store.enroll_tables import Enrollment
from bot.store.tables import ClassGroup, Course, Student

_BASIC = {"1类", "基础托管", "基础", "1"}
_X = {"X类", "x类", "X", "x"}
_BOTH = {"1+X", "1+x", "1+X类", "1+x类"}


def parse_enroll(text: str) -> Args | None:
    m = re.fullmatch(r"报名\s+(.+)", text.strip())
    if not m:
        return None
    words = m.group(1).split()
    basic = False
    if words[0] in _BASIC or words[0] in _BOTH:
        basic = True
        if words[0] in _BASIC:
            return {"basic": True, "course": None, "child": words[1] if len(words) == 2 else None} if len(
                words) <= 2 else None
        words = words[1:]
    elif words[0] in _X:
        words = words[1:]
    if not 1 <= len(words) <= 2:
        return None
    return {"basic": basic, "course": words[0], "child": words[1] if len(words) == 2 else None}


_NATURAL_VERB = re.compile(r"报名|报个|报一下|报一个|想报|要报|报上|报了?个|给.{0,4}报|帮.{0,4}报")
_NOT_ENROLL = re.compile(r"退|撤|复核|同意|驳回|日报|报告|报销|汇报|报警|报到|通知|请假|接")
_COURSE_FILLER = re.compile(r"^(?:名|个|一下|一个|上|了)*\s*(?:1\+[Xx]类?|1类|[Xx]类|兴趣班|兴趣课)?\s*")


def parse_enroll_natural(text: str) -> Args | None:
    """我想给孩子报个美术, 王小红 报名 书法, 帮王小红报一下书法班: the course is found at handle time."""
    m = _NATURAL_VERB.search(text)
    if m is None or _NOT_ENROLL.search(text):
        return None
    tail = _COURSE_FILLER.sub("", text[m.end():].strip())
    word = re.match(r"[\u4e00-\u9fff]{1,8}", tail)
    course = re.sub(r"(班|课程|课|吧|了|呗|哈|啊)+$", "", word.group(0)) if word else ""
    basic = bool(re.search(r"1类|基础托管|1\+[Xx]", text))
    if not course and not basic:
        return None
    return {"basic": basic, "course": course or None, "child": None, "text": text}


def parse_enroll_any(text: str) -> Args | None:
    return parse_enroll(text) or parse_enroll_natural(text)


def _two_names(verb: str) -> ArgParser:
    def parse(text: str) -> Args | None:
        m = re.fullmatch(verb + r"\s+(\S+)\s+(\S+)", text.strip())
        return {"child": m.group(1), "course": m.group(2)} if m else None

    return parse


def _course_only(verb: str) -> ArgParser:
    def parse(text: str) -> Args | None:
        m = re.fullmatch(verb + r"\s+(\S+)", text.strip())
        return {"course": m.group(1)} if m else None

    return parse


_NATURAL_WITHDRAW = re.compile(
    r"^(?:老师)?[,，\s]*(?:我|我们)?(?:想|要)?(?:给孩子|帮孩子)?(?:退掉|退了|退出|不上|不学|不想上|不想学)了?\s*"
    r"(?P<course>[\u4e00-\u9fff]{1,6}?)(?:班|课)?(?:了|吧|啊)?$"
)


def parse_withdraw(text: str) -> Args | None:
    """退出 篮球 [孩子], or 我想退掉篮球 (no name: the sender's only child)."""
    m = re.fullmatch(r"退出\s+(\S+)(?:\s+(\S+))?", text.strip())
    if m:
        return {"course": m.group(1), "child": m.group(2)}
    m = _NATURAL_WITHDRAW.match(text.strip(" 。.!！~"))
    return {"course": m["course"], "child": None} if m else None


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
    for e in await store.promote_waitlist(ctx.session, course, priority_policy(ctx.settings), ctx.clock.now()):
        _tell(ctx, e, "promoted", f"候补转正:「{course.name}」有空位了,已进入审核。")


async def _grade_refusal(ctx: HandlerContext, course: Course, child: ChildRef) -> str | None:
    grade = await ctx.session.scalar(select(ClassGroup.grade).where(ClassGroup.id == child.class_group_id))
    if grade is None or rules.grade_allowed(course.grades, grade):
        return None
    return (f"「{course.name}」面向{rules.grades_text(course.grades)},{child.name}在{child.class_name}"
            f"({grade}年级),不能报名。发送「我的课程」查看已报课程。")


async def _natural(ctx: HandlerContext, args: Args) -> Args:
    """A natural phrasing: the school's course named in the text (longest), the child named in any form."""
    text = args["text"]
    names = sorted((c.name for c in await store.open_courses(ctx.session, ctx.actor.school_id)), key=len, reverse=True)
    course = next((n for n in names if n in text and n != "基础托管"), args["course"])
    named = await guardian_children(ctx, text, "报名 X类 篮球")
    child = named[0].name if len(named) == 1 else None
    if course is not None and course.startswith(("1类", "基础")):
        course = None
    return {"basic": args["basic"] or (course is None and "基础托管" in text), "course": course, "child": child}


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
        student = await ctx.session.get(Student, child.student_id)
        if student is not None:
            student.basic_care = True
        lines.append(f"{child.name} 已报名 1类 基础托管。")
    if args["course"] is None:
        return Reply("\n".join(lines))
    course = await store.find_course(ctx.session, ctx.actor.school_id, args["course"], lock=True)
    if course is not None and course.state == "draft":
        return Reply.refusal(f"「{course.name}」尚未开放报名。发送「课程」查看课程和报名时间。")
    if course is None or course.state != "open":
        return Reply.refusal(f"没有可报名的课程「{args['course']}」。发送「我的课程」查看已报课程。")
    grade_refusal = await _grade_refusal(ctx, course, child)
    if grade_refusal:
        return Reply.refusal(grade_refusal)
    policy = priority_policy(ctx.settings)
    priority = child.student_id in await store.priority_students(ctx.session, [child.student_id], policy)
    refusal = await store.window_refusal(ctx.session, course.id, child.student_id, ctx.clock.now(),
                                         priority, policy.early_hours)
    if refusal:
        return Reply.refusal(f"「{course.name}」{refusal}")
    mine = [e for e, _ in await store.for_students(ctx.session, [child.student_id])
            if e.course_id == course.id and State(e.state) in rules.OPEN]
    if mine:
        return Reply.refusal(f"{child.name} 已报过「{course.name}」。发送「我的课程」查看状态。")
    rows = await store.open_enrollments(ctx.session, course.id)
    prio = await store.priority_students(ctx.session, [e.student_id for e in rows], policy)
    reserved = await store.reserved_places(ctx.session, course.id, policy)
    seats = store.as_seats(rows, prio)
    fits = rules.has_place(seats, course.capacity, reserved, priority)
    held_back = not fits and rules.has_place(seats, course.capacity)  # only reserved places are left
    state = State.APPLIED if fits else State.WAITLIST
    now = ctx.clock.now()
    e = Enrollment(course_id=course.id, student_id=child.student_id, guardian_id=ctx.actor.guardian_id,
                   state=state.value, applied_at=now, updated_at=now, round=1)
    ctx.session.add(e)
    await ctx.session.flush()
    ctx.audit("enroll.apply", child.name, course=course.name, state=state.value)
    if state is State.WAITLIST:
        pos = sum(1 for r in rows if r.state == State.WAITLIST) + 1
        full = "剩余名额优先保障留守儿童、困难家庭,报名截止后未用的名额开放" if held_back else "已满"
        lines.append(f"「{course.name}」{full},{child.name} 为候补第{pos}位,有空位会自动转正并通知您。")
    else:
        lines.append(f"已提交「{course.name}」报名申请({child.name}),等待班主任审核。")
    return Reply("\n".join(lines))


async def handle_mine(ctx: HandlerContext, args: Args) -> Reply:
    kids = {c.student_id: c.name for c in ctx.actor.children}
    pairs = await store.for_students(ctx.session, list(kids))
    if not pairs:
        return Reply("还没有报名任何课程。例如: 报名 X类 篮球")
    lines = ["我的课程:"]
    positions = await store.waitlist_positions(ctx.session, [e.id for e, _ in pairs if e.state == State.WAITLIST])
    for e, course in pairs:
        lines.append(f"· {kids[e.student_id]} {course.name}: {rules.label(e.state, positions.get(e.id))}")
    return Reply("\n".join(lines))


async def _one(ctx: HandlerContext, child: str, course_name: str) -> tuple[Enrollment, Course] | Reply:
    course = await store.find_course(ctx.session, ctx.actor.school_id, course_name, lock=True)
    if course is None:
        return Reply.refusal(f"没有找到课程「{course_name}」。")
    ids = {s.id: s for s in await store.students_named(ctx.session, ctx.actor.school_id, child)}
    for e, c in await store.for_students(ctx.session, list(ids)):
        if c.id == course.id and State(e.state) in rules.OPEN:
            cls = ids[e.student_id].class_group_id
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
        return Reply.refusal(f"{args['child']} 的「{course.name}」当前为{rules.label(e.state)},无需班级审核。")
    store.set_state(e, state, ctx.clock.now())
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
    store.set_state(e, rules.move(State(e.state), "approve_withdraw"), ctx.clock.now())
    ctx.audit("enroll.withdrawn", args["child"], course=course.name)
    _tell(ctx, e, "withdrawn", f"{args['child']} 退出「{course.name}」的申请已批准。")
    await promote(ctx, course)
    return Reply(f"已批准 {args['child']} 退出「{course.name}」。")


async def handle_school_review(ctx: HandlerContext, args: Args) -> Reply:
    course = await store.find_course(ctx.session, ctx.actor.school_id, args["course"], lock=True)
    if course is None:
        return Reply.refusal(f"没有找到课程「{args['course']}」。")
    rows = await store.open_enrollments(ctx.session, course.id)
    by_id = {e.id: e for e in rows}
    ok = rules.school_approvals(store.as_seats(rows), course.capacity)
    for seat in ok:
        e = by_id[seat.id]
        store.set_state(e, State.ACTIVE, ctx.clock.now())
        _tell(ctx, e, "active", f"「{course.name}」报名已通过学校复核,报名成功。")
    ctx.audit("enroll.school_review", course.name, approved=len(ok))
    active = sum(1 for e in rows if e.state == State.ACTIVE)
    return Reply(f"「{course.name}」复核通过 {len(ok)} 人,已报名 {active}/{course.capacity}。")


async def handle_withdraw(ctx: HandlerContext, args: Args) -> Reply:
    child = pick_child(ctx, args["child"])
    if isinstance(child, str):
        return Reply.refusal(child)
    course = await store.find_course(ctx.session, ctx.actor.school_id, args["course"], lock=True)
    pairs = await store.for_students(ctx.session, [child.student_id])
    e = next((e for e, c in pairs if course and c.id == course.id and State(e.state) in rules.OPEN), None)
    if course is None or e is None:
        return Reply.refusal(f"{child.name} 没有报名「{args['course']}」。发送「我的课程」查看。")
    try:
        state = rules.move(State(e.state), "request_withdraw")
    except rules.InvalidMove:
        return Reply("退出申请已提交,等待审核。")
    store.set_state(e, state, ctx.clock.now())
    ctx.audit("enroll.withdraw", child.name, course=course.name, state=state.value)
    if state is State.WITHDRAWN:
        await promote(ctx, course)
        return Reply(f"{child.name} 已退出「{course.name}」。")
    return Reply(f"已提交 {child.name} 退出「{course.name}」的申请,学校需要书面申请,审核后生效。")


async def handle_cancel_course(ctx: HandlerContext, args: Args) -> Reply:
    course = await store.find_course(ctx.session, ctx.actor.school_id, args["course"], lock=True)
    if course is None:
        return Reply.refusal(f"没有找到课程「{args['course']}」。")
    n = await cancel_course(ctx, course)
    return Reply(f"「{course.name}」已撤班,{n} 名学生的家长已收到通知,可参加二次报名。")


async def cancel_course(ctx: HandlerContext, course: Course) -> int:
    rows = await store.open_enrollments(ctx.session, course.id)
    for e in rows:
        store.set_state(e, State.CANCELLED, ctx.clock.now())
        _tell(ctx, e, "cancelled", f"「{course.name}」因人数不足已撤班,请发送「报名 课程名」参加二次报名。")
    course.state = "cancelled"
    ctx.audit("enroll.cancel_course", course.name, students=len(rows))
    return len(rows)


COMMANDS = [
    CommandSpec("报名", "报名 1类 / 报名 X类 课程 [孩子]", "报名基础托管或兴趣课程", "报名 X类 篮球",
                ("报名",), parse_enroll_any, handle_enroll, roles=GUARDIANS),
    CommandSpec("我的课程", "我的课程", "查看孩子的课程和报名状态", "我的课程", ("我的课程",),
                keyword_parser("我的课程", "孩子的课程", "报了什么课"), handle_mine, roles=GUARDIANS, writes=False),
    CommandSpec("退出课程", "退出 课程 [孩子]", "申请退出课程(需审核)", "退出 篮球", ("退出",),
                parse_withdraw, handle_withdraw, roles=GUARDIANS),
    CommandSpec("同意报名", "同意 孩子 课程", "班级审核通过报名", "同意 王小明 篮球", ("同意",),
                _two_names("同意"), handle_approve, roles=STAFF),
    CommandSpec("同意退出", "同意退出 孩子 课程", "批准退出课程(已收到书面申请)", "同意退出 王小明 篮球",
                ("同意退出",), _two_names("同意退出"), handle_approve_withdraw, roles=STAFF),
    CommandSpec("驳回报名", "驳回 孩子 课程", "班级审核驳回报名", "驳回 王小明 篮球", ("驳回",),
                _two_names("驳回"), handle_reject, roles=STAFF),
    CommandSpec("复核", "复核 课程", "学校复核该课程已通过班级审核的报名", "复核 篮球", ("复核",),
                _course_only("复核"), handle_school_review, roles=PRINCIPALS),
    CommandSpec("撤班", "撤班 课程", "撤销课程并通知家长二次报名", "撤班 书法", ("撤班",),
                _course_only("撤班"), handle_cancel_course, roles=PRINCIPALS),
]
