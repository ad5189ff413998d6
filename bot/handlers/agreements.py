"""同意协议 / 已买学平险 (a guardian records the term's agreement and insurance for their children), 协议 (the
agreement's text) and 评价 (the month's service rating). Answers go to the sender privately."""

from __future__ import annotations

from bot.domain import agreements as rules
from bot.domain import survey
from bot.domain.actors import ChildRef
from bot.domain.messages import Reply
from bot.domain.school_calendar import national_workday
from bot.handlers.care_common import calendar_of
from bot.handlers.context import HandlerContext
from bot.handlers.phenomena import is_question
from bot.handlers.registry import GUARDIANS, KNOWN, Args, Commands
from bot.handlers.resolve import find_kids, not_found_text
from bot.store.agreements import Marks

WHAT = {"agree": "已同意{term}《自愿服务协议书》", "insure": "已登记{term}学平险"}
INSURANCE_ANSWER = (
    "学平险请按学校通知购买;购买后请回复「已买学平险」登记(有几个孩子时可写「已买学平险 刘洋」)。"
)


def parse_agree(text: str) -> Args | None:
    names = rules.parse_agree(text)
    return None if names is None else {"names": names, "what": "agree", "received": "收到" in text}


def parse_insured(text: str) -> Args | None:
    names = rules.parse_insured(text)
    return None if names is None else {"names": names, "what": "insure", "received": "收到" in text}


def parse_read(text: str) -> Args | None:
    """`协议` / `看一下协议`, or a question about the agreement or the insurance (`学平险在哪里买`)."""
    if rules.parse_read(text):
        return {"about": "agreement"}
    if is_question(text) and ("协议" in text or "学平险" in text):
        return {"about": "insurance" if "学平险" in text and "协议" not in text else "agreement"}
    return None


def parse_rating(text: str) -> Args | None:
    rating = survey.parse_rating(text)
    return None if rating is None else {"score": rating.score, "comment": rating.comment}


def _chosen(ctx: HandlerContext, names: str) -> tuple[list[ChildRef], Reply | None]:
    """The sender's children the message is for: all of them, or the ones named (only among their own)."""
    children = list(ctx.actor.children)
    if not children:
        return [], Reply.refusal("没有找到您绑定的孩子,请先联系班主任绑定。", private=True)
    if not names:
        return children, None
    found = find_kids(names, [c.child for c in children])
    ids = {k.id for k in found.kids}
    if not ids:
        head = not_found_text(found.unknown) if found.unknown else f"没有找到「{names}」。"
        mine = "、".join(c.name for c in children)
        return [], Reply.refusal(f"{head}您的孩子: {mine}。例如: 同意协议 {children[0].name}", private=True)
    return [c for c in children if c.student_id in ids], None


async def handle_record(ctx: HandlerContext, args: Args) -> Reply:
    children, refusal = _chosen(ctx, args["names"])
    if refusal is not None:
        return refusal
    calendar = await calendar_of(ctx)
    term = rules.term_for(
        ctx.today(), [(t.start, t.end) for t in calendar.terms], calendar.is_care_day, national_workday
    )
    ids = [c.student_id for c in children]
    what = args["what"]
    new = await ctx.uow.agreements.record(ids, term, what, ctx.actor.guardian_id, ctx.clock.now())
    marks = await ctx.uow.agreements.marks_of(ids, term[0])
    ctx.audit(
        f"agreement.{what}", "、".join(c.name for c in children), students=ids, term=term[0].isoformat()
    )
    label = rules.term_label(term)
    done = "、".join(c.name for c in children)
    lines = [
        f"已记录: {done} {WHAT[what].format(term=label)}。"
        if new
        else f"{done} 本学期已经登记过了,无需重复。"
    ]
    if what == "agree" and any(marks.get(i, Marks()).insured_at is None for i in ids):
        lines.append(f"另外请为孩子购买学平险,{rules.INSURE_HINT.removeprefix('学平险')}。")
    if what == "insure" and any(marks.get(i, Marks()).agreed_at is None for i in ids):
        lines.append(f"本学期的《自愿服务协议书》还未同意: 发送「协议」查看全文,{rules.AGREE_HINT}。")
    if args.get("received") and await _confirm_notices(ctx):
        lines.append("也已确认收到通知,谢谢!")
    return Reply("\n".join(lines), private=True)


async def _confirm_notices(ctx: HandlerContext) -> int:
    """`收到,同意协议`: the 收到 confirms the open notices for the sender's children, as a bare 收到 does."""
    ids = [c.student_id for c in ctx.actor.children]
    confirmed = await ctx.uow.notices.confirm(ids, ctx.actor.guardian_id, ctx.clock.now())
    if confirmed:
        ctx.audit("notice.confirm", "", notices=confirmed)
    return confirmed


async def handle_read(ctx: HandlerContext, args: Args) -> Reply:
    if args["about"] == "insurance":
        return Reply(INSURANCE_ANSWER, private=True)
    text = ctx.settings.notices.agreement_text.strip()
    return Reply(f"{text}\n\n{rules.AGREE_HINT};{rules.INSURE_HINT}。", private=True)


async def handle_rating(ctx: HandlerContext, args: Args) -> Reply:
    score = args["score"]
    if score is None:
        return Reply.refusal(survey.CORRECTION, private=True)
    school_id = ctx.actor.school_id
    assert school_id is not None
    in_care = {c.id for c in await ctx.uow.agreements.children_in_care(school_id)}
    children = [c for c in ctx.actor.children if c.student_id in in_care]
    if not children:
        return Reply.refusal("评价由有孩子参加托管的家长填写,您的孩子目前没有参加托管。", private=True)
    calendar = await calendar_of(ctx)
    month = survey.rating_month(ctx.today(), calendar.is_care_day)
    replaced = await ctx.uow.survey.record_rating(
        school_id,
        [c.student_id for c in children],
        month,
        ctx.actor.guardian_id,
        score,
        args["comment"],
        ctx.clock.now(),
    )
    ctx.audit("survey.rate", month, score=score, students=[c.student_id for c in children])
    again = "(已替换您之前的评价)" if replaced else ""
    return Reply(
        f"已收到您对{int(month[5:])}月托管服务的评价: {score} 分{again}。谢谢您的支持!", private=True
    )


# fmt: off
commands = Commands(roles=GUARDIANS)
commands.add("同意协议", "同意协议 [孩子]", "同意本学期《自愿服务协议书》(私信回复)", parse_agree,
             handle_record, example="同意协议")
commands.add("已买学平险", "已买学平险 [孩子]", "登记本学期已购买学平险(私信回复)", parse_insured,
             handle_record, example="已买学平险", keywords=("已买学平险", "学平险"))
commands.add("协议", "协议", "查看《自愿服务协议书》全文", parse_read, handle_read,
             keywords=("协议", "服务协议"), roles=KNOWN, writes=False)
commands.add("评价", "评价 1-5 [意见]", "本月托管服务评价(私信回复,不公开姓名)", parse_rating, handle_rating,
             example="评价 5 老师很负责")
# fmt: on
