"""通知 (a notice with read confirmation), 通知情况 (who has confirmed, privately) and 停课 (a closure, told).

A head teacher's `通知 TEXT` goes to their class group; the principal's `通知 全校 TEXT` / `通知 三年级 TEXT`
to every class (of the grade). Families confirm with `收到` (see bot/handlers/chatter.py): a child counts as
confirmed once any of its guardians replied. Group texts never name a child.
"""

from __future__ import annotations

import re
from datetime import date, timedelta

from bot.domain import notices as rules
from bot.domain.actors import Role
from bot.domain.dates import find_dates
from bot.domain.messages import Reply
from bot.handlers.care_common import calendar_of, day_label, days_label
from bot.handlers.context import HandlerContext
from bot.handlers.registry import PRINCIPALS, Args, Commands, keyword_parser
from bot.notices import Sent, send_notice

SENDERS = frozenset({Role.HEAD_TEACHER, Role.PRINCIPAL, Role.ADMIN})
NAMES_PER_CLASS = 60


def parse_notice(text: str) -> Args | None:
    found = rules.parse_notice(text)
    return {"scope": found[0], "text": found[1]} if found else None


_STATUS_POLITELY = keyword_parser("通知情况", "通知确认情况", "通知的确认情况", "通知确认")


def parse_status(text: str) -> Args | None:
    """`通知情况`, `通知情况 2`, or asked politely (`通知情况发一下`, `帮我看看通知确认情况`)."""
    n = rules.parse_status(text)
    if n is not None:
        return {"n": n}
    return {"n": 1} if _STATUS_POLITELY(text) is not None else None


def parse_closure(text: str) -> Args | None:
    """`停课 明天 运动会`: the days and the reason are read by the handler (they need the calendar)."""
    m = re.match(r"^\s*(?:临时)?停课\s*[:：]?\s*(.*)$", text, re.DOTALL)
    return {"text": m.group(1).strip()} if m else None


def _sender_label(ctx: HandlerContext, class_names: list[str]) -> str:
    if ctx.actor.is_school_wide:
        return (
            f"校长 {ctx.actor.name}".strip()
            if Role.PRINCIPAL in ctx.actor.roles
            else f"学校 {ctx.actor.name}"
        )
    return f"{'、'.join(class_names)} {ctx.actor.name}老师"


def _sent_reply(sent: Sent) -> Reply:
    where = "、".join(n for n in sent.classes if n not in sent.no_chat) or "无"
    lines = [f"通知已发到 {where} 的班级群,应确认 {sent.reached} 名学生。发送「通知情况」查看确认情况。"]
    if sent.no_chat:
        lines.append(f"{'、'.join(sent.no_chat)} 没有可用的班级群,未能发出,请另行通知。")
    return Reply("\n".join(lines))


async def handle_notice(ctx: HandlerContext, args: Args) -> Reply:
    school_id = ctx.actor.school_id
    assert school_id is not None
    scope, text = args["scope"], args["text"]
    if scope:
        if not ctx.actor.is_school_wide:
            return Reply.refusal(
                "全校或年级通知由校长发送;班主任请用: 通知 内容(发到您的班级)", not_allowed=True
            )
        grade = rules.grade_of(scope)
        classes = await ctx.uow.notices.classes_with_pupils(school_id, grade)
        if not classes:
            return Reply.refusal(f"{scope}没有学生,通知未发送。")
    else:
        heads = [
            r for r in ctx.actor.staff_roles if r.role == Role.HEAD_TEACHER and r.class_group_id is not None
        ]
        if ctx.chat is not None and any(r.class_group_id == ctx.chat.class_group_id for r in heads):
            heads = [r for r in heads if r.class_group_id == ctx.chat.class_group_id]
        if not heads:
            if ctx.actor.is_school_wide:
                return Reply.refusal(
                    "请写明通知范围,例如: 通知 全校 明天运动会,托管暂停 或 通知 三年级 周五春游"
                )
            return Reply.refusal("只有班主任可以给班级发通知。", not_allowed=True)
        classes = [(r.class_group_id, r.class_name) for r in heads if r.class_group_id is not None]
        scope = "、".join(n for _, n in classes)
    sent = await send_notice(
        ctx.uow,
        ctx.settings,
        school_id=school_id,
        sender_staff_id=ctx.actor.staff_id,
        sender=_sender_label(ctx, [n for _, n in classes]),
        kind="notice",
        scope=scope,
        text=text[:1000],
        classes=classes,
        now=ctx.clock.now(),
        message_id=ctx.message.message_id,
    )
    for push in sent.pushes:
        ctx.push(push)
    ctx.audit("notice.send", scope, notice=sent.notice_id, reached=sent.reached)
    return _sent_reply(sent)


async def handle_status(ctx: HandlerContext, args: Args) -> Reply:
    school_id = ctx.actor.school_id
    assert school_id is not None and ctx.actor.staff_id is not None
    now = ctx.clock.now()
    mine = await ctx.uow.notices.open_notices(
        school_id, now, sender_staff_id=ctx.actor.staff_id, with_unsent=ctx.actor.is_school_wide
    )
    n = args["n"]
    if not mine:
        return Reply("您目前没有未结束的通知。发通知: 通知 内容", private=True)
    if n > len(mine):
        return Reply(f"您目前只有 {len(mine)} 条未结束的通知,发送「通知情况」查看最近一条。", private=True)
    notice = mine[n - 1]
    tz = ctx.settings.school.tz
    sent, closes = notice.created_at.astimezone(tz), notice.closes_at.astimezone(tz)
    short = notice.text if len(notice.text) <= 40 else notice.text[:40] + "…"
    lines = [
        f"通知情况({sent.month}月{sent.day}日 {sent:%H:%M},{notice.scope},{closes.month}月{closes.day}日截止):",
        f"「{short}」",
        rules.rate(notice.confirmed, notice.total),
    ]
    missing = await ctx.uow.notices.unconfirmed(notice.id)
    if missing:
        lines.append(f"未确认 {len(missing)} 人:")
        by_class: dict[str, list[str]] = {}
        for _, name, _, class_name in missing:
            by_class.setdefault(class_name, []).append(name)
        for class_name, names in by_class.items():
            more = f" 等 {len(names)} 人" if len(names) > NAMES_PER_CLASS else ""
            lines.append(f"· {class_name}: {'、'.join(names[:NAMES_PER_CLASS])}{more}")
    else:
        lines.append("全部已确认。")
    if len(mine) > n:
        lines.append(f"(还有 {len(mine) - n} 条更早的通知: 通知情况 {n + 1})")
    return Reply("\n".join(lines), private=True)


def _runs(days: list[date]) -> list[tuple[date, date]]:
    """Consecutive days as (start, end) ranges, for calendar entries."""
    runs: list[tuple[date, date]] = []
    for day in sorted(days):
        if runs and runs[-1][1] + timedelta(days=1) == day:
            runs[-1] = (runs[-1][0], day)
        else:
            runs.append((day, day))
    return runs


async def handle_closure(ctx: HandlerContext, args: Args) -> Reply:
    school_id = ctx.actor.school_id
    assert school_id is not None
    calendar = await calendar_of(ctx)
    text = args["text"]
    found = find_dates(text, ctx.today(), calendar.is_care_day) if text else None
    if found is None or not found.days or found.vague:
        return Reply.refusal("请写明哪天停课和原因,例如: 停课 明天 运动会")
    if found.past:
        return Reply.refusal(f"{days_label(list(found.past))}已经过去,不能停课。")
    days = [d for d in found.days if calendar.is_care_day(d)]
    if not days:
        day = found.days[0]
        return Reply.refusal(f"{day_label(day)}本来就没有托管({calendar.why_not(day)}),无需停课。")
    reason = re.sub(r"^[\s,，:：、]+|[\s,，。.!！]+$", "", text.replace(found.text, " ", 1)).strip()
    reason = re.sub(r"^(因为?|由于)", "", reason).strip()[:100]
    for start, end in _runs(days):
        await ctx.uow.notices.add_closure(school_id, start, end, reason or "停课")
    classes = await ctx.uow.notices.classes_with_pupils(school_id)
    label = rules.days_text(days)
    sent = await send_notice(
        ctx.uow,
        ctx.settings,
        school_id=school_id,
        sender_staff_id=ctx.actor.staff_id,
        sender=_sender_label(ctx, []),
        kind="closure",
        scope="全校",
        text=rules.closure_text(label, reason),
        classes=classes,
        now=ctx.clock.now(),
        closure_day=days[0],
        message_id=ctx.message.message_id,
    )
    for push in sent.pushes:
        ctx.push(push)
    ctx.audit("calendar.closure", label, reason=reason, notice=sent.notice_id)
    reply = _sent_reply(sent)
    return Reply(f"已登记 {label} 停课,当天的接送提醒和晚接提醒不再发送。\n{reply.text}")


# fmt: off
commands = Commands(roles=SENDERS)
commands.add("通知", "通知 [全校|三年级] 内容", "给班级群发通知,家长回复「收到」确认", parse_notice,
             handle_notice, example="通知 周五下午开家长会", keywords=("通知", "发通知"), free_text=True)
commands.add("通知情况", "通知情况 [2]", "我发的通知的确认情况(私信回复)", parse_status, handle_status,
             example="通知情况", writes=False)
commands.add("停课", "停课 日期 原因", "登记停课并通知全校家长(当天不发接送提醒)", parse_closure,
             handle_closure, example="停课 明天 运动会", roles=PRINCIPALS)
# fmt: on
