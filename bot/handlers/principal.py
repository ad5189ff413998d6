"""日报 / 今天情况: the day's numbers for the principal (and teachers), numbers first, no child named."""

from __future__ import annotations

from bot.domain.messages import Reply
from bot.handlers.context import HandlerContext
from bot.handlers.registry import STAFF, Args, Commands, keyword_parser
from bot.reports import daily_summary


async def handle_daily(ctx: HandlerContext, args: Args) -> Reply:
    assert ctx.actor.school_id is not None
    # Numbers only, but school management data (fees outstanding, left-behind care): never in a group.
    return Reply(await daily_summary(ctx.uow, ctx.actor.school_id, ctx.today()), private=True)


# fmt: off
commands = Commands(roles=STAFF)
commands.add("日报", "日报", "今天全校各班的应到、实到、请假、缺席、晚接、未接",
             keyword_parser("日报", "今天情况", "今日", "今日情况", "今天的情况", "汇总", "全校情况",
                            "今天全校情况", "今日全校情况", "今天全校的情况", "今天各班情况"),
             handle_daily, keywords=("日报", "今天情况", "今日"), writes=False)
# fmt: on
