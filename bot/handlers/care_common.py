"""Shared steps of the care-day handlers: which class, which children, which days."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import cast

from sqlalchemy import String, Table, bindparam, select

from bot.domain.actors import ChildRef
from bot.domain.care import CareTimes
from bot.domain.dates import find_dates
from bot.domain.messages import Reply
from bot.domain.school_calendar import SchoolCalendar
from bot.handlers.context import HandlerContext
from bot.handlers.resolve import children_named, find_kids, not_found_text, which_child_text
from bot.store.calendar import school_calendar
from bot.store.care import Kid, kids_by_ids, kids_of_class
from bot.store.like import contains_literally
from bot.store.people import staff_ids_with_role
from bot.store.tables import Student

WEEKDAY_CN = "一二三四五六日"


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
    return await school_calendar(ctx.session, ctx.actor.school_id)


@dataclass(frozen=True)
class Dated:
    days: tuple[date, ...]
    text: str  # the words that named them
    explicit: bool


async def days_in(ctx: HandlerContext, text: str) -> Dated:
    calendar = await calendar_of(ctx)
    found = find_dates(text, ctx.today(), calendar.is_care_day)
    if found is None:
        return Dated((ctx.today(),), "", explicit=False)
    if not found.days:
        raise Refusal(f"「{found.text}」这段时间没有托管日,无需请假。")
    if not found.is_range and not calendar.is_care_day(found.days[0]):
        day = found.days[0]
        raise Refusal(f"{day_label(day)}没有托管({calendar.why_not(day)}),无需处理。")
    return Dated(found.days, found.text, explicit=True)


async def guardian_children(ctx: HandlerContext, text: str, example: str) -> list[ChildRef]:
    """The guardian's children named in the text; their only child when none is named."""
    children = list(ctx.actor.children)
    if not children:
        raise Refusal("您的账号还没有关联孩子,请联系班主任核对花名册。")
    named, unknown = children_named(text, children)
    if named:
        return named
    if unknown:
        raise Refusal(not_found_text(unknown))
    if await _names_someone_elses_child(ctx, text, children):
        own = "、".join(c.name for c in children)
        raise Refusal(f"您只能为自己的孩子({own})操作。", not_allowed=True)
    if len(children) == 1:
        return children
    raise Refusal(which_child_text(children, example))


_STUDENTS = cast(Table, Student.__table__)
# Built once: the text (bound) contains the pupil's name as written, i.e. `? LIKE '%' || name || '%' ESCAPE`
# with the name's `%`, `_` and escape char escaped (a pupil named `%` is not a wildcard).
_NAMED_IN_TEXT = select(_STUDENTS.c.id).where(
    _STUDENTS.c.school_id == bindparam("school_id"),
    contains_literally(bindparam("text", type_=String), _STUDENTS.c.name),
)


async def _names_someone_elses_child(ctx: HandlerContext, text: str, children: list[ChildRef]) -> bool:
    """Does the text name a pupil of the school who is not this guardian's child?"""
    own = {c.student_id for c in children}
    found = await ctx.session.execute(_NAMED_IN_TEXT, {"school_id": ctx.actor.school_id, "text": text})
    return any(sid not in own for sid in found.scalars())


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


async def kids_named_in_class(ctx: HandlerContext, text: str, class_group_id: int) -> list[Kid]:
    roster = await kids_of_class(ctx.session, class_group_id)
    found = find_kids(text, roster)
    if found.unknown:
        raise Refusal(not_found_text(found.unknown))
    return found.kids


async def kids_for(ctx: HandlerContext, text: str, example: str) -> list[Kid]:
    """Guardian: their own children; teacher: children of the class named in the text."""
    if ctx.actor.is_staff:
        class_id = await class_of_chat(ctx)
        kids = await kids_named_in_class(ctx, text, class_id)
        if kids:
            return kids
        if ctx.actor.guardian_id is None:
            raise Refusal(f"请写出孩子的姓名,例如: {example}")
    children = await guardian_children(ctx, text, example)
    return await kids_by_ids(ctx.session, [c.student_id for c in children])


async def staff_with_role(ctx: HandlerContext, roles: tuple[str, ...]) -> list[int]:
    return await staff_ids_with_role(ctx.session, ctx.actor.school_id, roles)
