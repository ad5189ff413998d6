"""Storing notices, their targets (one row per child reached) and guardians' confirmations."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime

from sqlalchemy import func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.store.calendar import add_entry
from bot.store.notice_tables import Notice, NoticeTarget
from bot.store.tables import ClassGroup, School, Student


@dataclass(frozen=True)
class NoticeRow:
    id: int
    kind: str
    scope: str
    text: str
    created_at: datetime
    closes_at: datetime
    confirmed: int
    total: int


def as_utc(at: datetime) -> datetime:
    """Notice times are stored in UTC (SQLite keeps no offset): what is compared and read back is UTC."""
    return at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)


async def classes_with_pupils(
    session: AsyncSession, school_id: int, grade: int | None = None
) -> list[tuple[int, str]]:
    """(class id, name) of the school's classes (of one grade) that have active pupils, in name order."""
    stmt = (
        select(ClassGroup.id, ClassGroup.name)
        .where(ClassGroup.school_id == school_id)
        .where(
            select(Student.id)
            .where(Student.class_group_id == ClassGroup.id, Student.active.is_(True))
            .exists()
        )
        .order_by(ClassGroup.grade, ClassGroup.name)
    )
    if grade is not None:
        stmt = stmt.where(ClassGroup.grade == grade)
    return [(r[0], r[1]) for r in (await session.execute(stmt)).all()]


async def confirm(
    session: AsyncSession, student_ids: Sequence[int], guardian_id: int | None, now: datetime
) -> int:
    """A guardian's 收到: every open notice reaching any of these children is confirmed for them.

    Returns how many open notices this reply confirmed something in (0: none was waiting).
    """
    if not student_ids:
        return 0
    now = as_utc(now)
    open_ids = select(Notice.id).where(Notice.closes_at > now).scalar_subquery()
    waiting = (
        (
            await session.execute(
                select(NoticeTarget.notice_id)
                .where(
                    NoticeTarget.student_id.in_(list(student_ids)),
                    NoticeTarget.confirmed_at.is_(None),
                    NoticeTarget.notice_id.in_(open_ids),
                )
                .distinct()
            )
        )
        .scalars()
        .all()
    )
    if not waiting:
        return 0
    await session.execute(
        update(NoticeTarget)
        .where(
            NoticeTarget.student_id.in_(list(student_ids)),
            NoticeTarget.confirmed_at.is_(None),
            NoticeTarget.notice_id.in_(list(waiting)),
        )
        .values(confirmed_at=now, confirmed_by=guardian_id)
    )
    return len(waiting)


async def has_open(session: AsyncSession, student_ids: Sequence[int], now: datetime) -> bool:
    """Does any open notice reach one of these children (confirmed or not)?"""
    if not student_ids:
        return False
    now = as_utc(now)
    found = await session.scalar(
        select(NoticeTarget.notice_id)
        .join(Notice, Notice.id == NoticeTarget.notice_id)
        .where(NoticeTarget.student_id.in_(list(student_ids)), Notice.closes_at > now)
        .limit(1)
    )
    return found is not None


async def unconfirmed(session: AsyncSession, notice_id: int) -> list[tuple[int, str, int, str]]:
    """(student id, name, class id, class name) of the children not yet confirmed, by class then 学籍号."""
    rows = (
        await session.execute(
            select(Student.id, Student.name, ClassGroup.id, ClassGroup.name)
            .join(NoticeTarget, NoticeTarget.student_id == Student.id)
            .join(ClassGroup, ClassGroup.id == NoticeTarget.class_group_id)
            .where(NoticeTarget.notice_id == notice_id, NoticeTarget.confirmed_at.is_(None))
            .order_by(ClassGroup.grade, ClassGroup.name, Student.student_no)
        )
    ).all()
    return [(r[0], r[1], r[2], r[3]) for r in rows]


async def due_for_reminder(
    session: AsyncSession, school_id: int, now: datetime, sent_before: datetime
) -> list[Notice]:
    """Open notices sent before `sent_before` (the reminder delay ago)."""
    now, sent_before = as_utc(now), as_utc(sent_before)
    return list(
        (
            await session.scalars(
                select(Notice)
                .where(
                    Notice.school_id == school_id, Notice.closes_at > now, Notice.created_at <= sent_before
                )
                .order_by(Notice.id)
            )
        ).all()
    )


class NoticesRepo:
    """Notices with their targets (one per child reached) and the confirmations families send back."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def classes_with_pupils(self, school_id: int, grade: int | None = None) -> list[tuple[int, str]]:
        return await classes_with_pupils(self.session, school_id, grade)

    async def create(
        self,
        *,
        school_id: int,
        sender_staff_id: int | None,
        kind: str,
        scope: str,
        text: str,
        class_ids: Sequence[int],
        now: datetime,
        closes: datetime,
        message_id: str | None = None,
    ) -> tuple[int, int]:
        """The notice and a target row per active child of the classes: (notice id, children reached = M)."""
        notice = Notice(
            school_id=school_id,
            sender_staff_id=sender_staff_id,
            kind=kind,
            scope=scope[:50],
            text=text,
            created_at=as_utc(now),
            closes_at=as_utc(closes),
            message_id=message_id,
        )
        self.session.add(notice)
        await self.session.flush()
        pupils = (
            await self.session.execute(
                select(Student.id, Student.class_group_id)
                .where(Student.class_group_id.in_(list(class_ids)), Student.active.is_(True))
                .order_by(Student.id)
            )
        ).all()
        for student_id, class_id in pupils:
            self.session.add(
                NoticeTarget(notice_id=notice.id, student_id=student_id, class_group_id=class_id)
            )
        await self.session.flush()
        return notice.id, len(pupils)

    async def confirm(self, student_ids: Sequence[int], guardian_id: int | None, now: datetime) -> int:
        return await confirm(self.session, student_ids, guardian_id, now)

    async def open_notices(
        self,
        school_id: int,
        now: datetime,
        *,
        sender_staff_id: int | None = None,
        with_unsent: bool = False,
    ) -> list[NoticeRow]:
        """Open notices, newest first, with their counts: a sender's own (and, `with_unsent`, those no one sent:
        a closure added from the command line), or the whole school's when `sender_staff_id` is None."""
        now = as_utc(now)
        confirmed = func.count(NoticeTarget.confirmed_at)
        stmt = (
            select(
                Notice.id,
                Notice.kind,
                Notice.scope,
                Notice.text,
                Notice.created_at,
                Notice.closes_at,
                confirmed,
                func.count(NoticeTarget.student_id),
            )
            .outerjoin(NoticeTarget, NoticeTarget.notice_id == Notice.id)
            .where(Notice.school_id == school_id, Notice.closes_at > now)
            .group_by(Notice.id, Notice.kind, Notice.scope, Notice.text, Notice.created_at, Notice.closes_at)
            .order_by(Notice.created_at.desc(), Notice.id.desc())
        )
        if sender_staff_id is not None:
            mine = Notice.sender_staff_id == sender_staff_id
            stmt = stmt.where(or_(mine, Notice.sender_staff_id.is_(None)) if with_unsent else mine)
        return [
            NoticeRow(r[0], r[1], r[2], r[3], as_utc(r[4]), as_utc(r[5]), r[6], r[7])
            for r in (await self.session.execute(stmt)).all()
        ]

    async def unconfirmed(self, notice_id: int) -> list[tuple[int, str, int, str]]:
        return await unconfirmed(self.session, notice_id)

    async def add_closure(self, school_id: int, start: date, end: date, name: str) -> None:
        """Days without care in the school calendar (a closure)."""
        await add_entry(self.session, school_id, "closure", start, end, name)

    async def school_timezone(self, school_id: int) -> str | None:
        """The school's timezone name as stored (None when the school is not found)."""
        return await self.session.scalar(select(School.timezone).where(School.id == school_id))
