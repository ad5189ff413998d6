"""Enrollment use cases: courses and their windows, priority marks, closing due windows, cancelled sessions."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, tzinfo

from bot.clock import Clock
from bot.course_news import gongshi_pushes
from bot.domain import enrollment as rules
from bot.domain.course_board import ClosedWindow, CourseLine
from bot.domain.fees import FeePolicy
from bot.domain.messages import Push
from bot.domain.school_calendar import calendar_term
from bot.services.errors import NoSchool
from bot.store.db import Database
from bot.store.uow import UnitOfWork


@dataclass(frozen=True)
class SessionCancelled:
    """A session the school cancelled: `refusal` says why nothing was done, else what was refunded and told."""

    refusal: str = ""
    course: str = ""
    new: bool = False
    refunded: tuple[int, ...] = ()  # fen per child refunded now
    told: int = 0  # families told


class EnrollmentService:
    def __init__(
        self,
        db: Database,
        clock: Clock,
        tz: tzinfo,
        priority: rules.PriorityPolicy,
        second_round_days: int,
        fees: FeePolicy,
    ) -> None:
        self.db = db
        self.clock = clock
        self.tz = tz
        self.priority = priority
        self.second_round_days = second_round_days
        self.fees = fees

    def aware(self, at: datetime) -> datetime:
        """A time typed without a zone is the school's local time."""
        return at if at.tzinfo else at.replace(tzinfo=self.tz)

    @staticmethod
    async def _school(uow: UnitOfWork) -> int:
        school_id = await uow.roster.first_school()
        if school_id is None:
            raise NoSchool
        return school_id

    async def set_window(
        self, name: str, opens: datetime, closes: datetime, reserved: int, priority_opens: datetime | None
    ) -> bool:
        """Round 1 of a course's enrollment window; False when there is no such course."""
        early = self.aware(priority_opens) if priority_opens else None
        async with self.db.unit_of_work() as uow:
            return await uow.courses.set_window(
                await self._school(uow), name, self.aware(opens), self.aware(closes), reserved, early
            )

    async def courses(self) -> list[CourseLine]:
        async with self.db.unit_of_work() as uow:
            return await uow.courses.listing(await self._school(uow))

    async def mark_priority(self, student_no: str, group: str, off: bool) -> str | None:
        """Mark (or unmark) a child as in a priority group; the child's name, None when unknown."""
        async with self.db.unit_of_work() as uow:
            await self._school(uow)
            return await uow.courses.mark_priority(student_no, group, off, "cli", self.clock.now())

    async def close_enrollment(self, at: datetime) -> str:
        """Windows closed by `at`: courses under the minimum are cancelled and their families told; the others
        open a second round (round 2) for the children of the cancelled courses only, and courses that go ahead
        release their unused reserved places to the waitlist. The 公示 goes to the class groups and principals."""
        async with self.db.unit_of_work() as uow:
            closed = await uow.courses.close_due(at, self.second_round_days, self.priority)
            pushes = [push for window in closed for push in self._close_pushes(window)]
            await uow.flush()
            published = await gongshi_pushes(uow, [w.course_id for w in closed])
            await uow.outbox.add(pushes + published, at)
        if not closed:
            return "没有到期的报名。"
        cancelled = "、".join(f"{w.course}({w.held}/{w.min_size})" for w in closed if w.cancelled) or "无"
        return (
            f"报名截止 {len(closed)} 门课程;撤班: {cancelled};通知 {len(pushes)} 位家长;"
            f"公示 {len(published)} 条。"
        )

    def _close_pushes(self, window: ClosedWindow) -> list[Push]:
        if not window.cancelled:
            return [
                Push(
                    key=f"enroll:{eid}:promoted",
                    guardian_id=gid,
                    text=f"候补转正:「{window.course}」有空位了,已进入审核。",
                )
                for eid, gid in window.told
            ]
        return [
            Push(
                key=f"enroll:{eid}:cancelled",
                guardian_id=gid,
                text=f"「{window.course}」报名人数不足已撤班。二次报名已开放 {self.second_round_days} 天,"
                "请发送「报名 课程名」选择其他课程。",
            )
            for eid, gid in window.told
        ]

    async def cancel_session(self, name: str, day: date, reason: str) -> SessionCancelled:
        """A session the school cancels: recorded once, refunded per child already charged, families told."""
        async with self.db.unit_of_work() as uow:
            school_id = await self._school(uow)
            course = await uow.courses.named(school_id, name)
            if course is None:
                return SessionCancelled(refusal=f"没有课程 {name}")
            cal = await uow.calendar.of(school_id)
            if day.isoweekday() not in course.weekdays or not cal.is_care_day(day):
                return SessionCancelled(
                    refusal=f"{day} 不是「{course.name}」的上课日({cal.why_not(day) or '星期不符'})"
                )
            start, _ = calendar_term(cal, day)
            now = self.clock.now()
            done = await uow.fees.cancel_session(course.id, day, reason, start, now, self.fees, self.tz)
            when = f"{day.month}月{day.day}日"
            pushes = [
                Push(
                    key=f"session-cancel:{course.id}:{day}:{eid}",
                    guardian_id=gid,
                    text=f"「{course.name}」{when}的课因学校安排停课"
                    + (",该课时费用将退还,发送「费用」可查看。" if fen else "。"),
                )
                for eid, fen, gid in done.seats
                if gid is not None
            ]
            await uow.outbox.add(pushes, now)
        refunded = tuple(fen for _, fen, _ in done.seats if fen)
        return SessionCancelled(course=course.name, new=done.new, refunded=refunded, told=len(pushes))
