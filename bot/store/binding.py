"""Binding requests and attempts: the durable counts behind the limits, who a request would bind."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from bot.store.care_tables import BindingAttempt, BindingRequest
from bot.store.tables import Guardian, Guardianship, Identity, Student

BIND_LOCK = 0x62696E64  # pg_advisory_xact_lock key: binding attempts are counted one at a time


async def one_attempt_at_a_time(session: AsyncSession) -> None:
    """Concurrent attempts (from any instance) are counted one after another, so none slips over a limit.

    PostgreSQL: a transaction-scoped advisory lock (attempts are rare); SQLite writers are serialised already.
    """
    if session.get_bind().dialect.name == "postgresql":
        await session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": BIND_LOCK})


def utc(moment: datetime) -> datetime:
    """Attempt times are stored and compared in UTC (SQLite keeps the wall clock as written)."""
    return moment.astimezone(UTC)


async def account_attempts_since(session: AsyncSession, platform: str, user_id: str, since: datetime) -> int:
    return await session.scalar(select(func.count()).select_from(BindingAttempt).where(
        BindingAttempt.platform == platform, BindingAttempt.user_id == user_id, BindingAttempt.at > utc(since),
    )) or 0


async def child_attempts_since(session: AsyncSession, child_name: str, since: datetime) -> int:
    return await session.scalar(select(func.count()).select_from(BindingAttempt).where(
        BindingAttempt.child_name == child_name, BindingAttempt.at > utc(since),
    )) or 0


async def roster_match(
    session: AsyncSession, school_id: int | None, child_name: str, phone: str
) -> tuple[Guardian, Student, Guardianship] | None:
    """The roster guardian with this phone of an active pupil with this name (in the school, when known)."""
    stmt = (
        select(Guardian, Student, Guardianship)
        .join(Guardianship, Guardianship.guardian_id == Guardian.id)
        .join(Student, Student.id == Guardianship.student_id)
        .where(Guardian.phone == phone, Student.name == child_name, Student.active.is_(True))
        .order_by(Student.id)
    )
    if school_id is not None:
        stmt = stmt.where(Guardian.school_id == school_id)
    row = (await session.execute(stmt.limit(1))).first()
    return None if row is None else (row[0], row[1], row[2])


async def pupils_named(session: AsyncSession, school_id: int | None, child_name: str) -> list[Student]:
    stmt = select(Student).where(Student.name == child_name, Student.active.is_(True)).order_by(Student.id)
    if school_id is not None:
        stmt = stmt.where(Student.school_id == school_id)
    return list(await session.scalars(stmt))


async def pending_requests(session: AsyncSession, student_ids: list[int]) -> list[BindingRequest]:
    """Pending requests for these pupils in the order they are numbered to the teacher (oldest first)."""
    return list(await session.scalars(
        select(BindingRequest)
        .where(BindingRequest.student_id.in_(student_ids), BindingRequest.state == "pending")
        .order_by(BindingRequest.id)
    ))


async def other_accounts(session: AsyncSession, guardian_id: int, platform: str, user_id: str) -> list[Identity]:
    """Accounts already bound to this guardian, other than the one asking."""
    rows = await session.scalars(select(Identity).where(Identity.guardian_id == guardian_id).order_by(Identity.id))
    return [i for i in rows if (i.platform, i.user_id) != (platform, user_id)]
