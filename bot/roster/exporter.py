"""`tuoguan roster export`: the current roster in the import format (re-importing it changes nothing)."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

from openpyxl import Workbook
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.roster.bus import export_bus
from bot.roster.duty_sheet import duty_rows
from bot.roster.schema import SHEET_ORDER
from bot.roster.template import write_notes, write_sheet
from bot.roster.validate import LEFT_BEHIND_LABELS, ROLE_LABELS
from bot.store.archives import Archive, school_archives
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

WEEKDAY_CN = {1: "一", 2: "二", 3: "三", 4: "四", 5: "五", 6: "六", 7: "日"}


def _yes(flag: bool) -> str:
    return "是" if flag else "否"


def _yuan(fen: int) -> str:
    return f"{fen // 100}" if fen % 100 == 0 else f"{fen // 100}.{fen % 100:02d}"


def _archive_cells(archive: Archive | None, staff: dict[int, Staff]) -> list[object]:
    """爱心妈妈, 务工单位, 务工单位电话, 监护人职业, 监护人年龄, 监护人健康 (as the 学生 sheet orders them)."""
    if archive is None:
        return ["", "", "", "", "", ""]
    mother = staff.get(archive.caring_mother_id) if archive.caring_mother_id else None
    return [mother.name if mother else "", archive.employer, archive.employer_phone, archive.guardian_job,
            archive.guardian_age if archive.guardian_age is not None else "", archive.guardian_health]


async def export_roster(db: Database, path: Path, *, school_name: str) -> None:
    sheets: dict[str, list[list[object]]] = defaultdict(list)
    async with db.transaction() as s:
        school = await s.scalar(select(School).where(School.name == school_name))
        if school is not None:
            await _collect(s, school.id, sheets)
            sheets["值班"] = await duty_rows(s, school.id)
    wb = Workbook()
    for index, name in enumerate(SHEET_ORDER):
        ws = wb.active if index == 0 else wb.create_sheet(name)
        assert ws is not None
        ws.title = name
        write_sheet(ws, name, sheets[name])
    write_notes(wb)
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)


async def _collect(s: AsyncSession, school_id: int, sheets: dict[str, list[list[object]]]) -> None:
    staff = {st.id: st for st in (await s.scalars(select(Staff).where(Staff.school_id == school_id))).all()}
    classes = {
        c.id: c for c in (await s.scalars(select(ClassGroup).where(ClassGroup.school_id == school_id))).all()
    }
    chats: dict[int, list[Chat]] = defaultdict(list)
    for found in (await s.scalars(select(Chat).where(Chat.class_group_id.in_(classes)).order_by(Chat.id))).all():
        chats[found.class_group_id].append(found)
    accounts: dict[tuple[str, int], str] = {}
    for ident in (await s.scalars(select(Identity).order_by(Identity.id))).all():
        if ident.staff_id in staff:
            accounts.setdefault(("staff", ident.staff_id), ident.user_id)
        if ident.guardian_id is not None:
            accounts.setdefault(("guardian", ident.guardian_id), ident.user_id)

    for cls in sorted(classes.values(), key=lambda c: (c.grade, c.name)):
        head = staff.get(cls.head_teacher_id) if cls.head_teacher_id else None
        # One row per class with its first chat (further chats of a class live in the database only).
        chat = chats[cls.id][0] if chats[cls.id] else None
        sheets["班级"].append([
            cls.name, cls.grade, head.name if head else "", head.phone if head else "",
            chat.platform if chat else "", chat.chat_id if chat else "",
            chat.webhook if chat else "", chat.webhook_secret if chat else "",
        ])
    students = (await s.scalars(select(Student).where(Student.school_id == school_id).order_by(Student.student_no))).all()
    by_id = {st.id: st for st in students}
    archives = await school_archives(s, school_id)
    for st in students:
        paired = staff.get(st.paired_teacher_id) if st.paired_teacher_id else None
        sheets["学生"].append([
            st.student_no, st.name, classes[st.class_group_id].name, st.gender,
            st.birth_date.isoformat() if st.birth_date else "", _yes(st.basic_care),
            LEFT_BEHIND_LABELS.get(st.left_behind, "无"), st.away_work_place, paired.name if paired else "",
            *_archive_cells(archives.get(st.id), staff), st.note,
        ])
    rows = (
        await s.execute(
            select(Guardianship, Guardian).join(Guardian, Guardian.id == Guardianship.guardian_id)
            .where(Guardian.school_id == school_id).order_by(Guardianship.student_id, Guardian.id)
        )
    ).all()
    for link, guardian in rows:
        sheets["家长"].append([
            by_id[link.student_id].student_no, guardian.name, link.relation, guardian.phone,
            accounts.get(("guardian", guardian.id), ""), _yes(link.may_pickup),
        ])
    roles = (await s.scalars(select(StaffRole).where(StaffRole.staff_id.in_(staff)).order_by(StaffRole.id))).all()
    for role in roles:
        member = staff[role.staff_id]
        sheets["教师"].append([
            member.name, member.phone, ROLE_LABELS.get(role.role, role.role),
            classes[role.class_group_id].name if role.class_group_id else "", accounts.get(("staff", member.id), ""),
        ])
    for course in (await s.scalars(select(Course).where(Course.school_id == school_id).order_by(Course.id))).all():
        teacher = staff.get(course.teacher_id) if course.teacher_id else None
        sheets["课程"].append([
            course.name, course.category, ",".join(WEEKDAY_CN[int(d)] for d in course.weekdays.split(",") if d),
            course.start_time.strftime("%H:%M"), course.end_time.strftime("%H:%M"), course.capacity,
            course.min_size, _yuan(course.price_fen), course.grades, teacher.name if teacher else "",
        ])
    await export_bus(s, school_id, sheets)
