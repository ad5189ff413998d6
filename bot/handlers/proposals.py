"""Ask when unsure, and remember the answer.

Where a reading is uncertain (a short or close name, which child, a 销假 of several days) the bot proposes one
concrete reading, or numbered ones, as the message it would carry out. `是`/`对`/`确认` (or `1`, `2`, …) from the
same sender in the same chat within ten minutes carries it out; any other message drops it. The proposal is
stored with the message's unit of work, so a restart keeps it.
"""

from __future__ import annotations

import re
from datetime import date, timedelta

from bot.domain.dates import find_dates
from bot.domain.messages import IncomingMessage, Reply
from bot.domain.text import normalise
from bot.handlers.context import HandlerContext
from bot.handlers.phenomena import confirmation
from bot.handlers.registry import Args, Commands, Parsed, ParseError
from bot.store import proposals as store
from bot.store.uow import UnitOfWork

CONFIRM = "确认"
ANSWER_DAYS = "补日期"
DAYS = "{days}"
CONFIRM_WITHIN = timedelta(minutes=10)
NOTHING_PENDING = "好的。"


# A choice among same-name pupils travels with the proposed message: `⟦12,15⟧王小明 已接走` (student ids).
_CHOSEN = re.compile(r"^⟦(?P<ids>\d+(?:,\d+)*)⟧")


def with_chosen(ids: frozenset[int], text: str) -> str:
    """The message to carry out once chosen, holding the pupils picked so far (never shown to the sender)."""
    return f"⟦{','.join(str(i) for i in sorted(ids))}⟧{text}"


def split_chosen(text: str) -> tuple[frozenset[int], str]:
    m = _CHOSEN.match(text)
    if m is None:
        return frozenset(), text
    return frozenset(int(i) for i in m["ids"].split(",")), text[m.end() :]


def current_text(ctx: HandlerContext) -> str:
    """The message being carried out: the chosen reading when answering a proposal, else the sender's own."""
    return ctx.replayed_text if ctx.replayed_text is not None else normalise(ctx.message.text)


def who_of(message: IncomingMessage) -> store.Who:
    return store.Who(str(message.platform), message.chat_id, message.sender_id)


async def propose(
    ctx: HandlerContext, question: str, texts: list[str], labels: list[str] | None = None
) -> str:
    """Remember the reading(s) and return the question to send (the caller refuses with it: nothing written).

    A text holding DAYS is a message waiting for its days: the sender's next message naming only days fills it.
    """
    await ctx.uow.proposals.remember(
        who_of(ctx.message), texts, question, ctx.message.message_id, ctx.clock.now()
    )
    if len(texts) == 1 and DAYS in texts[0]:
        return f"{question}\n直接回复日期即可,例如「下周一到周三」。"
    if len(texts) == 1:
        return f"{question}\n回复「是」照此办理,回复其他内容则取消。"
    lines = [
        question,
        *(f"{i}. {label}" for i, label in enumerate(labels or texts, start=1)),
        "请回复数字选择。",
    ]
    return "\n".join(lines)


def rewritten(ctx: HandlerContext, word: str, by: str) -> str:
    """The sender's message with `word` (its first standalone occurrence) read as `by`."""
    text = normalise(ctx.message.text)
    pattern = (
        re.compile(rf"(?<!{re.escape(by[0])}){re.escape(word)}")
        if by.endswith(word)
        else re.compile(re.escape(word))
    )
    return pattern.sub(by, text, count=1)


# Command words as phone keyboards mistype them (same pinyin, a neighbouring shape): read, then proposed.
TYPOS = {
    "清假": "请假",
    "青假": "请假",
    "情假": "请假",
    "轻假": "请假",
    "请家": "请假",
    "请架": "请假",
    "请嫁": "请假",
    "消假": "销假",
    "销加": "销假",
    "以接走": "已接走",
    "己接走": "已接走",
    "已借走": "已接走",
    "以经接走": "已经接走",
    "晚点借": "晚点接",
    "报明": "报名",
    "抱名": "报名",
    "代借": "代接",
}
_TYPO = re.compile("|".join(sorted(TYPOS, key=len, reverse=True)))


def parse_near_miss(text: str) -> Args | None:
    """A command word mistyped (清假 明天): the corrected message, to be proposed, never carried out as is."""
    corrected = _TYPO.sub(lambda m: TYPOS[m.group(0)], text)
    return {"text": corrected} if corrected != text else None


async def handle_near_miss(ctx: HandlerContext, args: Args) -> Reply:
    corrected = args["text"]
    parsed = ctx.table.parse(corrected)
    if isinstance(parsed, ParseError) or not (parsed.spec.roles & ctx.actor.roles):
        return Reply.refusal(f"没看懂「{normalise(ctx.message.text)[:30]}」。发送「帮助」查看全部命令。")
    if not parsed.spec.writes:
        return await parsed.spec.handle(ctx, parsed.args)
    return Reply.refusal(await propose(ctx, f"您是想「{corrected}」吗?", [corrected]))


def parse_confirm(text: str) -> Args | None:
    answer = confirmation(text)
    return {"answer": answer} if answer is not None else None


async def handle_confirm(ctx: HandlerContext, args: Args) -> Reply:
    who = who_of(ctx.message)
    texts = await ctx.uow.proposals.pending(who, ctx.clock.now(), CONFIRM_WITHIN)
    answer = args["answer"]
    if answer == "no":
        if texts is not None:
            await ctx.uow.proposals.drop(who)
        return Reply("好的,已取消。" if texts is not None else NOTHING_PENDING)
    if texts is None:
        return Reply(NOTHING_PENDING if answer == "yes" else "现在没有等您选择的事项。")
    if answer == "yes" and len(texts) > 1:
        return Reply(f"请回复数字 1-{len(texts)} 选择。")
    index = 0 if answer == "yes" else int(answer) - 1
    if not 0 <= index < len(texts):
        return Reply(f"请回复数字 1-{len(texts)} 选择。")
    if DAYS in texts[index]:
        return Reply("请直接回复日期,例如「下周一到周三」。")
    await ctx.uow.proposals.drop(who)
    ctx.chosen, text = split_chosen(texts[index])
    ctx.replayed_text = text
    parsed = ctx.table.parse(text)
    if (
        isinstance(parsed, ParseError)
        or not (parsed.spec.roles & ctx.actor.roles)
        or parsed.spec.name == CONFIRM
    ):
        return Reply.refusal("这项已失效,请重新发送。")
    return await parsed.spec.handle(ctx, parsed.args)


_ONLY_DAYS_REST = re.compile(r"^[\s,，。.、的吧啊呀]*$")
_REFERENCE_DAY = date(2026, 1, 5)  # only the span of the words matters here, not the days they name


def parse_days_answer(text: str) -> Args | None:
    """A message that is only days ("下周一到周三"): the answer to "which days?"."""
    found = find_dates(text, _REFERENCE_DAY, lambda _: True)
    if found is None or not found.text or found.vague:
        return None
    return {"text": text} if _ONLY_DAYS_REST.match(text.replace(found.text, "")) else None


async def handle_days_answer(ctx: HandlerContext, args: Args) -> Reply:
    who = who_of(ctx.message)
    texts = await ctx.uow.proposals.pending(who, ctx.clock.now(), CONFIRM_WITHIN)
    if not texts or DAYS not in texts[0]:
        return Reply.refusal(f"「{args['text']}」要做什么?例如: 请假 {args['text']}")
    await ctx.uow.proposals.drop(who)
    parsed = ctx.table.parse(texts[0].replace(DAYS, args["text"]))
    if isinstance(parsed, ParseError) or not (parsed.spec.roles & ctx.actor.roles) or not parsed.spec.writes:
        return Reply.refusal("这项已失效,请重新发送。")
    return await parsed.spec.handle(ctx, parsed.args)


async def settle_pending(
    uow: UnitOfWork, message: IncomingMessage, parsed: Parsed | ParseError, pending: bool = True
) -> None:
    """Any message but an answer drops the sender's pending proposal in this chat (`pending`: there may be
    one; False when the message's first look found none, and then nothing is written)."""
    if not pending or (isinstance(parsed, Parsed) and parsed.spec.name in {CONFIRM, ANSWER_DAYS}):
        return
    await uow.proposals.drop(who_of(message))


# fmt: off
commands = Commands()
commands.add(CONFIRM, "是 / 1", "确认托管助手提出的理解(10分钟内)", parse_confirm, handle_confirm,
             example="是", keywords=("是", "确认"))
commands.add(ANSWER_DAYS, "(日期)", "回答「哪几天」", parse_days_answer, handle_days_answer,
             example="下周一到周三", keywords=("下周一",))
commands.add("近似", "(错别字)", "命令写错了字时,先确认再办理", parse_near_miss, handle_near_miss,
             example="清假 明天", keywords=("清假",), writes=False)
# fmt: on
