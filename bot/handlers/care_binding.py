"""绑定 and 同意绑定: link a platform account to a roster guardian, confirmed by the head teacher."""

from __future__ import annotations

import re

from sqlalchemy import select

from bot.domain.messages import Push, Reply
from bot.handlers import care_parse
from bot.handlers.care_common import Refusal, class_of_chat, kids_named_in_class
from bot.handlers.context import HandlerContext
from bot.handlers.registry import EVERYONE, STAFF, Args, CommandSpec
from bot.store.care import head_teacher_of
from bot.store.care_tables import BindingRequest
from bot.store.tables import ClassGroup, Guardian, Guardianship, Identity, Student

_PHONE = re.compile(r"1[3-9]\d{9}")
MISMATCH = "手机号和孩子姓名与花名册对不上,请核对后再试,或联系班主任。"


async def handle_bind(ctx: HandlerContext, args: Args) -> Reply:
    if ctx.actor.is_known:
        return Reply.refusal("您的账号已绑定,发送「查询」查看。")
    rest = re.sub(r"[\s-]", "", args["rest"])
    phone = _PHONE.search(rest)
    name = _PHONE.sub("", rest).strip(",.:;")
    if phone is None or not name:
        return Reply.refusal("请发送: 绑定 孩子姓名 您在花名册登记的手机号,例如: 绑定 王小明 13800001111")
    stmt = (
        select(Guardian, Student)
        .join(Guardianship, Guardianship.guardian_id == Guardian.id)
        .join(Student, Student.id == Guardianship.student_id)
        .where(Guardian.phone == phone.group(0), Student.name == name, Student.active.is_(True))
    )
    if ctx.chat is not None:
        stmt = stmt.where(Guardian.school_id == ctx.chat.school_id)
    row = (await ctx.session.execute(stmt.limit(1))).first()
    if row is None:
        return Reply.refusal(MISMATCH)
    guardian, student = row
    platform, user_id = str(ctx.message.platform), ctx.message.sender_id
    request = await ctx.session.scalar(
        select(BindingRequest).where(BindingRequest.platform == platform, BindingRequest.user_id == user_id,
                                     BindingRequest.guardian_id == guardian.id)
    )
    if request is None:
        request = BindingRequest(platform=platform, user_id=user_id, guardian_id=guardian.id, student_id=student.id,
                                 requested_at=ctx.clock.now(), message_id=ctx.message.message_id)
        ctx.session.add(request)
    elif request.state == "rejected":
        request.state, request.requested_at = "pending", ctx.clock.now()
    ctx.session.add(request)
    await ctx.session.flush()
    head = await head_teacher_of(ctx.session, student.class_group_id)
    if head is not None:
        ctx.push(Push(key=f"bind:{request.id}:{request.requested_at.isoformat()}",
                      text=f"{guardian.name}申请绑定为{student.name}的家长。确认请在班级群回复: 同意绑定 {student.name}",
                      staff_id=head))
    ctx.audit("bind_requested", student.name, guardian_id=guardian.id, platform=platform)
    return Reply("已提交绑定申请,班主任确认后即可使用。")


async def handle_decide_bind(ctx: HandlerContext, args: Args) -> Reply:
    try:
        class_id = await class_of_chat(ctx)
        kids = await kids_named_in_class(ctx, args["rest"], class_id)
    except Refusal as refusal:
        return refusal.reply()
    if not kids:
        return Reply.refusal("请写出孩子的姓名,例如: 同意绑定 王小明")
    head = await head_teacher_of(ctx.session, class_id)
    if not ctx.actor.is_school_wide and head != ctx.actor.staff_id:
        class_name = await ctx.session.scalar(select(ClassGroup.name).where(ClassGroup.id == class_id))
        return Reply.refusal(f"只有{class_name}的班主任或校长可以确认绑定。", not_allowed=True)
    requests = list(await ctx.session.scalars(
        select(BindingRequest).where(BindingRequest.student_id.in_([k.id for k in kids]),
                                     BindingRequest.state == "pending")
    ))
    if not requests:
        return Reply.refusal("没有待确认的绑定申请。")
    approve, lines = bool(args["approve"]), []
    for request in requests:
        request.state, request.decided_by = ("approved" if approve else "rejected"), ctx.actor.actor_ref
        guardian = await ctx.session.get(Guardian, request.guardian_id)
        assert guardian is not None
        if approve:
            identity = await ctx.session.scalar(select(Identity).where(
                Identity.platform == request.platform, Identity.user_id == request.user_id))
            if identity is None:
                ctx.session.add(Identity(platform=request.platform, user_id=request.user_id,
                                         guardian_id=request.guardian_id, source="binding", bound_at=ctx.clock.now()))
            else:
                identity.guardian_id = request.guardian_id
            ctx.push(Push(key=f"bind:{request.id}:approved", guardian_id=guardian.id,
                          text="绑定成功!现在可以在群里 @托管助手 请假、报名、告知接送了。发送「帮助」查看命令。"))
        ctx.audit("bind_approved" if approve else "bind_rejected", guardian.name, guardian_id=guardian.id)
        lines.append(guardian.name)
    word = "已确认绑定" if approve else "已拒绝绑定"
    return Reply(f"{word}: " + "、".join(lines))


COMMANDS = [
    CommandSpec(
        name="同意绑定",
        usage="同意绑定 孩子姓名",
        summary="班主任确认家长的绑定申请",
        example="同意绑定 王小明",
        keywords=("同意绑定", "确认绑定"),
        parse=care_parse.parse_approve_bind,
        handle=handle_decide_bind,
        roles=STAFF,
        priority=5,
    ),
    CommandSpec(
        name="拒绝绑定",
        usage="拒绝绑定 孩子姓名",
        summary="拒绝家长的绑定申请",
        example="拒绝绑定 王小明",
        keywords=("拒绝绑定",),
        parse=care_parse.parse_reject_bind,
        handle=handle_decide_bind,
        roles=STAFF,
        priority=5,
    ),
    CommandSpec(
        name="绑定",
        usage="绑定 孩子姓名 手机号",
        summary="把您的账号和花名册里的家长信息关联",
        example="绑定 王小明 13800001111",
        keywords=("绑定",),
        parse=care_parse.parse_bind,
        handle=handle_bind,
        roles=EVERYONE,
        priority=6,
    ),
]
