"""The people repository: who sends a message, who teaches a class, which pupils a text names."""

from __future__ import annotations

import contextlib
import json
import re
import sqlite3
from typing import Any, cast

from sqlalchemy import String, Table, any_, bindparam, func, literal_column, select
from sqlalchemy.dialects.postgresql import ARRAY
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
# The same answer from the index on (school_id, name): the pupils whose name is one of the text's substrings,
# the substrings bound as one array (PostgreSQL) or one JSON list (SQLite), so the SQL is one statement.
_NAME_LENGTH = int(getattr(_STUDENTS.c.name.type, "length", None) or 50)
_MANY = 2000  # a text with more substrings than this (a long text) is scanned instead
_LATIN = re.compile(r"[A-Za-z]")
_NAMED_AMONG = {
    "postgresql": select(_STUDENTS.c.id, _STUDENTS.c.name).where(
        _STUDENTS.c.school_id == bindparam("school_id"),
        _STUDENTS.c.name == any_(bindparam("parts", type_=ARRAY(String))),
    ),
    "sqlite": select(_STUDENTS.c.id, _STUDENTS.c.name).where(
        _STUDENTS.c.school_id == bindparam("school_id"),
        _STUDENTS.c.name.in_(
            select(literal_column("value", String)).select_from(
                func.json_each(bindparam("parts", type_=String))
            )
        ),
    ),
}


def _has_json_each() -> bool:
    """SQLite's json_each (built in since 3.38, compiled in by most builds before): else a scan."""
    try:
        with contextlib.closing(sqlite3.connect(":memory:")) as conn:
            conn.execute("SELECT value FROM json_each('[]')").fetchall()
    except sqlite3.Error:
        return False
    return True


if not _has_json_each():
    del _NAMED_AMONG["sqlite"]


def substrings(text: str, longest: int = _NAME_LENGTH) -> set[str]:
    """Every piece of the text a name could be (at most `longest` characters)."""
    return {text[i:j] for i in range(len(text)) for j in range(i + 1, min(len(text), i + longest) + 1)}


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
        """Pupils of the school whose full name the text contains: (id, name).

        Looked up by the text's substrings in the index, not by a scan of the school's pupils (2 ms a message
        in a school of 2,000 on SQLite). Scanned as before: a long text, and a text with Latin letters (SQLite's
        LIKE matches them in any case, which equal substrings would not)."""
        dialect = self.session.get_bind().dialect.name
        parts = set() if _LATIN.search(text) else substrings(text)
        if dialect not in _NAMED_AMONG or not parts or len(parts) > _MANY:
            rows = await self.session.execute(_NAMED_IN_TEXT, {"school_id": school_id, "text": text})
        else:
            bound = (
                sorted(parts) if dialect == "postgresql" else json.dumps(sorted(parts), ensure_ascii=False)
            )
            rows = await self.session.execute(_NAMED_AMONG[dialect], {"school_id": school_id, "parts": bound})
        return sorted((sid, name) for sid, name in rows.all())

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
