"""What the local chat simulator (`/sim`) reads: the class groups, and who may speak in one."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.store.tables import Chat, ClassGroup, Guardian, Guardianship, Identity, Staff, StaffRole, Student


@dataclass(frozen=True)
class SimChat:
    chat_id: str
    platform: str
    class_name: str


@dataclass(frozen=True)
class Speaker:
    """A platform account bound in the class: a guardian (with the child and relation) or a staff role."""

    user_id: str
    name: str
    guardian_of: str = ""  # the child's name, for a guardian
    relation: str = ""
    role: str = ""  # the staff role, for a teacher


class SimRepo:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def chats(self) -> list[SimChat]:
        """Every class group chat, by grade and class name."""
        rows = await self.session.execute(
            select(Chat.chat_id, Chat.platform, ClassGroup.name)
            .join(ClassGroup, ClassGroup.id == Chat.class_group_id)
            .order_by(ClassGroup.grade, ClassGroup.name)
        )
        return [SimChat(c, p, n) for c, p, n in rows.all()]

    async def platform_of(self, chat_id: str) -> str | None:
        """The platform of the chat with this 群ID, if there is one."""
        return await self.session.scalar(select(Chat.platform).where(Chat.chat_id == chat_id))

    async def speakers(self, chat_id: str) -> list[Speaker] | None:
        """Guardians of the class's children (by 学籍号), then its teachers and the school's principals and
        admins, with an account on the chat's platform; None when there is no such chat."""
        chat = (
            await self.session.execute(
                select(Chat.class_group_id, Chat.platform).where(Chat.chat_id == chat_id)
            )
        ).first()
        if chat is None:
            return None
        class_id, platform = chat
        guardians = await self.session.execute(
            select(Identity.user_id, Guardian.name, Guardianship.relation, Student.name)
            .join(Guardian, Guardian.id == Identity.guardian_id)
            .join(Guardianship, Guardianship.guardian_id == Guardian.id)
            .join(Student, Student.id == Guardianship.student_id)
            .where(Student.class_group_id == class_id, Identity.platform == platform)
            .order_by(Student.student_no)
        )
        out = [
            Speaker(user, name, guardian_of=child, relation=relation)
            for user, name, relation, child in guardians
        ]
        staff = await self.session.execute(
            select(Identity.user_id, Staff.name, StaffRole.role)
            .join(Staff, Staff.id == Identity.staff_id)
            .join(StaffRole, StaffRole.staff_id == Staff.id)
            .where(
                Identity.platform == platform,
                (StaffRole.class_group_id == class_id) | StaffRole.role.in_(("principal", "admin")),
            )
            .order_by(StaffRole.role)
        )
        return out + [Speaker(user, name, role=role) for user, name, role in staff]
