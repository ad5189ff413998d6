"""Queries about people: resolve a platform sender into an Actor, find a chat's class."""

from __future__ import annotations

from dataclasses import dataclass, replace

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.actors import Actor, ChildRef, ClassRole, Role
from bot.store.tables import Chat, ClassGroup, Guardian, Guardianship, Identity, Staff, StaffRole, Student


@dataclass(frozen=True, slots=True)
class ChatInfo:
    id: int
    platform: str
    chat_id: str
    class_group_id: int
    class_name: str
    school_id: int


async def find_chat(session: AsyncSession, platform: str | None, chat_id: str) -> ChatInfo | None:
    """The class group behind a platform chat id (any platform when `platform` is None)."""
    stmt = (
        select(Chat.id, Chat.platform, Chat.chat_id, ClassGroup.id, ClassGroup.name, ClassGroup.school_id)
        .join(ClassGroup, Chat.class_group_id == ClassGroup.id)
        .where(Chat.chat_id == chat_id)
    )
    if platform is not None:
        stmt = stmt.where(Chat.platform == platform)
    row = (await session.execute(stmt.order_by(Chat.id).limit(1))).first()
    return ChatInfo(*row) if row else None


async def identify(session: AsyncSession, platform: str, user_id: str) -> Actor:
    """Resolve a platform account into an Actor with its children or classes; unknown if unbound.

    The account and the person behind it come in one statement, their children or classes in a second.
    """
    row = (await session.execute(
        select(Identity.staff_id, Staff.school_id, Staff.name, Identity.guardian_id, Guardian.school_id,
               Guardian.name)
        .outerjoin(Staff, Staff.id == Identity.staff_id)
        .outerjoin(Guardian, Guardian.id == Identity.guardian_id)
        .where(Identity.platform == platform, Identity.user_id == user_id)
    )).first()
    if row is None:
        return Actor(platform=platform, user_id=user_id)
    staff_id, staff_school, staff_name, guardian_id, guardian_school, guardian_name = row
    if staff_id is None:
        assert guardian_id is not None
        return await _guardian_actor(session, platform, user_id, guardian_id, guardian_school, guardian_name)
    staff = await _staff_actor(session, platform, user_id, staff_id, staff_school, staff_name)
    if guardian_id is None:
        return staff
    # A teacher whose own child is in the school: both hats on one account.
    parent = await _guardian_actor(session, platform, user_id, guardian_id, guardian_school, guardian_name)
    return replace(
        staff, guardian_id=parent.guardian_id, children=parent.children, roles=staff.roles | parent.roles
    )


async def _staff_actor(
    session: AsyncSession, platform: str, user_id: str, staff_id: int, school_id: int, name: str
) -> Actor:
    rows = (
        await session.execute(
            select(StaffRole.role, StaffRole.class_group_id, ClassGroup.name)
            .outerjoin(ClassGroup, StaffRole.class_group_id == ClassGroup.id)
            .where(StaffRole.staff_id == staff_id)
            .order_by(StaffRole.id)
        )
    ).all()
    class_roles = tuple(ClassRole(Role(role), cg_id, cg_name or "") for role, cg_id, cg_name in rows)
    roles = frozenset(r.role for r in class_roles) or frozenset({Role.CARE_TEACHER})
    return Actor(
        platform=platform,
        user_id=user_id,
        school_id=school_id,
        name=name,
        staff_id=staff_id,
        staff_roles=class_roles,
        roles=roles,
    )


async def _guardian_actor(
    session: AsyncSession, platform: str, user_id: str, guardian_id: int, school_id: int, name: str
) -> Actor:
    rows = (
        await session.execute(
            select(
                Student.id,
                Student.name,
                ClassGroup.id,
                ClassGroup.name,
                Guardianship.relation,
                Guardianship.may_pickup,
            )
            .join(Guardianship, Guardianship.student_id == Student.id)
            .join(ClassGroup, Student.class_group_id == ClassGroup.id)
            .where(Guardianship.guardian_id == guardian_id, Student.active.is_(True))
            .order_by(Student.id)
        )
    ).all()
    return Actor(
        platform=platform,
        user_id=user_id,
        school_id=school_id,
        name=name,
        guardian_id=guardian_id,
        children=tuple(ChildRef(*row) for row in rows),
        roles=frozenset({Role.GUARDIAN}),
    )


async def staff_ids_with_role(session: AsyncSession, school_id: int | None, roles: tuple[str, ...]) -> list[int]:
    """Staff of a school holding any of these roles (e.g. the principals, the admins)."""
    rows = await session.scalars(
        select(StaffRole.staff_id)
        .join(Staff, Staff.id == StaffRole.staff_id)
        .where(StaffRole.role.in_(roles), Staff.school_id == school_id)
        .distinct()
        .order_by(StaffRole.staff_id)
    )
    return list(rows.all())


async def working_chats(session: AsyncSession, school_id: int) -> dict[int, int]:
    """Class id -> the first chat of the class whose robot still works (a broken chat gets no pushes)."""
    chats: dict[int, int] = {}
    for class_id, chat_id in (await session.execute(
        select(Chat.class_group_id, Chat.id).join(ClassGroup, ClassGroup.id == Chat.class_group_id)
        .where(ClassGroup.school_id == school_id, Chat.broken_reason.is_(None)).order_by(Chat.id)
    )).all():
        chats.setdefault(class_id, chat_id)
    return chats
