"""请假 and 销假: a guardian (or a teacher) records or cancels leave; the head teacher is told privately."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date

from bot.domain.children import Child
from bot.domain.commands import CancelLeave, Leave
from bot.domain.messages import Push, Reply
from bot.handlers import care_parse
from bot.handlers.care_common import Refusal, care_times, days_in, days_label, kids_for
from bot.handlers.context import HandlerContext
from bot.handlers.proposals import propose
from bot.handlers.registry import Commands
from bot.handlers.resolve import aliases, join_han

_FILLER = re.compile(
    r"@\S+|请假|请个假|请一天假|请两天假|老师|您好|你好|麻烦|谢谢|孩子|小孩|宝宝|我家|今天|明天|后天|"
    r"不(去|来|参加|上)(托管|了)|托管|请\s*[\d一二两三四五六七八九十]{1,2}\s*天(的)?假|[\d一二两三四五六七八九十]{1,2}\s*天|"
    r"起|请(?=[病事]假)|[,.!?;:,。!?;:、~]+"
)


def reason_of(text: str, remove: list[str]) -> str:
    text = join_han(text)
    for word in remove:
        if word:
            text = text.replace(word, " ")
    text = _FILLER.sub(" ", text)
    text = re.sub(r"[了啊呀哦]+(?=\s|$)", "", text)  # 咳嗽了 -> 咳嗽, and a lone 了
    return re.sub(r"\s+", " ", text).strip()[:200]


async def handle_leave(ctx: HandlerContext, command: Leave) -> Reply:
    text = command.text
    try:
        kids = await kids_for(ctx, text, "请假 王小明 明天")
        dated = await days_in(ctx, text)
    except Refusal as refusal:
        return refusal.reply()
    reason = reason_of(text, [dated.text, *(a for k in kids for a in aliases(k.name))])
    lines, late_names = [], []
    for kid in kids:
        head, late_days = await _record_leave(ctx, kid, dated.days, reason)
        late = (
            bool(late_days) and late_days[-1] == dated.days[-1]
        )  # the last day asked for was already in care
        late_names += [kid.name for _ in late_days]
        ctx.audit("leave", kid.name, student_id=kid.id, days=[d.isoformat() for d in dated.days])
        if head is not None and head != ctx.actor.staff_id:
            detail = f"原因: {reason}" if reason else "未写原因"
            ctx.push(
                Push(
                    key=f"leave:{kid.id}:{dated.days[0].isoformat()}:{ctx.message.message_id}:head",
                    text=f"{kid.name} 请假 {days_label(dated.days)}。{detail}"
                    + ("(托管开始后才请假)" if late else ""),
                    staff_id=head,
                )
            )
        lines.append(f"已为{kid.name}请假: {days_label(dated.days)}。{dated.skipped_note()}")
    lines.append("已告知班主任。")
    if late_names:
        lines.append("今天托管已开始,记为迟报。")
    return Reply("\n".join(lines))


async def _record_leave(
    ctx: HandlerContext, kid: Child, days: Sequence[date], reason: str
) -> tuple[int | None, list[date]]:
    """The child's leave on each day (a cancelled one asked for again is renewed); its class's head teacher,
    and the days told after that day's care had begun (迟报)."""
    now, today, times = ctx.clock.now(), ctx.today(), care_times(ctx)
    # The class's head teacher, and day -> when that day's leave was cancelled (None: it stands).
    state = await ctx.uow.care.leave_state(kid.class_group_id, kid.id, list(days))
    new_rows, late_days = [], []
    for day in days:
        late = day == today and times.started(kid.grade, ctx.now_local())
        if day not in state.existing:
            new_rows.append(
                {
                    "student_id": kid.id,
                    "day": day,
                    "reason": reason,
                    "late_notice": late,
                    "created_by": ctx.actor.actor_ref,
                    "created_at": now,
                    "message_id": ctx.message.message_id,
                }
            )
        elif state.existing[day] is not None:
            await ctx.uow.care.renew_leave(kid.id, day, reason, late, ctx.message.message_id)
        if late:
            late_days.append(day)
    await ctx.uow.care.add_leaves(new_rows)
    return state.head_teacher_id, late_days


async def handle_cancel_leave(ctx: HandlerContext, command: CancelLeave) -> Reply:
    text = command.text
    try:
        kids = await kids_for(ctx, text, "销假 王小明 明天")
        dated = await days_in(ctx, text, "销假")
    except Refusal as refusal:
        return refusal.reply()
    now, lines = ctx.clock.now(), []
    found = []
    for kid in kids:
        standing = await ctx.uow.care.leaves_of(
            [kid.id], list(dated.days) if dated.explicit else None, ctx.today()
        )
        found.append((kid, [day for _, day in standing]))
    if not dated.explicit and sum(len(leaves) for _, leaves in found) > 1:
        # A bare 销假 that would cancel several days: ask first, naming every day.
        asked = [(kid, leaves) for kid, leaves in found if leaves]
        texts = [f"销假 {kid.name} " + " ".join(day.isoformat() for day in leaves) for kid, leaves in asked]
        labels = [f"{kid.name}: {days_label(leaves)}" for kid, leaves in asked]
        question = f"要为{labels[0].replace(': ', '销假: ')}吗?" if len(asked) == 1 else "要为哪个孩子销假?"
        return Refusal(await propose(ctx, question, texts, labels)).reply()
    for kid, days in found:
        if not days:
            lines.append(f"{kid.name}没有可以销的假。")
            continue
        await ctx.uow.care.cancel_leaves(kid.id, days, ctx.actor.actor_ref, now)
        ctx.audit("cancel_leave", kid.name, student_id=kid.id, days=[d.isoformat() for d in days])
        head = await ctx.uow.care.head_teacher_of(kid.class_group_id)
        if head is not None and head != ctx.actor.staff_id:
            ctx.push(
                Push(
                    key=f"cancel-leave:{kid.id}:{ctx.message.message_id}:head",
                    text=f"{kid.name} 已销假: {days_label(days)}(照常参加托管)",
                    staff_id=head,
                )
            )
        lines.append(f"已为{kid.name}销假: {days_label(days)},照常参加托管。")
    return Reply("\n".join(lines))


# fmt: off
commands = Commands()
commands.add("销假", "销假 [孩子] [日期]", "取消请假,照常参加托管", care_parse.parse_cancel_leave,
             handle_cancel_leave, example="销假 明天", keywords=("销假", "取消请假", "撤销请假"))
commands.add("请假", "请假 [孩子] [日期或范围] [原因]", "为孩子请假(原因只有老师能看到)",
             care_parse.parse_leave, handle_leave, example="请假 明天 发烧",
             keywords=("请假", "请个假", "不去托管"))
# fmt: on
