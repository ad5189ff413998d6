"""Shared steps of the care-day handlers: which class, which children, which days."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from bot.domain.actors import ChildRef
from bot.domain.care import CareTimes
from bot.domain.children import Child
from bot.domain.dates import find_dates
from bot.domain.messages import Reply
from bot.domain.school_calendar import SchoolCalendar
from bot.domain.text import normalise
from bot.handlers.context import HandlerContext
from bot.handlers.proposals import DAYS, current_text, propose, rewritten, with_chosen
from bot.handlers.resolve import (
    aliases,
    children_named,
    find_kids,
    leading_name,
    leading_word,
    not_found_text,
    spread_over_clauses,
    which_child_text,
)

WEEKDAY_CN = "一二三四五六日"
SEPARATELY = "这条消息里几个孩子的安排不一样,请每个孩子分开发一条,例如: 王小明 今天外婆接"


def day_label(day: date) -> str:
    return f"{day.month}月{day.day}日(周{WEEKDAY_CN[day.weekday()]})"


def days_label(days: list[date] | tuple[date, ...]) -> str:
    return "、".join(day_label(d) for d in days)


class Refusal(Exception):
    """A short Chinese answer that ends the command (nothing was written)."""

    def __init__(self, text: str, *, not_allowed: bool = False) -> None:
        super().__init__(text)
        self.text = text
        self.not_allowed = not_allowed

    def reply(self) -> Reply:
        return Reply.refusal(self.text, not_allowed=self.not_allowed)


def care_times(ctx: HandlerContext) -> CareTimes:
    return CareTimes.from_settings(ctx.settings.care)


async def calendar_of(ctx: HandlerContext) -> SchoolCalendar:
    if ctx.actor.school_id is None:
        return SchoolCalendar()
    return await ctx.uow.care.calendar(ctx.actor.school_id)


@dataclass(frozen=True)
class Dated:
    days: tuple[date, ...]
    text: str  # the words that named them
    explicit: bool
    skipped: tuple[date, ...] = ()  # days without care inside the range named

    def skipped_note(self) -> str:
        return f"({days_label(self.skipped)}没有托管,已跳过)" if self.skipped else ""


async def days_in(ctx: HandlerContext, text: str, verb: str = "请假") -> Dated:
    """The care days a message names; a past day, a week without its days or a span without care is refused."""
    calendar = await calendar_of(ctx)
    found = find_dates(text, ctx.today(), calendar.is_care_day)
    if found is None:
        return Dated((ctx.today(),), "", explicit=False)
    if found.vague:  # asked, and the sender's next message naming only days fills them in
        template = normalise(ctx.message.text).replace(found.vague, DAYS, 1)
        raise Refusal(
            await propose(ctx, f"请说明{found.vague}哪几天,例如: {verb} {found.vague}一到周三", [template])
        )
    if found.past:
        raise Refusal(f"{days_label(found.past)}已经过去,不能{verb}。")
    if not found.days:
        raise Refusal(f"「{found.text}」这段时间没有托管日,无需{verb}。")
    if not found.is_range and not calendar.is_care_day(found.days[0]):
        day = found.days[0]
        raise Refusal(f"{day_label(day)}没有托管({calendar.why_not(day)}),无需处理。")
    return Dated(found.days, found.text, explicit=True, skipped=found.skipped)


async def guardian_children(ctx: HandlerContext, text: str, example: str) -> list[ChildRef]:
    """The guardian's children named in the text; their only child when none is named."""
    children = list(ctx.actor.children)
    if not children:
        raise Refusal("您的账号还没有关联孩子,请联系班主任核对花名册。")
    named, unknown = children_named(text, children)
    if len(named) > 1 and spread_over_clauses(text, [a for c in named for a in aliases(c.name)]):
        raise Refusal(SEPARATELY)
    if named:
        return named
    # A name that is not one of the sender's children is refused: never applied to another child, never a reason.
    other = await _names_someone_elses_child(ctx, text, children) or await _leading_name(ctx, text)
    if other:
        own = "、".join(c.name for c in children)
        raise Refusal(f"您的孩子中没有「{other}」,您只能为自己的孩子({own})操作。", not_allowed=True)
    if unknown:
        raise await _close_name(ctx, unknown)
    if len(children) == 1:
        return children
    texts = [f"{c.name} {normalise(ctx.message.text)}" for c in children]
    raise Refusal(await propose(ctx, which_child_text(children, example), texts, [c.name for c in children]))


async def _close_name(ctx: HandlerContext, unknown: list[tuple[str, str | None]]) -> Refusal:
    """A name close to one on the roster: propose it (是 carries the message out with the right name)."""
    word, guess = unknown[0]
    if guess is None:
        return Refusal(not_found_text(unknown))
    return Refusal(await propose(ctx, not_found_text(unknown), [rewritten(ctx, word, guess)]))


async def _leading_name(ctx: HandlerContext, text: str) -> str | None:
    """A name standing at the start of the text; the school's given names are read only when a word stands there."""
    if leading_word(text) is None:
        return None
    names = await ctx.uow.people.pupil_names(ctx.actor.school_id)
    return leading_name(text, {a for name in names for a in aliases(name)[1:]})


async def _names_someone_elses_child(ctx: HandlerContext, text: str, children: list[ChildRef]) -> str | None:
    """The name of a pupil of the school, not this guardian's child, that the text contains (longest)."""
    own = {c.student_id for c in children}
    found = await ctx.uow.people.pupils_named_in(ctx.actor.school_id, text)
    names = [name for sid, name in found if sid not in own]
    return max(names, key=len) if names else None


async def class_of_chat(ctx: HandlerContext) -> int:
    """The class a teacher acts on: the chat's class, or their only class."""
    actor = ctx.actor
    if ctx.chat is not None:
        if not actor.teaches(ctx.chat.class_group_id):
            raise Refusal(f"您不是{ctx.chat.class_name}的老师,不能操作本班。", not_allowed=True)
        return ctx.chat.class_group_id
    classes = {r.class_group_id for r in actor.staff_roles if r.class_group_id is not None}
    if len(classes) == 1:
        return classes.pop()
    raise Refusal("请在班级群里发送,我才知道是哪个班。")


async def kids_named_in_class(ctx: HandlerContext, text: str, class_group_id: int) -> list[Child]:
    roster = await ctx.uow.care.kids_of_class(class_group_id)
    found = find_kids(text, roster)
    if found.unknown:
        raise await _close_name(ctx, found.unknown)
    if spread_over_clauses(text, found.words):
        raise Refusal(SEPARATELY)
    if found.short:  # 小明 for 王小明: a teacher is asked, the class may have more than one 小明 next term
        word, kid = found.short[0]
        raise Refusal(await propose(ctx, f"是「{kid.name}」吗?", [rewritten(ctx, word, kid.name)]))
    return [await _one_of_same_name(ctx, kid, roster) for kid in found.kids]


async def _one_of_same_name(ctx: HandlerContext, kid: Child, roster: list[Child]) -> Child:
    """The pupil meant by a name two or more pupils of the class share: the one chosen, or ask which (by 学号
    tail and guardian, numbered; `1`/`2` carries the message out for that child). Never the first by chance."""
    same = [k for k in roster if k.name == kid.name]
    if len(same) == 1:
        return kid
    chosen = [k for k in same if k.id in ctx.chosen]
    if len(chosen) == 1:
        return chosen[0]
    numbers = await ctx.uow.people.student_numbers([k.id for k in same])
    nos = [numbers.get(k.id, "") for k in same]
    tail = next((n for n in range(2, max(map(len, nos)) + 1) if len({no[-n:] for no in nos}) == len(nos)), 0)
    labels = []
    for k, no in zip(same, nos, strict=True):
        guardians = await ctx.uow.care.guardians_of(k.id)
        parent = f",{guardians[0].relation}{guardians[0].name}" if guardians else ""
        labels.append(f"{k.name}(学号尾号{no[-tail:] if tail else no}{parent})")
    text = current_text(ctx)
    texts = [with_chosen(ctx.chosen | {k.id}, text) for k in same]
    raise Refusal(await propose(ctx, f"本班有{len(same)}个{kid.name},是哪一个?", texts, labels))


async def kids_for(ctx: HandlerContext, text: str, example: str) -> list[Child]:
    """Guardian: their own children; teacher: children of the class named in the text."""
    if ctx.actor.is_staff:
        class_id = await class_of_chat(ctx)
        kids = await kids_named_in_class(ctx, text, class_id)
        if kids:
            return kids
        if ctx.actor.guardian_id is None:
            raise Refusal(f"请写出孩子的姓名,例如: {example}")
    children = {c.student_id for c in await guardian_children(ctx, text, example)}
    return [c.child for c in ctx.actor.children if c.student_id in children]  # in roster order


async def staff_with_role(ctx: HandlerContext, roles: tuple[str, ...]) -> list[int]:
    return await ctx.uow.people.staff_with_role(ctx.actor.school_id, roles)
