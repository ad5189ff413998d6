"""帮助 and 查询: what the bot can do, and who the sender is to the bot."""

from __future__ import annotations

from bot.domain.actors import ROLE_LABELS, Actor
from bot.domain.messages import Reply
from bot.handlers import texts
from bot.handlers.context import HandlerContext
from bot.handlers.registry import EVERYONE, Args, Commands, keyword_parser


async def handle_help(ctx: HandlerContext, args: Args) -> Reply:
    if not ctx.actor.is_known:
        return Reply(texts.UNKNOWN_SENDER)
    return Reply(ctx.table.help_text(ctx.actor))


async def handle_whoami(ctx: HandlerContext, args: Args) -> Reply:
    return Reply(describe(ctx.actor))


def describe(actor: Actor) -> str:
    if not actor.is_known:
        return texts.UNKNOWN_SENDER
    lines: list[str] = []
    if actor.staff_id is not None:
        lines.append(f"您好,{actor.name}老师。")
        for role in actor.staff_roles:
            where = role.class_name or "全校"
            lines.append(f"· {where} {ROLE_LABELS.get(role.role, str(role.role))}")
    if actor.guardian_id is not None:
        lines.append(f"您好,{actor.name}。您绑定的孩子:")
        if not actor.children:
            lines.append("· (暂无,请联系班主任核对花名册)")
        for child in actor.children:
            pickup = "可接送" if child.may_pickup else "不可接送"
            lines.append(f"· {child.name}({child.class_name},{child.relation},{pickup})")
    lines.append("发送「帮助」查看可用命令。")
    return "\n".join(lines)


# fmt: off
commands = Commands(roles=EVERYONE)
commands.add("帮助", "帮助", "列出可用命令",
             keyword_parser("帮助", "help", "HELP", "Help", "菜单", "命令", "?", "怎么用", "使用说明"),
             handle_help, keywords=("帮助", "help", "菜单", "命令", "?", "怎么用"), writes=False)
commands.add("查询", "查询", "查看我是谁、绑定的孩子或任教班级",
             keyword_parser("查询", "我是谁", "我的信息", "查询信息"), handle_whoami,
             keywords=("查询", "我是谁", "我的信息"), writes=False)
# fmt: on
