"""闲聊: polite chatter addressed to the bot gets one short line, never "没看懂".

The one rule (see `phenomena.chatter_kind`): a message made only of courtesy words (thanks, OK, received, a
greeting) or only of emoji and punctuation is chatter. Thanks get "不客气", a greeting a one-line hint, an
acknowledgement ("好的", "收到", "👍") a one-word acknowledgement. Nothing is written. A `收到` that answers
something awaiting confirmation is for the command that awaits it, not for this one.
"""

from __future__ import annotations

import re

from bot.domain.messages import Reply
from bot.handlers.context import HandlerContext
from bot.handlers.phenomena import chatter_kind
from bot.handlers.registry import KNOWN, Args, CommandSpec

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
    return {"kind": kind} if kind else None


async def handle_chatter(ctx: HandlerContext, args: Args) -> Reply:
    return Reply(ANSWERS[args["kind"]])


COMMANDS = [
    CommandSpec("闲聊", "谢谢 / 好的 / 收到", "礼貌用语,简短回应", "谢谢老师", ("谢谢", "好的", "收到"), parse_chatter,
                handle_chatter, roles=KNOWN, priority=2, writes=False),
    CommandSpec("致谢", "谢谢老师…", "感谢的话,简短回应", "感谢老师的辛苦付出", ("感谢",), parse_gratitude,
                handle_chatter, roles=KNOWN, priority=995, writes=False),
]
