"""A school for enrollment and fee tests, written straight into the ORM tables (no roster importer)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, time
from itertools import count

from bot.bootstrap import bootstrap
from bot.clock import FixedClock
from bot.domain.messages import IncomingMessage, Platform
from bot.pipeline import Outcome
from bot.settings import load_settings
from bot.store.db import Database
from bot.store.tables import (
    Chat,
    ClassGroup,
    Course,
    Guardian,
    Guardianship,
    Identity,
    School,
    Staff,
    StaffRole,
    Student,
)

EPOCH = datetime(2026, 9, 1, tzinfo=UTC)
Say = Callable[..., Awaitable[Outcome]]


@dataclass
class EnrollSchool:
    school_id: int
    class_id: int
    course_ids: dict[str, int]
    families: list[tuple[str, str, int]] = field(default_factory=list)  # (user id, child name, guardian id)


async def seed(db: Database, families: int = 3, capacity: int = 20, min_size: int = 2) -> EnrollSchool:
    """One class (三年级2班) with `families` one-child families; courses 篮球 (Wed/Fri) and 书法 (Tue)."""
    async with db.transaction() as s:
        school = School(name="测试小学")
        s.add(school)
        await s.flush()
        head = Staff(school_id=school.id, name="李老师", phone="13900000001")
        principal = Staff(school_id=school.id, name="赵校长", phone="13900000009")
        coach = Staff(school_id=school.id, name="陈教练", phone="13900000002")
        s.add_all([head, principal, coach])
        await s.flush()
        c32 = ClassGroup(school_id=school.id, name="三年级2班", grade=3, head_teacher_id=head.id)
        s.add(c32)
        await s.flush()
        s.add(Chat(class_group_id=c32.id, platform="wecom", chat_id="chat-3-2"))
        s.add_all(
            [
                StaffRole(staff_id=head.id, role="head_teacher", class_group_id=c32.id),
                StaffRole(staff_id=principal.id, role="principal", class_group_id=None),
                Identity(platform="wecom", user_id="teacher-li", staff_id=head.id, bound_at=EPOCH),
                Identity(platform="wecom", user_id="principal-zhao", staff_id=principal.id, bound_at=EPOCH),
            ]
        )
        courses = {
            "篮球": Course(
                school_id=school.id,
                name="篮球",
                category="X",
                weekdays="3,5",
                start_time=time(16, 30),
                end_time=time(17, 10),
                capacity=capacity,
                min_size=min_size,
                price_fen=2000,
                teacher_id=coach.id,
            ),
            "书法": Course(
                school_id=school.id,
                name="书法",
                category="X",
                weekdays="2",
                start_time=time(16, 30),
                end_time=time(17, 10),
                capacity=capacity,
                min_size=min_size,
                price_fen=2000,
                teacher_id=coach.id,
            ),
        }
        s.add_all(courses.values())
        fams = []
        for i in range(families):
            name = f"学生{i:03d}"
            st = Student(school_id=school.id, student_no=f"S{i:05d}", name=name, class_group_id=c32.id)
            g = Guardian(school_id=school.id, name=f"家长{i:03d}", phone=f"138{i:08d}")
            s.add_all([st, g])
            await s.flush()
            s.add(Guardianship(student_id=st.id, guardian_id=g.id, relation="母亲"))
            s.add(Identity(platform="wecom", user_id=f"parent-{i}", guardian_id=g.id, bound_at=EPOCH))
            fams.append((f"parent-{i}", name, g.id))
        await s.flush()
        return EnrollSchool(school.id, c32.id, {k: c.id for k, c in courses.items()}, fams)


def sayer(db: Database, now: datetime) -> Say:
    services = bootstrap(load_settings(), clock=FixedClock(now), db=db)
    counter = count(1)

    async def say(user: str, text: str, chat: str = "chat-3-2") -> Outcome:
        msg = IncomingMessage(
            platform=Platform.WECOM,
            chat_id=chat,
            sender_id=user,
            text=text,
            message_id=f"e{now:%m%d%H%M}-{next(counter)}",
            received_at=now,
        )
        return await services.pipeline.handle_message(msg)

    return say
