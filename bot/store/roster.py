"""The roster repository: schools, what an import must know, writing a validated roster, reading it back."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.course_board import Window
from bot.domain.roster import (
    BusData,
    ClassRec,
    CourseRec,
    GuardianRec,
    Known,
    StudentRec,
    TeacherRec,
    Validated,
)
from bot.store.archives import Archive, school_archives
from bot.store.bus import apply_bus, line_names, rider_changes, riders_by_student_no, school_lines
from bot.store.courses import open_new_courses
from bot.store.duty import apply_duty, duty_records
from bot.store.roster_apply import RosterWriter
from bot.store.tables import (
    AuditEntry,
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


class RosterRepo:
    """Schools and their roster (classes, chats, staff, students, guardians, courses, accounts)."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def school_named(self, name: str, *, create: bool = False) -> int | None:
        """The id of the school called `name`; created first when `create` (else None when missing)."""
        school_id = await self.session.scalar(select(School.id).where(School.name == name))
        if school_id is None and create:
            school = School(name=name)
            self.session.add(school)
            await self.session.flush()
            school_id = school.id
        return school_id

    async def first_school(self) -> int | None:
        """The first school's id (the CLI works on one school), None before any roster is imported."""
        return await self.session.scalar(select(School.id).order_by(School.id).limit(1))

    async def has_students(self) -> bool:
        return bool(await self.session.scalar(select(func.count()).select_from(Student)))

    async def known(self, school_id: int) -> Known:
        """What the database holds already, so a partial roster may refer to it."""
        s = self.session
        known = Known()
        known.classes = set(
            (await s.scalars(select(ClassGroup.name).where(ClassGroup.school_id == school_id))).all()
        )
        for name, phone in (
            await s.execute(select(Staff.name, Staff.phone).where(Staff.school_id == school_id))
        ).all():
            known.staff_names.setdefault(name, set()).add(phone)
        known.student_nos = set(
            (await s.scalars(select(Student.student_no).where(Student.school_id == school_id))).all()
        )
        rows = await s.execute(
            select(Identity.user_id, Staff.phone, Guardian.phone)
            .outerjoin(Staff, Identity.staff_id == Staff.id)
            .outerjoin(Guardian, Identity.guardian_id == Guardian.id)
        )
        for user_id, staff_phone, guardian_phone in rows.all():
            known.accounts[user_id] = staff_phone or guardian_phone
        known.bus_lines = await line_names(s, school_id)
        return known

    async def apply(
        self, school_id: int, data: Validated, now: datetime, source: str, window: Window | None = None
    ) -> dict[str, Counter[str]]:
        """Write validated records (insert or update), audited; the counts per sheet (新增/更新/无变化). New X
        courses open their first enrollment window `window` (None: no window)."""
        bus_changed = await rider_changes(self.session, school_id, data.bus)
        writer = RosterWriter(self.session, school_id, data, now, bus_changed)
        counts = await writer.run()
        await open_new_courses(self.session, writer.new_courses, window)
        bus = await apply_bus(self.session, school_id, data.bus)
        if bus is not None:
            counts["校车"] = bus
        duty = await apply_duty(self.session, school_id, data.duties, writer.staff_named)
        if duty is not None:
            counts["值班"] = duty
        self.session.add(
            AuditEntry(
                school_id=school_id,
                at=now,
                actor="roster",
                action="roster_import",
                subject=source[:100],
                detail={sheet: dict(c) for sheet, c in counts.items()},
            )
        )
        return counts

    async def records(self, school_id: int) -> Validated:
        """The school's roster as import records, in the export's order (re-importing it changes nothing)."""
        reader = _RosterReader(self.session, school_id)
        await reader.load()
        return Validated(
            classes=await reader.classes(),
            students=await reader.students(),
            guardians=await reader.guardians(),
            teachers=await reader.teachers(),
            courses=await reader.courses(),
            duties=await duty_records(self.session, school_id),
            bus=BusData(
                await school_lines(self.session, school_id),
                await riders_by_student_no(self.session, school_id),
            ),
        )


class _RosterReader:
    """Reads one school's roster back into records, lookups (staff, classes, accounts) loaded once."""

    def __init__(self, session: AsyncSession, school_id: int) -> None:
        self.s = session
        self.school_id = school_id

    async def load(self) -> None:
        s, school_id = self.s, self.school_id
        self.staff = {
            st.id: st for st in (await s.scalars(select(Staff).where(Staff.school_id == school_id))).all()
        }
        self.class_rows = {
            c.id: c
            for c in (await s.scalars(select(ClassGroup).where(ClassGroup.school_id == school_id))).all()
        }
        self.accounts: dict[tuple[str, int], str] = {}
        for ident in (await s.scalars(select(Identity).order_by(Identity.id))).all():
            if ident.staff_id in self.staff:
                self.accounts.setdefault(("staff", ident.staff_id), ident.user_id)
            if ident.guardian_id is not None:
                self.accounts.setdefault(("guardian", ident.guardian_id), ident.user_id)

    def _staff_name(self, staff_id: int | None) -> str:
        member = self.staff.get(staff_id) if staff_id else None
        return member.name if member else ""

    async def classes(self) -> list[ClassRec]:
        chats: dict[int, list[Chat]] = defaultdict(list)
        query = select(Chat).where(Chat.class_group_id.in_(self.class_rows)).order_by(Chat.id)
        for found in (await self.s.scalars(query)).all():
            chats[found.class_group_id].append(found)
        out = []
        for cls in sorted(self.class_rows.values(), key=lambda c: (c.grade, c.name)):
            head = self.staff.get(cls.head_teacher_id) if cls.head_teacher_id else None
            # One row per class with its first chat (further chats of a class live in the database only).
            chat = chats[cls.id][0] if chats[cls.id] else None
            out.append(
                ClassRec(
                    cls.name,
                    cls.grade,
                    head.name if head else "",
                    head.phone if head else "",
                    chat.platform if chat else "",
                    chat.chat_id if chat else "",
                    (chat.webhook or "") if chat else "",
                    (chat.webhook_secret or "") if chat else "",
                )
            )
        return out

    async def students(self) -> list[StudentRec]:
        query = select(Student).where(Student.school_id == self.school_id).order_by(Student.student_no)
        self.student_rows = list((await self.s.scalars(query)).all())
        archives = await school_archives(self.s, self.school_id)
        return [
            StudentRec(
                st.student_no,
                st.name,
                self.class_rows[st.class_group_id].name,
                st.gender,
                st.birth_date,
                st.basic_care,
                st.left_behind,
                st.away_work_place,
                self._staff_name(st.paired_teacher_id),
                st.note,
                self._archive(archives.get(st.id)),
            )
            for st in self.student_rows
        ]

    def _archive(self, archive: Archive | None) -> dict[str, Any]:
        """A child's archive columns as the import reads them (爱心妈妈 by name); {} for none."""
        if archive is None:
            return {}
        return {
            "caring_mother": self._staff_name(archive.caring_mother_id),
            "employer": archive.employer,
            "employer_phone": archive.employer_phone,
            "guardian_job": archive.guardian_job,
            "guardian_age": archive.guardian_age,
            "guardian_health": archive.guardian_health,
        }

    async def guardians(self) -> list[GuardianRec]:
        numbers = {st.id: st.student_no for st in self.student_rows}
        rows = (
            await self.s.execute(
                select(Guardianship, Guardian)
                .join(Guardian, Guardian.id == Guardianship.guardian_id)
                .where(Guardian.school_id == self.school_id)
                .order_by(Guardianship.student_id, Guardian.id)
            )
        ).all()
        return [
            GuardianRec(
                numbers[link.student_id],
                guardian.name,
                link.relation,
                guardian.phone,
                self.accounts.get(("guardian", guardian.id), ""),
                link.may_pickup,
            )
            for link, guardian in rows
        ]

    async def teachers(self) -> list[TeacherRec]:
        query = select(StaffRole).where(StaffRole.staff_id.in_(self.staff)).order_by(StaffRole.id)
        out = []
        for role in (await self.s.scalars(query)).all():
            member = self.staff[role.staff_id]
            class_name = self.class_rows[role.class_group_id].name if role.class_group_id else ""
            out.append(
                TeacherRec(
                    member.name,
                    member.phone,
                    role.role,
                    class_name,
                    self.accounts.get(("staff", member.id), ""),
                )
            )
        return out

    async def courses(self) -> list[CourseRec]:
        query = select(Course).where(Course.school_id == self.school_id).order_by(Course.id)
        return [
            CourseRec(
                c.name,
                c.category,
                c.weekdays,
                c.start_time,
                c.end_time,
                c.capacity,
                c.min_size,
                c.price_fen,
                c.grades,
                self._staff_name(c.teacher_id),
            )
            for c in (await self.s.scalars(query)).all()
        ]
