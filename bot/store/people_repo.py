"""The people repository: who sends a message, who teaches a class, which pupils a text names."""

from __future__ import annotations

from typing import Any, cast

from sqlalchemy import String, Table, bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.actors import Actor
from bot.store import people
from bot.store.like import contains_literally
from bot.store.people import FirstLook
from bot.store.tables import ClassGroup, Guardianship, StaffRole, Student

_STUDENTS = cast(Table, Student.__table__)
# Built once: the text (bound) contains the pupil's name as written, i.e. `? LIKE '%' || name || '%' ESCAPE`
# with the name's `%`, `_` and escape char escaped (a pupil named `%` is not a wildcard).
_NAMED_IN_TEXT = select(_STUDENTS.c.id, _STUDENTS.c.name).where(
    _STUDENTS.c.school_id == bindparam("school_id"),
    contains_literally(bindparam("text", type_=String), _STUDENTS.c.name),
)
_NAMES = select(_STUDENTS.c.name).where(_STUDENTS.c.school_id == bindparam("school_id"))


class PeopleRepo:
    """Senders, staff and pupils as the handlers need them (plain values, never rows)."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def first_look(self, platform: str, message_id: str, user_id: str, chat_id: str) -> FirstLook:
        return await people.first_look(self.session, platform, message_id, user_id, chat_id)

    async def actor_of(self, platform: str, user_id: str, account: tuple[Any, ...] | None) -> Actor:
        return await people.actor_of(self.session, platform, user_id, account)

    async def staff_with_role(self, school_id: int | None, roles: tuple[str, ...]) -> list[int]:
        return await people.staff_ids_with_role(self.session, school_id, roles)

    async def working_chats(self, school_id: int) -> dict[int, int]:
        return await people.working_chats(self.session, school_id)

    async def pupil_names(self, school_id: int | None) -> list[str]:
        """Every pupil name of the school (for telling a name from a word)."""
        return list(await self.session.scalars(_NAMES, {"school_id": school_id}))

    async def pupils_named_in(self, school_id: int | None, text: str) -> list[tuple[int, str]]:
        """Pupils of the school whose full name the text contains: (id, name)."""
        rows = await self.session.execute(_NAMED_IN_TEXT, {"school_id": school_id, "text": text})
        return [(sid, name) for sid, name in rows.all()]

    async def student_numbers(self, student_ids: list[int]) -> dict[int, str]:
        rows = await self.session.execute(
            select(Student.id, Student.student_no).where(Student.id.in_(student_ids))
        )
        return {sid: no or "" for sid, no in rows.all()}

    async def school_of(self, student_id: int) -> int | None:
        return await self.session.scalar(select(Student.school_id).where(Student.id == student_id))

    async def class_name(self, class_group_id: int) -> str | None:
        return await self.session.scalar(select(ClassGroup.name).where(ClassGroup.id == class_group_id))

    async def class_grade(self, class_group_id: int) -> int | None:
        return await self.session.scalar(select(ClassGroup.grade).where(ClassGroup.id == class_group_id))

    async def class_teachers(self, class_group_id: int) -> list[int]:
        """The class's head teacher and its teachers (head or care role), by staff id."""
        teachers = set(
            await self.session.scalars(
                select(StaffRole.staff_id).where(
                    StaffRole.class_group_id == class_group_id,
                    StaffRole.role.in_(("head_teacher", "care_teacher")),
                )
            )
        )
        head = await self.session.scalar(
            select(ClassGroup.head_teacher_id).where(ClassGroup.id == class_group_id)
        )
        if head is not None:
            teachers.add(head)
        return sorted(teachers)

    async def children_of(self, guardian_ids: list[int]) -> list[int]:
        """Student ids of these guardians' children (a family's children)."""
        if not guardian_ids:
            return []
        rows = await self.session.scalars(
            select(Guardianship.student_id).where(Guardianship.guardian_id.in_(guardian_ids))
        )
        return list(rows.all())

    async def relation(self, student_id: int, guardian_id: int | None) -> str | None:
        """How the guardian is related to the child (妈妈, 外婆, ...); None when not a guardian of it."""
        return await self.session.scalar(
            select(Guardianship.relation).where(
                Guardianship.student_id == student_id, Guardianship.guardian_id == guardian_id
            )
        )

    async def find_chat(self, platform: str | None, chat_id: str) -> people.ChatInfo | None:
        """The class group behind a platform chat id (any platform when `platform` is None)."""
        if platform is None:
            row = (await self.session.execute(people.CHAT_ANY, {"chat_id": chat_id})).first()
        else:
            row = (
                await self.session.execute(people.CHAT_ON, {"chat_id": chat_id, "platform": platform})
            ).first()
        return people.ChatInfo(*row) if row else None
