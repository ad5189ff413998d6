"""Binding requests and attempts: the durable counts behind the limits, who a request would bind."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import func, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.store.care_tables import BindingAttempt, BindingRequest
from bot.store.tables import Guardian, Guardianship, Identity, Student

BIND_LOCK = 0x62696E64  # pg_advisory_xact_lock key: binding attempts are counted one at a time


def utc(moment: datetime) -> datetime:
    """Attempt times are stored and compared in UTC (SQLite keeps the wall clock as written)."""
    return moment.astimezone(UTC)


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
    return list(
        await session.scalars(
            select(BindingRequest)
            .where(BindingRequest.student_id.in_(student_ids), BindingRequest.state == "pending")
            .order_by(BindingRequest.id)
        )
    )


async def other_accounts(
    session: AsyncSession, guardian_id: int, platform: str, user_id: str
) -> list[Identity]:
    """Accounts already bound to this guardian, other than the one asking."""
    rows = await session.scalars(
        select(Identity).where(Identity.guardian_id == guardian_id).order_by(Identity.id)
    )
    return [i for i in rows if (i.platform, i.user_id) != (platform, user_id)]


@dataclass(frozen=True, slots=True)
class RosterMatch:
    """The roster guardian an attempt's phone and child name point at."""

    guardian_id: int
    guardian_name: str
    student_id: int
    student_name: str
    class_group_id: int
    relation: str


@dataclass(frozen=True, slots=True)
class Pupil:
    id: int
    name: str
    class_group_id: int


@dataclass(frozen=True, slots=True)
class Request:
    """A pending request of an account to act as a roster guardian."""

    id: int
    platform: str
    user_id: str
    sender_name: str
    guardian_id: int
    student_id: int
    requested_at: datetime


def _request(r: BindingRequest) -> Request:
    return Request(r.id, r.platform, r.user_id, r.sender_name, r.guardian_id, r.student_id, r.requested_at)


class BindingRepo:
    """Binding attempts (the durable counts behind the limits), requests, and the accounts they bind."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def one_at_a_time(self) -> None:
        """Concurrent attempts (from any instance) are counted one after another, so none slips over a limit.

        PostgreSQL: a transaction-scoped advisory lock (attempts are rare); SQLite writers are serialised already.
        """
        if self.session.get_bind().dialect.name == "postgresql":
            await self.session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": BIND_LOCK})

    async def account_attempts_since(self, platform: str, user_id: str, since: datetime) -> int:
        return (
            await self.session.scalar(
                select(func.count())
                .select_from(BindingAttempt)
                .where(
                    BindingAttempt.platform == platform,
                    BindingAttempt.user_id == user_id,
                    BindingAttempt.at > utc(since),
                )
            )
            or 0
        )

    async def child_attempts_since(self, child_name: str, since: datetime) -> int:
        return (
            await self.session.scalar(
                select(func.count())
                .select_from(BindingAttempt)
                .where(
                    BindingAttempt.child_name == child_name,
                    BindingAttempt.at > utc(since),
                )
            )
            or 0
        )

    async def roster_match(self, school_id: int | None, child_name: str, phone: str) -> RosterMatch | None:
        found = await roster_match(self.session, school_id, child_name, phone)
        if found is None:
            return None
        guardian, student, link = found
        return RosterMatch(
            guardian.id, guardian.name, student.id, student.name, student.class_group_id, link.relation
        )

    async def pupils_named(self, school_id: int | None, child_name: str) -> list[Pupil]:
        return [
            Pupil(p.id, p.name, p.class_group_id)
            for p in await pupils_named(self.session, school_id, child_name)
        ]

    async def pending_requests(self, student_ids: list[int]) -> list[Request]:
        return [_request(r) for r in await pending_requests(self.session, student_ids)]

    async def other_accounts(self, guardian_id: int, platform: str, user_id: str) -> list[tuple[str, str]]:
        """(platform, user id) of the accounts already bound to this guardian, other than the one asking."""
        return [
            (i.platform, i.user_id)
            for i in await other_accounts(self.session, guardian_id, platform, user_id)
        ]

    async def guardian_name(self, guardian_id: int) -> str | None:
        return await self.session.scalar(select(Guardian.name).where(Guardian.id == guardian_id))

    async def add_attempt(
        self,
        platform: str,
        user_id: str,
        sender_name: str,
        child_name: str,
        matched: bool,
        at: datetime,
        message_id: str,
    ) -> int:
        """Count an attempt (matched or not); its id."""
        attempt = BindingAttempt(
            platform=platform,
            user_id=user_id,
            sender_name=sender_name,
            child_name=child_name,
            phone_matched=matched,
            at=utc(at),
            message_id=message_id,
        )
        self.session.add(attempt)
        await self.session.flush()
        return attempt.id

    async def request(
        self,
        platform: str,
        user_id: str,
        guardian_id: int,
        student_id: int,
        at: datetime,
        message_id: str,
        sender_name: str,
    ) -> Request:
        """The account's request to be this guardian, pending again from `at` (one per account and guardian)."""
        request = await self.session.scalar(
            select(BindingRequest).where(
                BindingRequest.platform == platform,
                BindingRequest.user_id == user_id,
                BindingRequest.guardian_id == guardian_id,
            )
        )
        if request is None:
            request = BindingRequest(
                platform=platform, user_id=user_id, guardian_id=guardian_id, student_id=student_id
            )
            self.session.add(request)
        request.state, request.requested_at, request.decided_by = "pending", at, None
        request.message_id, request.sender_name = message_id, sender_name
        await self.session.flush()
        return _request(request)

    async def decide(self, request_id: int, state: str, by: str) -> None:
        """The request is approved or rejected by `by`."""
        await self.session.execute(
            update(BindingRequest).where(BindingRequest.id == request_id).values(state=state, decided_by=by)
        )

    async def bind(self, platform: str, user_id: str, guardian_id: int, at: datetime) -> None:
        """The account now acts as this guardian."""
        identity = await self.session.scalar(
            select(Identity).where(Identity.platform == platform, Identity.user_id == user_id)
        )
        if identity is None:
            self.session.add(
                Identity(
                    platform=platform, user_id=user_id, guardian_id=guardian_id, source="binding", bound_at=at
                )
            )
        else:
            identity.guardian_id = guardian_id
