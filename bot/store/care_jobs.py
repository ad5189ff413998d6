"""What the scheduled care jobs read (`uow.care_jobs`): a school's afternoon for the pickup jobs, the
left-behind children and their month for the family jobs, the open notices to remind, the term's bills, and
whom to reach (guardians, chats, staff)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.fees import Settlement
from bot.store import family, ledger, notices
from bot.store.bus import BusDay, missing_riders
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
    missing: dict[int, BusDay] = field(default_factory=dict)  # riders not on their bus (bot/handlers/bus.py)


@dataclass(frozen=True)
class DueNotice:
    """An open notice whose reminder is due: its text and when it was sent (UTC)."""

    id: int
    text: str
    sent_at: datetime


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
        missing = await missing_riders(self.session, school_id, day)
        return SchoolAfternoon(names, chats, waiting, teachers, principals, missing)

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

    async def notices_to_remind(
        self, school_id: int, now: datetime, sent_before: datetime
    ) -> list[DueNotice]:
        """Open notices sent before `sent_before` (the reminder delay ago)."""
        due = await notices.due_for_reminder(self.session, school_id, now, sent_before)
        return [DueNotice(n.id, n.text, notices.as_utc(n.created_at)) for n in due]

    async def unconfirmed(self, notice_id: int) -> list[tuple[int, str, int, str]]:
        """(student id, name, class id, class name) of the children whose families did not confirm yet."""
        return await notices.unconfirmed(self.session, notice_id)

    async def charges_issued_at(self, school_id: int, term_start: date) -> datetime | None:
        return await ledger.charges_issued_at(self.session, school_id, term_start)

    async def term_balances(self, school_id: int, term_start: date) -> dict[int, Settlement]:
        return await ledger.term_balances(self.session, school_id, term_start)

    async def student_classes(self, student_ids: list[int]) -> dict[int, tuple[str, int]]:
        return await ledger.student_classes(self.session, student_ids)
