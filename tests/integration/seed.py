"""A tiny school written straight into the tables, for foundation tests (no importer involved)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from bot.store.db import Database
from bot.store.tables import (
    Chat,
    ClassGroup,
    Guardian,
    Guardianship,
    Identity,
    School,
    Staff,
    StaffRole,
    Student,
)

EPOCH = datetime(2026, 9, 1, tzinfo=UTC)


@dataclass
class TinySchool:
    school_id: int
    class_id: int
    other_class_id: int
    chat_id: str = "chat-3-2"


async def seed_tiny_school(db: Database) -> TinySchool:
    async with db.transaction() as s:
        school = School(name="测试小学")
        s.add(school)
        await s.flush()
        teacher = Staff(school_id=school.id, name="李老师", phone="13900000001")
        principal = Staff(school_id=school.id, name="赵校长", phone="13900000009")
        s.add_all([teacher, principal])
        await s.flush()
        c32 = ClassGroup(school_id=school.id, name="三年级2班", grade=3, head_teacher_id=teacher.id)
        c51 = ClassGroup(school_id=school.id, name="五年级1班", grade=5)
        s.add_all([c32, c51])
        await s.flush()
        s.add(Chat(class_group_id=c32.id, platform="wecom", chat_id="chat-3-2"))
        s.add_all(
            [
                StaffRole(staff_id=teacher.id, role="head_teacher", class_group_id=c32.id),
                StaffRole(staff_id=principal.id, role="principal", class_group_id=None),
            ]
        )
        wang = Student(school_id=school.id, student_no="S001", name="王小明", class_group_id=c32.id)
        wang_sister = Student(school_id=school.id, student_no="S002", name="王小红", class_group_id=c51.id)
        s.add_all([wang, wang_sister])
        mother = Guardian(school_id=school.id, name="刘芳", phone="13800001111")
        s.add(mother)
        await s.flush()
        s.add_all(
            [
                Guardianship(student_id=wang.id, guardian_id=mother.id, relation="母亲", may_pickup=True),
                Guardianship(
                    student_id=wang_sister.id, guardian_id=mother.id, relation="母亲", may_pickup=True
                ),
                Identity(platform="wecom", user_id="parent-liu", guardian_id=mother.id, bound_at=EPOCH),
                Identity(platform="wecom", user_id="teacher-li", staff_id=teacher.id, bound_at=EPOCH),
                Identity(platform="wecom", user_id="principal-zhao", staff_id=principal.id, bound_at=EPOCH),
            ]
        )
        return TinySchool(school.id, c32.id, c51.id)
