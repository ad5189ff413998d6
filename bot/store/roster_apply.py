"""Writing a validated roster: every lookup loaded once in bulk (no query per row), then upserts."""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.roster import Validated
from bot.store.archives import import_archives
from bot.store.tables import (
    Chat,
    ClassGroup,
    Course,
    Guardian,
    Guardianship,
    Identity,
    Staff,
    StaffRole,
    Student,
)


def _assign(obj: Any, **values: Any) -> bool:
    """Set attributes; True if anything changed."""
    changed = False
    for key, value in values.items():
        if getattr(obj, key) != value:
            setattr(obj, key, value)
            changed = True
    return changed


class RosterWriter:
    """Writes validated records; every lookup is loaded once in bulk (no query per row)."""

    def __init__(
        self, session: AsyncSession, school_id: int, data: Validated, now: datetime, bus_changed: set[str]
    ) -> None:
        self.s, self.school_id, self.data, self.now = session, school_id, data, now
        self.bus_changed = bus_changed  # 学籍号 whose 校车线路 the file changes: their row counts as updated
        self.counts: dict[str, Counter[str]] = {}
        self.new_courses: list[int] = []  # X courses created, to open their enrollment window

    def _count(self, sheet: str, created: bool, changed: bool) -> None:
        counter = self.counts.setdefault(sheet, Counter({"新增": 0, "更新": 0, "无变化": 0}))
        counter["新增" if created else "更新" if changed else "无变化"] += 1

    async def _all(self, model: Any, *where: Any) -> list[Any]:
        return list((await self.s.scalars(select(model).where(*where))).all())

    async def run(self) -> dict[str, Counter[str]]:
        await self._staff()
        await self._classes()
        await self._roles()
        await self._students()
        await self._guardians()
        await self._courses()
        await self._identities()
        return self.counts

    async def _staff(self) -> None:
        self.staff = {s.phone: s for s in await self._all(Staff, Staff.school_id == self.school_id)}
        seen: set[str] = set()
        for t in self.data.teachers:
            if t.phone in seen:
                continue
            seen.add(t.phone)
            staff = self.staff.get(t.phone)
            if staff is None:
                staff = self.staff[t.phone] = Staff(school_id=self.school_id, name=t.name, phone=t.phone)
                self.s.add(staff)
                self._count("教师", True, False)
            else:
                self._count("教师", False, _assign(staff, name=t.name))
        await self.s.flush()

    def staff_named(self, name: str, phone: str = "") -> Staff | None:
        if phone and phone in self.staff:
            return self.staff[phone]
        matches = [s for s in self.staff.values() if s.name == name]
        return matches[0] if len(matches) == 1 else None

    async def _classes(self) -> None:
        self.classes = {
            c.name: c for c in await self._all(ClassGroup, ClassGroup.school_id == self.school_id)
        }
        class_ids = [c.id for c in self.classes.values()]
        chats = await self._all(Chat, Chat.class_group_id.in_(class_ids)) if class_ids else []
        by_key = {(c.platform, c.chat_id): c for c in chats}
        for rec in self.data.classes:
            head = self.staff_named(rec.head_teacher, rec.head_phone) if rec.head_teacher else None
            cls = self.classes.get(rec.name)
            values = {"grade": rec.grade, "head_teacher_id": head.id if head else None}
            if cls is None:
                cls = self.classes[rec.name] = ClassGroup(school_id=self.school_id, name=rec.name, **values)
                self.s.add(cls)
                await self.s.flush()
                created, changed = True, False
            else:
                created, changed = False, _assign(cls, **values)
            if rec.chat_id:
                chat = by_key.get((rec.platform, rec.chat_id))
                chat_values = {"class_group_id": cls.id, "webhook": rec.webhook, "webhook_secret": rec.secret}
                if chat is None:
                    chat = by_key[(rec.platform, rec.chat_id)] = Chat(
                        platform=rec.platform, chat_id=rec.chat_id, **chat_values
                    )
                    self.s.add(chat)
                    changed = True
                else:
                    changed = _assign(chat, **chat_values) or changed
            self._count("班级", created, changed)
        await self.s.flush()
        self.class_platform = {
            cls_id: platform
            for cls_id, platform in (
                await self.s.execute(select(Chat.class_group_id, Chat.platform).order_by(Chat.id.desc()))
            ).all()
        }
        self.class_platform.update(
            {self.classes[r.name].id: r.platform for r in self.data.classes if r.platform}
        )
        platforms = Counter(self.class_platform.values())
        self.default_platform = platforms.most_common(1)[0][0] if platforms else "wecom"

    async def _roles(self) -> None:
        staff_ids = [s.id for s in self.staff.values()]
        existing = {
            (r.staff_id, r.role, r.class_group_id)
            for r in (await self._all(StaffRole, StaffRole.staff_id.in_(staff_ids)) if staff_ids else [])
        }
        wanted: list[tuple[int, str, int | None]] = []
        for t in self.data.teachers:
            class_id = self.classes[t.class_name].id if t.class_name else None
            wanted.append((self.staff[t.phone].id, t.role, class_id))
        for rec in self.data.classes:
            head = self.staff_named(rec.head_teacher, rec.head_phone) if rec.head_teacher else None
            if head is not None:
                wanted.append((head.id, "head_teacher", self.classes[rec.name].id))
        for key in dict.fromkeys(wanted):
            if key not in existing:
                existing.add(key)
                self.s.add(StaffRole(staff_id=key[0], role=key[1], class_group_id=key[2]))

    async def _students(self) -> None:
        self.students = {
            s.student_no: s for s in await self._all(Student, Student.school_id == self.school_id)
        }
        new_rows: list[dict[str, Any]] = []
        unchanged: set[str] = set()
        for rec in self.data.students:
            paired = self.staff_named(rec.paired_teacher) if rec.paired_teacher else None
            values = {
                "name": rec.name,
                "class_group_id": self.classes[rec.class_name].id,
                "gender": rec.gender,
                "birth_date": rec.birth_date,
                "basic_care": rec.basic_care,
                "left_behind": rec.left_behind,
                "away_work_place": rec.away_work_place,
                "paired_teacher_id": paired.id if paired else None,
                "note": rec.note,
                "active": True,
            }
            student = self.students.get(rec.student_no)
            if student is None:
                new_rows.append({"school_id": self.school_id, "student_no": rec.student_no, **values})
                self._count("学生", True, False)
            else:
                changed = _assign(student, **values) or rec.student_no in self.bus_changed
                self._count("学生", False, changed)
                if not changed:
                    unchanged.add(rec.student_no)
        await self.s.flush()
        if new_rows:
            # Bulk insert, then one query for the new ids: no round trip per student.
            await self.s.execute(insert(Student), new_rows)
            self.students = {
                s.student_no: s for s in await self._all(Student, Student.school_id == self.school_id)
            }
        archived = await import_archives(self.s, self.data.students, self.students, self.staff_named)
        moved = len(unchanged & archived)  # changed only in the archive columns: updated
        self.counts.get("学生", Counter()).update({"更新": moved, "无变化": -moved})

    async def _guardians(self) -> None:
        self.guardians = {g.phone: g for g in await self._all(Guardian, Guardian.school_id == self.school_id)}
        new_rows: dict[str, dict[str, Any]] = {}
        for rec in self.data.guardians:
            if rec.phone in self.guardians:
                _assign(self.guardians[rec.phone], name=rec.name)
            else:
                new_rows.setdefault(
                    rec.phone, {"school_id": self.school_id, "name": rec.name, "phone": rec.phone}
                )
        await self.s.flush()
        if new_rows:
            await self.s.execute(insert(Guardian), list(new_rows.values()))
            self.guardians = {
                g.phone: g for g in await self._all(Guardian, Guardian.school_id == self.school_id)
            }
        guardian_ids = [g.id for g in self.guardians.values()]
        links = {
            (link.student_id, link.guardian_id): link
            for link in (
                await self._all(Guardianship, Guardianship.guardian_id.in_(guardian_ids))
                if guardian_ids
                else []
            )
        }
        new_links: dict[tuple[int, int], dict[str, Any]] = {}
        for rec in self.data.guardians:
            key = (self.students[rec.student_no].id, self.guardians[rec.phone].id)
            link = links.get(key)
            if link is None:
                new_links[key] = {
                    "student_id": key[0],
                    "guardian_id": key[1],
                    "relation": rec.relation,
                    "may_pickup": rec.may_pickup,
                }
                self._count("家长", True, False)
            else:
                self._count("家长", False, _assign(link, relation=rec.relation, may_pickup=rec.may_pickup))
        await self.s.flush()
        if new_links:
            await self.s.execute(insert(Guardianship), list(new_links.values()))

    async def _courses(self) -> None:
        courses = {c.name: c for c in await self._all(Course, Course.school_id == self.school_id)}
        added: list[Course] = []
        for rec in self.data.courses:
            teacher = self.staff_named(rec.teacher) if rec.teacher else None
            values = {
                "category": rec.category,
                "weekdays": rec.weekdays,
                "start_time": rec.start,
                "end_time": rec.end,
                "capacity": rec.capacity,
                "min_size": rec.min_size,
                "price_fen": rec.price_fen,
                "grades": rec.grades,
                "teacher_id": teacher.id if teacher else None,
            }
            course = courses.get(rec.name)
            if course is None:
                course = courses[rec.name] = Course(school_id=self.school_id, name=rec.name, **values)
                self.s.add(course)
                added.append(course)
                self._count("课程", True, False)
            else:
                self._count("课程", False, _assign(course, **values))
        await self.s.flush()
        self.new_courses = [c.id for c in added]

    async def _identities(self) -> None:
        identities = {(i.platform, i.user_id): i for i in await self._all(Identity)}
        new_rows: dict[tuple[str, str], dict[str, Any]] = {}

        def bind(platform: str, user_id: str, **owner: int) -> None:
            if (platform, user_id) in identities:
                _assign(identities[(platform, user_id)], **owner)
            elif (platform, user_id) in new_rows:
                new_rows[(platform, user_id)].update(owner)
            else:
                new_rows[(platform, user_id)] = {
                    "platform": platform,
                    "user_id": user_id,
                    "source": "roster",
                    "bound_at": self.now,
                    "staff_id": None,
                    "guardian_id": None,
                    **owner,
                }

        for t in self.data.teachers:
            if t.account:
                class_id = self.classes[t.class_name].id if t.class_name else None
                platform = (
                    self.class_platform.get(class_id, self.default_platform)
                    if class_id
                    else self.default_platform
                )
                bind(platform, t.account, staff_id=self.staff[t.phone].id)
        for g in self.data.guardians:
            if g.account:
                class_id = self.students[g.student_no].class_group_id
                bind(
                    self.class_platform.get(class_id, self.default_platform),
                    g.account,
                    guardian_id=self.guardians[g.phone].id,
                )
        await self.s.flush()
        if new_rows:
            await self.s.execute(insert(Identity), list(new_rows.values()))
