"""绑定 and 同意绑定: link a platform account to a roster guardian, confirmed by the head teacher.

Every attempt gets the same answer whether the phone matched or not (no phone guessing), attempts are
counted in the database (per account per hour, per child per day), and the head teacher hears of each
one: which account asked and whether the phone matched. A guardian already bound to another account is
bound again only with the principal's approval.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import TYPE_CHECKING

from bot.domain.actors import Role
from bot.domain.messages import Push, Reply
from bot.handlers import care_parse
from bot.handlers.care_common import Refusal, class_of_chat, kids_named_in_class
from bot.handlers.context import HandlerContext
from bot.handlers.registry import EVERYONE, STAFF, Args, Commands

if TYPE_CHECKING:
    from bot.store.binding import Request, RosterMatch

_PHONE = re.compile(r"1[3-9]\d{9}")
_NUMBER = re.compile(r"\s*(\d{1,3})\s*$")
USAGE = "请发送: 绑定 孩子姓名 您在花名册登记的手机号,例如: 绑定 王小明 13800001111"
SUBMITTED = "已提交绑定申请,班主任确认后即可使用。"
TOO_MANY = "绑定尝试次数过多,已暂停受理,请稍后再试或直接联系班主任。"


def _who(sender_name: str, platform: str, user_id: str) -> str:
    """The requesting account as the teacher sees it: its display name (if the platform gave one) and id."""
    account = f"{platform}:{user_id}"
    return f"{sender_name[:30]}({account})" if sender_name else account


async def handle_bind(ctx: HandlerContext, args: Args) -> Reply:
    if ctx.actor.is_known:
        return Reply.refusal("您的账号已绑定,发送「查询」查看。")
    rest = re.sub(r"[\s-]", "", args["rest"])
    phone = _PHONE.search(rest)
    name = _PHONE.sub("", rest).strip(",.:;")[:50]
    if phone is None or not name:
        return Reply.refusal(USAGE)
    msg, now, limits = ctx.message, ctx.clock.now(), ctx.settings.binding
    platform, user_id = str(msg.platform), msg.sender_id
    school_id = ctx.chat.school_id if ctx.chat is not None else None
    await ctx.uow.binding.one_at_a_time()
    by_account = await ctx.uow.binding.account_attempts_since(platform, user_id, now - timedelta(hours=1))
    by_child = await ctx.uow.binding.child_attempts_since(name, now - timedelta(days=1))
    if by_account >= limits.max_per_account_hour or by_child >= limits.max_per_child_day:
        await _tell_limit(
            ctx, school_id, name, by_account if by_account >= limits.max_per_account_hour else None, by_child
        )
        ctx.audit("bind_limited", name, platform=platform, user_id=user_id[:64])
        return Reply.refusal(TOO_MANY)
    match = await ctx.uow.binding.roster_match(school_id, name, phone.group(0))
    attempt_id = await ctx.uow.binding.add_attempt(
        platform, user_id, msg.sender_name[:100], name, match is not None, now, msg.message_id[:128]
    )
    if match is None:
        await _tell_mismatch(ctx, school_id, name, attempt_id)
        ctx.audit("bind_attempt_unmatched", name, platform=platform)
    else:
        await _request(ctx, match)
    # The same answer whether the phone matched or not: a guess learns nothing.
    return Reply(SUBMITTED)


async def _request(ctx: HandlerContext, match: RosterMatch) -> None:
    msg = ctx.message
    platform, user_id = str(msg.platform), msg.sender_id
    request = await ctx.uow.binding.request(
        platform,
        user_id,
        match.guardian_id,
        match.student_id,
        ctx.clock.now(),
        msg.message_id[:128],
        msg.sender_name[:100],
    )
    number = [r.id for r in await ctx.uow.binding.pending_requests([match.student_id])].index(request.id) + 1
    others = await ctx.uow.binding.other_accounts(match.guardian_id, platform, user_id)
    head = await ctx.uow.care.head_teacher_of(match.class_group_id)
    if head is not None:
        lines = [
            f"{_who(request.sender_name, platform, user_id)}申请绑定为{match.student_name}的家长"
            f"「{match.guardian_name}」({match.relation}),手机号与花名册一致。"
        ]
        if others:
            lines.append(
                f"注意: {match.guardian_name}已绑定账号 {_accounts(others)},再绑定新账号需校长确认。"
            )
        lines.append(
            f"确认请在班级群回复: 同意绑定 {match.student_name} {number};"
            f"不同意: 拒绝绑定 {match.student_name} {number}"
        )
        ctx.push(
            Push(
                key=f"bind:{request.id}:{request.requested_at.isoformat()}",
                text="\n".join(lines),
                staff_id=head,
            )
        )
    ctx.audit("bind_requested", match.student_name, guardian_id=match.guardian_id, platform=platform)


async def _tell_mismatch(ctx: HandlerContext, school_id: int | None, name: str, attempt_id: int) -> None:
    """The head teacher of a pupil with this name hears of an attempt whose phone is not on the roster."""
    who = _who(ctx.message.sender_name, str(ctx.message.platform), ctx.message.sender_id)
    for pupil in await ctx.uow.binding.pupils_named(school_id, name):
        head = await ctx.uow.care.head_teacher_of(pupil.class_group_id)
        if head is not None:
            ctx.push(
                Push(
                    key=f"bind-miss:{attempt_id}:{pupil.id}",
                    staff_id=head,
                    text=(
                        f"{who}申请绑定为{pupil.name}的家长,但手机号与花名册不符,未生成申请。"
                        "如确是家长,请核对花名册里的手机号。"
                    ),
                )
            )


async def _tell_limit(
    ctx: HandlerContext, school_id: int | None, name: str, by_account: int | None, by_child: int
) -> None:
    """Over a limit: the head teacher of a pupil with this name is told once per account-hour / child-day."""
    msg, local = ctx.message, ctx.now_local()
    who = _who(msg.sender_name, str(msg.platform), msg.sender_id)
    for pupil in await ctx.uow.binding.pupils_named(school_id, name):
        head = await ctx.uow.care.head_teacher_of(pupil.class_group_id)
        if head is None:
            continue
        if by_account is not None:
            key = f"bind-limit:{msg.platform}:{msg.sender_id}:{pupil.id}:{local:%Y%m%d%H}"
            text = f"{who}一小时内已{by_account}次尝试绑定{pupil.name}的家长,之后的尝试已拒绝。"
        else:
            key = f"bind-limit:child:{pupil.id}:{local:%Y%m%d}"
            text = f"24小时内已有{by_child}次尝试绑定{pupil.name}的家长(最近一次: {who}),之后的尝试暂不受理。"
        ctx.push(
            Push(
                key=key[:200],
                staff_id=head,
                text=text + "如是家长本人,请核对花名册里的手机号后让其稍后再试。",
            )
        )


def _accounts(accounts: list[tuple[str, str]]) -> str:
    return "、".join(f"{platform}:{user_id}" for platform, user_id in accounts)


async def handle_decide_bind(ctx: HandlerContext, args: Args) -> Reply:
    approve, rest = bool(args["approve"]), args["rest"]
    word = "同意绑定" if approve else "拒绝绑定"
    found = _NUMBER.search(rest)
    number = int(found.group(1)) if found else None
    try:
        class_id = await class_of_chat(ctx)
        kids = await kids_named_in_class(ctx, rest[: found.start()] if found else rest, class_id)
    except Refusal as refusal:
        return refusal.reply()
    if not kids:
        return Reply.refusal(f"请写出孩子的姓名,例如: {word} 王小明")
    head = await ctx.uow.care.head_teacher_of(class_id)
    if not ctx.actor.is_school_wide and head != ctx.actor.staff_id:
        class_name = await ctx.uow.people.class_name(class_id)
        return Reply.refusal(f"只有{class_name}的班主任或校长可以确认绑定。", not_allowed=True)
    requests = await ctx.uow.binding.pending_requests([k.id for k in kids])
    if not requests:
        return Reply.refusal("没有待确认的绑定申请。")
    kid_names = {k.id: k.name for k in kids}
    if (number is None and len(requests) > 1) or (number is not None and not 1 <= number <= len(requests)):
        return Reply.refusal(await _listing(ctx, requests, kid_names, word, number))
    index = (number or 1) - 1
    request = requests[index]
    name = await ctx.uow.binding.guardian_name(request.guardian_id) or ""
    who = _who(request.sender_name, request.platform, request.user_id)
    if not approve:
        await ctx.uow.binding.decide(request.id, "rejected", ctx.actor.actor_ref)
        ctx.audit("bind_rejected", name, guardian_id=request.guardian_id, platform=request.platform)
        return Reply(f"已拒绝绑定: {name}({who})")
    others = await ctx.uow.binding.other_accounts(request.guardian_id, request.platform, request.user_id)
    if others and Role.PRINCIPAL not in ctx.actor.roles:
        return Reply.refusal(
            f"{name}已绑定账号 {_accounts(others)},再绑定新账号({who})需校长确认: "
            f"请校长在本群发送 同意绑定 {kid_names[request.student_id]} {index + 1}",
            not_allowed=True,
        )
    await _bind(ctx, request, name)
    text = f"已确认绑定: {name}({who})"
    if others:
        text += f"\n注意: {name}此前已绑定账号 {_accounts(others)},现在这些账号都可以使用。"
    return Reply(text)


async def _bind(ctx: HandlerContext, request: Request, name: str) -> None:
    await ctx.uow.binding.decide(request.id, "approved", ctx.actor.actor_ref)
    await ctx.uow.binding.bind(request.platform, request.user_id, request.guardian_id, ctx.clock.now())
    ctx.push(
        Push(
            key=f"bind:{request.id}:approved:{ctx.message.message_id}"[:200],
            guardian_id=request.guardian_id,
            text="绑定成功!现在可以在群里 @托管助手 请假、报名、告知接送了。发送「帮助」查看命令。",
        )
    )
    ctx.audit("bind_approved", name, guardian_id=request.guardian_id, platform=request.platform)


async def _listing(
    ctx: HandlerContext, requests: list[Request], kid_names: dict[int, str], word: str, number: int | None
) -> str:
    """The pending requests, numbered, and how to pick one."""
    lines = [f"没有第{number}个申请。" if number is not None else f"有{len(requests)}个待确认的绑定申请:"]
    for i, request in enumerate(requests, start=1):
        name = await ctx.uow.binding.guardian_name(request.guardian_id)
        bound = await ctx.uow.binding.other_accounts(request.guardian_id, request.platform, request.user_id)
        lines.append(
            f"{i}. {kid_names[request.student_id]}: {_who(request.sender_name, request.platform, request.user_id)}"
            f" 申请绑定为「{name}」" + (",该家长已绑定其他账号" if bound else "")
        )
    example = kid_names[requests[0].student_id]
    lines.append(f"请回复编号,例如: {word} {example} 1")
    return "\n".join(lines)


# fmt: off
commands = Commands(roles=STAFF)
commands.add("同意绑定", "同意绑定 孩子姓名 [编号]", "班主任确认家长的绑定申请(有多个申请时写编号)",
             care_parse.parse_approve_bind, handle_decide_bind, example="同意绑定 王小明 1",
             keywords=("同意绑定", "确认绑定"))
commands.add("拒绝绑定", "拒绝绑定 孩子姓名 [编号]", "拒绝家长的绑定申请", care_parse.parse_reject_bind,
             handle_decide_bind, example="拒绝绑定 王小明 1")
commands.add("绑定", "绑定 孩子姓名 手机号", "把您的账号和花名册里的家长信息关联", care_parse.parse_bind,
             handle_bind, example="绑定 王小明 13800001111", roles=EVERYONE)
# fmt: on
