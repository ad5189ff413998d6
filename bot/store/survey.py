"""Storing a family's monthly rating (per child, replaced by the family's next one) and reading a month's."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain import survey as rules
from bot.store.agreement_tables import SurveyRating
from bot.store.agreements import as_utc
from bot.store.care import ENROLLED
from bot.store.enroll_tables import Enrollment
from bot.store.notices import classes_with_pupils
from bot.store.tables import ClassGroup, Course, Student


@dataclass(frozen=True)
class StoredVote:
    student_id: int
    class_name: str
    guardian_id: int | None
    rated_at: datetime
    rating: int
    comment: str


class SurveyRepo:
    """The families' monthly ratings: recording one, summarising a month."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def record_rating(
        self,
        school_id: int,
        student_ids: Sequence[int],
        month: str,
        guardian_id: int | None,
        rating: int,
        comment: str,
        now: datetime,
    ) -> bool:
        """The family's rating for each child (one per child and month): True when it replaced an earlier one."""
        rows = {
            r.student_id: r
            for r in (
                await self.session.scalars(
                    select(SurveyRating).where(
                        SurveyRating.student_id.in_(list(student_ids)), SurveyRating.month == month
                    )
                )
            ).all()
        }
        for sid in student_ids:
            row = rows.get(sid)
            if row is None:
                row = SurveyRating(student_id=sid, month=month, school_id=school_id)
                self.session.add(row)
            row.guardian_id, row.rating, row.comment, row.rated_at = (
                guardian_id,
                rating,
                comment,
                as_utc(now) or now,
            )
        await self.session.flush()
        return bool(rows)

    async def _month_votes(self, school_id: int, month: str) -> list[StoredVote]:
        rows = (
            await self.session.execute(
                select(
                    SurveyRating.student_id,
                    ClassGroup.name,
                    SurveyRating.guardian_id,
                    SurveyRating.rated_at,
                    SurveyRating.rating,
                    SurveyRating.comment,
                )
                .join(Student, Student.id == SurveyRating.student_id)
                .join(ClassGroup, ClassGroup.id == Student.class_group_id)
                .where(SurveyRating.school_id == school_id, SurveyRating.month == month)
                .order_by(SurveyRating.rated_at, SurveyRating.student_id)
            )
        ).all()
        return [StoredVote(r[0], r[1], r[2], as_utc(r[3]) or r[3], r[4], r[5]) for r in rows]

    async def _courses_of(self, student_ids: Sequence[int]) -> dict[int, list[str]]:
        """The courses each child is enrolled in (basic care included when it is a course)."""
        result: dict[int, list[str]] = defaultdict(list)
        if not student_ids:
            return result
        for sid, name in (
            await self.session.execute(
                select(Enrollment.student_id, Course.name)
                .join(Course, Course.id == Enrollment.course_id)
                .where(Enrollment.student_id.in_(list(student_ids)), Enrollment.state.in_(ENROLLED))
                .order_by(Course.name)
            )
        ).all():
            result[sid].append(name)
        return result

    async def month_summary(self, school_id: int, month: str) -> rules.Summary:
        """The month's averages per class and per course and the comments, named by no family."""
        votes = await self._month_votes(school_id, month)
        courses = await self._courses_of(sorted({v.student_id for v in votes}))
        classes = [name for _, name in await classes_with_pupils(self.session, school_id)]
        return rules.summarize(
            month,
            [
                rules.Vote(
                    (v.guardian_id, v.rated_at.isoformat()),
                    v.class_name,
                    tuple(courses.get(v.student_id, ())),
                    v.rating,
                    v.comment,
                )
                for v in votes
            ],
            classes,
        )
