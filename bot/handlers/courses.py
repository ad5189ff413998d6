"""课程 / 有哪些课: the courses open to the sender's children, with day, time, price in 元, places and window."""

from __future__ import annotations

from bot.domain import course_board as rules
from bot.domain.messages import Reply
from bot.handlers.context import HandlerContext
from bot.handlers.registry import Args

FOOTER = "报名请发送: 报名 X类 篮球 [孩子姓名](基础托管: 报名 1类)"


async def handle_course_list(ctx: HandlerContext, args: Args) -> Reply:
    """A guardian sees the courses their children's grades may take (not cancelled ones); staff see all."""
    kids, school_id = ctx.actor.children, ctx.actor.school_id
    if school_id is None:
        return Reply("现在没有课程。")
    courses = ctx.uow.courses
    grades = await courses.grades_of_classes([k.class_group_id for k in kids]) if kids else []
    now, tz = ctx.clock.now(), ctx.settings.school.tz
    lines = []
    for course in await courses.board(school_id):
        if kids and not rules.for_grades(course.facts.grades, grades):
            continue
        phase = rules.phase(course.state, course.window, now)
        if phase is rules.Phase.CANCELLED and kids:
            continue
        lines.append(rules.course_line(course.facts, phase, course.window, tz))
    if not lines:
        return Reply("现在没有面向您孩子年级的课程。" if kids else "现在没有课程。")
    return Reply("\n".join(["可报名的课程:", *lines, FOOTER]))
