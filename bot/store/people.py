"""Queries about people: resolve a platform sender into an Actor, find a chat's class."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, cast

from sqlalchemy import Table, and_, bindparam, literal_column, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.actors import Actor, ChildRef, ClassRole, Role
from bot.domain.children import Child
from bot.store.inbound_tables import ProcessedMessage
from bot.store.proposal_tables import Proposal
from bot.store.proposals import Who
from bot.store.tables import Chat, ClassGroup, Guardian, Guardianship, Identity, Staff, StaffRole, Student


@dataclass(frozen=True, slots=True)
class ChatInfo:
    id: int
    platform: str
    chat_id: str
    class_group_id: int
    class_name: str
    school_id: int


# The statements of every message are built once (Core, bound parameters): no per-call construction,
# no ORM compile step, and SQLAlchemy's compiled cache keyed by a memoized key.
_CH, _CG, _GU, _GS, _ID, _SF, _SR, _ST = (
    cast(Table, m.__table__)
    for m in (Chat, ClassGroup, Guardian, Guardianship, Identity, Staff, StaffRole, Student)
)
_CHAT = (
    select(_CH.c.id, _CH.c.platform, _CH.c.chat_id, _CG.c.id, _CG.c.name, _CG.c.school_id)
    .select_from(_CH.join(_CG, _CH.c.class_group_id == _CG.c.id))
    .where(_CH.c.chat_id == bindparam("chat_id"))
)
CHAT_ON = _CHAT.where(_CH.c.platform == bindparam("platform")).order_by(_CH.c.id).limit(1)
CHAT_ANY = _CHAT.order_by(_CH.c.id).limit(1)
_ACCOUNT = (
    select(_ID.c.staff_id, _SF.c.school_id, _SF.c.name, _ID.c.guardian_id, _GU.c.school_id, _GU.c.name)
    .select_from(_ID.outerjoin(_SF, _SF.c.id == _ID.c.staff_id).outerjoin(_GU, _GU.c.id == _ID.c.guardian_id))
    .where(_ID.c.platform == bindparam("platform"), _ID.c.user_id == bindparam("user_id"))
)
_STAFF_ROLES = (
    select(_SR.c.role, _SR.c.class_group_id, _CG.c.name)
    .select_from(_SR.outerjoin(_CG, _SR.c.class_group_id == _CG.c.id))
    .where(_SR.c.staff_id == bindparam("staff_id"))
    .order_by(_SR.c.id)
)
_CHILDREN = (
    select(
        _ST.c.id,
        _ST.c.name,
        _CG.c.id,
        _CG.c.grade,
        _ST.c.basic_care,
        _CG.c.name,
        _GS.c.relation,
        _GS.c.may_pickup,
    )
    .select_from(_ST.join(_GS, _GS.c.student_id == _ST.c.id).join(_CG, _ST.c.class_group_id == _CG.c.id))
    .where(_GS.c.guardian_id == bindparam("guardian_id"), _ST.c.active.is_(True))
    .order_by(_ST.c.student_no, _ST.c.id)  # roster order, as the class's lists are
)


_PM = cast(Table, ProcessedMessage.__table__)
_PR = cast(Table, Proposal.__table__)
_ONE = select(literal_column("1").label("one")).subquery("one")
# What every message needs first, in one statement of at most one row (each join is on a unique key):
# its dedupe record, the sender's account and person, the chat's class, and the sender's pending proposal.
_FIRST_LOOK = select(
    _PM.c.reply,
    _PM.c.private,
    _PM.c.command,
    _ID.c.id,
    *_ACCOUNT.selected_columns,
    _CH.c.id,
    _CH.c.platform,
    _CH.c.chat_id,
    _CG.c.id,
    _CG.c.name,
    _CG.c.school_id,
    _PR.c.id,
).select_from(
    _ONE.outerjoin(
        _PM, and_(_PM.c.platform == bindparam("platform"), _PM.c.message_id == bindparam("message_id"))
    )
    .outerjoin(_ID, and_(_ID.c.platform == bindparam("platform"), _ID.c.user_id == bindparam("user_id")))
    .outerjoin(_SF, _SF.c.id == _ID.c.staff_id)
    .outerjoin(_GU, _GU.c.id == _ID.c.guardian_id)
    .outerjoin(_CH, and_(_CH.c.platform == bindparam("platform"), _CH.c.chat_id == bindparam("chat_id")))
    .outerjoin(_CG, _CG.c.id == _CH.c.class_group_id)
    .outerjoin(
        _PR,
        and_(
            _PR.c.platform == bindparam("platform"),
            _PR.c.chat_id == bindparam("proposal_chat_id"),
            _PR.c.sender_id == bindparam("proposal_sender_id"),
        ),
    )
)


@dataclass(frozen=True, slots=True)
class FirstLook:
    """The dedupe record of a message (reply, private, command) if handled before; its sender's account
    row (as `identify` reads it) if bound; its chat if it belongs to a class."""

    seen: tuple[str, bool, str] | None
    account: tuple[Any, ...] | None
    chat: ChatInfo | None
    proposal: bool = False  # the sender has a proposal pending in this chat


async def first_look(
    session: AsyncSession, platform: str, message_id: str, user_id: str, chat_id: str
) -> FirstLook:
    """The four read-only lookups every message starts with, in one round trip."""
    proposal = Who(platform, chat_id, user_id).params()  # the keys as proposals are stored under
    params = {
        "platform": platform,
        "message_id": message_id,
        "user_id": user_id,
        "chat_id": chat_id,
        "proposal_chat_id": proposal["chat_id"],
        "proposal_sender_id": proposal["sender_id"],
    }
    row = (await session.execute(_FIRST_LOOK, params)).one()
    seen = None if row[0] is None else (row[0], bool(row[1]), row[2])
    account = None if row[3] is None else tuple(row[4:10])
    chat = None if row[10] is None else ChatInfo(*row[10:16])
    return FirstLook(seen, account, chat, proposal=row[16] is not None)


async def identify(session: AsyncSession, platform: str, user_id: str) -> Actor:
    """Resolve a platform account into an Actor with its children or classes; unknown if unbound.

    The account and the person behind it come in one statement, their children or classes in a second.
    """
    row = (await session.execute(_ACCOUNT, {"platform": platform, "user_id": user_id})).first()
    return await actor_of(session, platform, user_id, None if row is None else tuple(row))


async def actor_of(
    session: AsyncSession, platform: str, user_id: str, account: tuple[Any, ...] | None
) -> Actor:
    """The Actor behind an account row read by `identify` or `first_look` (None: not bound)."""
    if account is None:
        return Actor(platform=platform, user_id=user_id)
    staff_id, staff_school, staff_name, guardian_id, guardian_school, guardian_name = account
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
    rows = (await session.execute(_STAFF_ROLES, {"staff_id": staff_id})).all()
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


def _child_ref(
    sid: int,
    name: str,
    class_id: int,
    grade: int,
    basic_care: bool,
    class_name: str,
    relation: str,
    may_pickup: bool,
) -> ChildRef:
    return ChildRef(Child(sid, name, class_id, grade, basic_care), class_name, relation, may_pickup)


async def _guardian_actor(
    session: AsyncSession, platform: str, user_id: str, guardian_id: int, school_id: int, name: str
) -> Actor:
    rows = (await session.execute(_CHILDREN, {"guardian_id": guardian_id})).all()
    return Actor(
        platform=platform,
        user_id=user_id,
        school_id=school_id,
        name=name,
        guardian_id=guardian_id,
        children=tuple(_child_ref(*row) for row in rows),
        roles=frozenset({Role.GUARDIAN}),
    )


async def staff_ids_with_role(
    session: AsyncSession, school_id: int | None, roles: tuple[str, ...]
) -> list[int]:
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
    for class_id, chat_id in (
        await session.execute(
            select(Chat.class_group_id, Chat.id)
            .join(ClassGroup, ClassGroup.id == Chat.class_group_id)
            .where(ClassGroup.school_id == school_id, Chat.broken_reason.is_(None))
            .order_by(Chat.id)
        )
    ).all():
        chats.setdefault(class_id, chat_id)
    return chats
