"""What the class groups are told about enrollment: the window opening, two hours before it closes, the 公示.

Each text goes to the groups of the classes a course is open to (its grades); the 公示 also goes to the
principals, privately. Group texts name children only in the 公示, and only by name.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime, tzinfo

from bot.domain import course_board as rules
from bot.domain.course_board import CourseFacts, Placed
from bot.domain.messages import Push
from bot.store.uow import UnitOfWork


async def announcements(
    uow: UnitOfWork, school_id: int, after: datetime, until: datetime, tz: tzinfo, key: str
) -> list[Push]:
    """Group pushes for first-round windows that opened, or reached close-2h, in (after, until]."""
    opening: dict[datetime, list[tuple[str, CourseFacts]]] = defaultdict(list)
    closing: dict[datetime, list[tuple[str, CourseFacts]]] = defaultdict(list)
    for course in await uow.courses.board(school_id):
        window = course.window
        if course.state != "open" or window is None or window.closes_at is None:
            continue
        opens, closes = rules.announcements_due(window, after, until)
        if opens:
            opening[window.closes_at].append((course.facts.grades, course.facts))
        elif closes:
            closing[window.closes_at].append((course.facts.grades, course.facts))
    if not opening and not closing:
        return []
    chats = await uow.courses.group_chats(school_id)
    pushes = []
    for kind, groups, render in (
        ("open", opening, rules.opening_text),
        ("closing", closing, rules.closing_text),
    ):
        for closes_at, courses in sorted(groups.items()):
            for grade, chat in chats:
                mine = [f for grades, f in courses if rules.for_grades(grades, [grade])]
                if mine:
                    pushes.append(
                        Push(
                            key=f"enroll-announce:{key}:{kind}:{closes_at:%Y%m%d%H%M}:chat{chat}",
                            chat_ref=chat,
                            text=render(mine, closes_at, tz),
                        )
                    )
    return pushes


async def gongshi_pushes(uow: UnitOfWork, course_ids: Sequence[int]) -> list[Push]:
    """The 公示 after windows closed: per class group the courses open to its grade, and every course to the
    principals. `course_ids` are the courses whose first round just ended (cancelled ones say so, without names)."""
    closed = await uow.courses.closed(course_ids)
    by_school: dict[int, list[tuple[str, Placed]]] = defaultdict(list)
    for course in closed:
        by_school[course.school_id].append((course.grades, course.placed))
    pushes = []
    for school_id, results in by_school.items():
        ids = "-".join(str(c.id) for c in closed if c.school_id == school_id)
        for grade, chat in await uow.courses.group_chats(school_id):
            mine = [r for grades, r in results if rules.for_grades(grades, [grade])]
            if mine:
                pushes.append(
                    Push(key=f"enroll-gongshi:{ids}:chat{chat}", chat_ref=chat, text=rules.gongshi_text(mine))
                )
        for principal in await uow.people.staff_with_role(school_id, ("principal",)):
            pushes.append(
                Push(
                    key=f"enroll-gongshi:{ids}:p{principal}",
                    staff_id=principal,
                    text=rules.gongshi_text([r for _, r in results]),
                )
            )
    return pushes
