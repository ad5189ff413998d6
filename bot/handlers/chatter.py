"""闲聊: polite chatter addressed to the bot gets one short line, never "没看懂".

The one rule (see `phenomena.chatter_kind`): a message made only of courtesy words (thanks, OK, received, a
greeting) or only of emoji and punctuation is chatter. Thanks get "不客气", a greeting a one-line hint, an
acknowledgement ("好的", "收到", "👍") a one-word acknowledgement. A `收到` from a guardian confirms every
open notice (通知) reaching their children (bot/handlers/notices.py); with none open it is chatter and
nothing is written. A `收到` that answers a pending proposal is for the command that awaits it.
"""

from __future__ import annotations

import re

from bot.domain.messages import Reply
from bot.handlers.context import HandlerContext
from bot.handlers.phenomena import chatter_kind, is_question
from bot.handlers.registry import Args, Commands

ANSWERS = {
    "thanks": "不客气😊",
    "greeting": "您好!需要帮忙请直接说,例如「请假 明天」;发送「帮助」查看全部命令。",
    "ack": "好的👌",
}


_GRATITUDE = re.compile(r"^(?:老师)?[,，\s]*(?:谢谢|感谢|多谢|辛苦)[\u4e00-\u9fff,，!！~。🙏]{0,12}$")


def parse_gratitude(text: str) -> Args | None:
    """感谢老师的辛苦付出: thanks in a sentence of its own; tried only after every command (so never swallows one)."""
    return {"kind": "thanks"} if _GRATITUDE.match(text) and not re.search(r"\d", text) else None


def parse_chatter(text: str) -> Args | None:
    kind = chatter_kind(text)
    if not kind:
        return None
    # 收到 / 已收到 / 收到,谢谢老师: the reply a notice asks for (never a question: 收到了吗 is not one).
    return {"kind": kind, "received": "收到" in text and not is_question(text)}


async def handle_chatter(ctx: HandlerContext, args: Args) -> Reply:
    if args.get("received") and ctx.actor.guardian_id is not None and ctx.actor.children:
        confirmed = await ctx.uow.notices.confirm(
            [c.student_id for c in ctx.actor.children], ctx.actor.guardian_id, ctx.clock.now()
        )
        if confirmed:
            ctx.audit("notice.confirm", "", notices=confirmed)
            return Reply(
                "已确认收到通知,谢谢您!" if confirmed == 1 else f"已确认收到 {confirmed} 条通知,谢谢您!"
            )
    return Reply(ANSWERS[args["kind"]])


# fmt: off
commands = Commands()
commands.add("闲聊", "谢谢 / 好的 / 收到", "礼貌用语,简短回应", parse_chatter, handle_chatter,
             example="谢谢老师", keywords=("谢谢", "好的", "收到"), writes=False)
commands.add("致谢", "谢谢老师…", "感谢的话,简短回应", parse_gratitude, handle_chatter,
             example="感谢老师的辛苦付出", keywords=("感谢",), writes=False)
# fmt: on
