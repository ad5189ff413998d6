"""What the scheduled care jobs read (`uow.care_jobs`): a school's afternoon for the pickup jobs, the
left-behind children and their month for the family jobs, and whom to reach (guardians, chats, staff)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.store import family
from bot.store.care import GuardianContact, guardian_contacts
from bot.store.care_scan import WaitingChild, waiting_children
from bot.store.family import LeftBehind
from bot.store.people import staff_ids_with_role, working_chats
from bot.store.tables import ClassGroup, Staff, StaffRole

CLASS_TEACHERS = ("care_teacher", "head_teacher")


@dataclass
class SchoolAfternoon:
    names: dict[int, str]  # class id -> name
    chats: dict[int, int]  # class id -> a working chat
    waiting: list[WaitingChild]  # by class, then 学籍号
    teachers: dict[int, list[int]]  # class id -> care/head teachers
    principals: list[int]


class CareJobsRepo:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def afternoon(self, school_id: int, day: date) -> SchoolAfternoon:
        """The whole school's afternoon in a fixed number of queries, however many classes it has."""
        names = dict(
            (
                await self.session.execute(
                    select(ClassGroup.id, ClassGroup.name).where(ClassGroup.school_id == school_id)
                )
            ).all()
        )
        teachers: dict[int, list[int]] = {}
        principals: list[int] = []
        roles = await self.session.execute(
            select(StaffRole.staff_id, StaffRole.role, StaffRole.class_group_id)
            .join(Staff, Staff.id == StaffRole.staff_id)
            .where(Staff.school_id == school_id)
        )
        for staff_id, role, role_class in roles.all():
            if role == "principal" and staff_id not in principals:
                principals.append(staff_id)
            elif role_class is not None and role in CLASS_TEACHERS:
                teachers.setdefault(role_class, [])
                if staff_id not in teachers[role_class]:
                    teachers[role_class].append(staff_id)
        chats = await working_chats(self.session, school_id)
        waiting = await waiting_children(self.session, school_id, day)
        return SchoolAfternoon(names, chats, waiting, teachers, principals)

    async def working_chats(self, school_id: int) -> dict[int, int]:
        """Class id -> a chat pushes can go to (not marked broken)."""
        return await working_chats(self.session, school_id)

    async def guardian_contacts(self, student_ids: list[int]) -> dict[int, list[GuardianContact]]:
        return await guardian_contacts(self.session, student_ids)

    async def staff_with_role(self, school_id: int, roles: tuple[str, ...]) -> list[int]:
        return await staff_ids_with_role(self.session, school_id, roles)

    async def left_behind(self, school_id: int) -> list[LeftBehind]:
        return await family.left_behind_children(self.session, school_id)

    async def calls_in_month(
        self, student_ids: Sequence[int], month: str, *, by_parent_away: bool = True
    ) -> dict[int, list[str]]:
        return await family.calls_in_month(self.session, student_ids, month, by_parent_away=by_parent_away)

    async def talks_in_month(self, student_ids: Sequence[int], month: str) -> set[int]:
        return await family.talks_in_month(self.session, student_ids, month)

    async def staff_names(self, staff_ids: Sequence[int | None]) -> dict[int, str]:
        return await family.staff_names(self.session, staff_ids)
