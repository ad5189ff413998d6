"""问答 and 课程列表: a question gets an answer (a child's status, or the rule and an example), never a write."""

from __future__ import annotations

import re

from bot.domain.dates import find_dates
from bot.domain.messages import Reply
from bot.handlers.care_common import Refusal, calendar_of, care_times, day_label, kids_for
from bot.handlers.context import HandlerContext
from bot.handlers.courses import handle_course_list
from bot.handlers.fees import handle_statement
from bot.handlers.phenomena import is_question
from bot.handlers.registry import Args, Commands

_FEES = re.compile(r"钱|费|交了|缴|欠|退款|多退")
_COURSES = re.compile(r"课|报名|兴趣班|特长班|篮球|书法|美术|舞蹈")
_LEAVE = re.compile(r"请假|请了假|假|不去|不来")
_PICKUP = re.compile(r"接|放学|几点|结束|下课")
# Asking how something is done, or what the rule is, rather than about one child's record.
_RULE = re.compile(
    r"怎么|怎样|如何|多久|提前|需要|要不要|需不需要|能不能|可不可以|可以|能|规定|流程|写原因|咋"
)

LEAVE_RULE = (
    "请假请发送: 请假 明天 [原因](几天可写: 请假 11月25日到27日)。"
    "请在当天托管开始前请假,开始后再请记为迟报;原因只有老师能看到。"
)
ENROLL_RULE = "报名请发送: 报名 X类 篮球(基础托管: 报名 1类)。发送「课程」查看可报名的课程。"
OTHER = "我是托管助手,可以帮您请假、告知接送、报名课程、查看费用。发送「帮助」查看全部命令。"


def parse_question(text: str) -> Args | None:
    return {"text": text} if is_question(text) else None


async def handle_question(ctx: HandlerContext, args: Args) -> Reply:
    text = args["text"]
    if _FEES.search(text) and not _RULE.search(text) and ctx.actor.guardian_id is not None:
        return await handle_statement(ctx, {})  # a guardian's fee question is their statement
    if _LEAVE.search(text):
        if _RULE.search(text):
            return Reply(LEAVE_RULE)
        return await _leave_status(ctx, text)
    if _COURSES.search(text):
        if _RULE.search(text) and "报名" in text:
            return Reply(ENROLL_RULE)
        return await handle_course_list(ctx, {})
    if _PICKUP.search(text):
        times = care_times(ctx)
        end = times.end_for(ctx.today())
        return Reply(
            f"托管今天到 {end:%H:%M} 结束。晚到请发送「今天晚点接 18:10」,换人接请发送「今天外婆接」。"
        )
    if _FEES.search(text):
        return Reply("费用请发送「费用」查看(仅您可见)。")
    return Reply(OTHER)


async def _leave_status(ctx: HandlerContext, text: str) -> Reply:
    """The named (or only) children's standing leave on the days asked about, told privately."""
    try:
        kids = await kids_for(ctx, text, "李华明天请假了吗")
    except Refusal as refusal:
        return Reply(refusal.text, private=True)
    calendar = await calendar_of(ctx)
    found = find_dates(text, ctx.today(), calendar.is_care_day)
    days = list(found.days) if found is not None else None
    leaves = await ctx.uow.care.leaves_of([k.id for k in kids], days, ctx.today())
    lines = []
    for kid in kids:
        mine = [day for sid, day in leaves if sid == kid.id]
        if mine:
            lines.append(f"{kid.name} " + "、".join(day_label(d) for d in mine) + "已请假。")
        elif days:
            lines.append(f"{kid.name} " + "、".join(day_label(d) for d in days) + "没有请假。")
        else:
            lines.append(f"{kid.name} 今天起没有请假。")
    lines.append("要请假请发送: 请假 明天 [原因];取消请发送: 销假 明天。")
    return Reply("\n".join(lines), private=True)


_COURSE_LIST = re.compile(
    r"^(课程|课程表|课程列表|有哪些课(程)?|有什么课(程)?|都有什么课|兴趣班|兴趣课|可以报(什么|哪些)课?)$"
)


def parse_course_list(text: str) -> Args | None:
    return {} if _COURSE_LIST.match(text.strip(" ?？!！。.~")) else None


# fmt: off
commands = Commands()
commands.add("课程列表", "课程", "查看可报名的课程", parse_course_list, handle_course_list,
             keywords=("课程", "有哪些课"), writes=False)
commands.add("问答", "(提问)", "问题会得到回答,不会被当作命令执行", parse_question, handle_question,
             example="李华明天请假了吗", keywords=("吗",), writes=False)
# fmt: on
