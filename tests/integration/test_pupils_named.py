"""Which pupils a message names: looked up by the text's substrings in the (school_id, name) index, the same
answer as a scan of the school's pupils, for odd names, names inside names, Latin names in another case, and
texts of any length."""

from __future__ import annotations

from sqlalchemy import insert, select

from bot.store.db import Database
from bot.store.people_repo import _MANY, _NAMED_IN_TEXT, substrings
from bot.store.tables import ClassGroup, School, Student
from tests.integration.care_day import demo_services

NAMES = ["小明", "王小明", "%", "a_b", "欧阳娜娜", "阿依古丽·买买提·艾则孜江·阿不都热合曼", "Tom Lee", "明天"]
TEXTS = [
    "王小明 请假 明天",
    "欧阳娜娜和小明今天晚点接",
    "a_b 已接走,100%到了",
    "阿依古丽·买买提·艾则孜江·阿不都热合曼 请假",
    "tom lee 请假",  # Latin letters: scanned, so SQLite's LIKE still matches them in any case
    "Tom Lee 和 欧阳娜娜 请假",
    "查询",
    "王小明 " + "请假 明天 发烧 咳嗽 " * 30 + "欧阳娜娜",  # long, but few distinct pieces
    "王小明 " + "".join(chr(0x4E00 + i) for i in range(120)) + " 欧阳娜娜",  # too many pieces: scanned
]


async def test_the_index_lookup_finds_what_a_scan_finds(db: Database) -> None:
    await demo_services(db)
    async with db.transaction() as s:
        school = (await s.scalars(select(School.id).order_by(School.id))).all()[0]
        class_id = await s.scalar(select(ClassGroup.id).where(ClassGroup.school_id == school).limit(1))
        other = await s.scalar(insert(School).values(name="另一所小学").returning(School.id))
        other_class = await s.scalar(
            insert(ClassGroup).values(school_id=other, name="一年级1班", grade=1).returning(ClassGroup.id)
        )
        for i, name in enumerate(NAMES):
            await s.execute(
                insert(Student).values(
                    school_id=school, student_no=f"N{i}", name=name, class_group_id=class_id
                )
            )
        twin = await s.scalar(  # the same name in another school is not this school's pupil
            insert(Student)
            .values(school_id=other, student_no="X1", name="王小明", class_group_id=other_class)
            .returning(Student.id)
        )
        pupils = (await s.execute(select(Student.id, Student.name).where(Student.school_id == school))).all()
    assert len(substrings(TEXTS[-1])) > _MANY
    async with db.unit_of_work() as uow:
        for text in TEXTS:
            scanned = (await uow.session.execute(_NAMED_IN_TEXT, {"school_id": school, "text": text})).all()
            found = await uow.people.pupils_named_in(school, text)
            assert found == sorted((sid, name) for sid, name in scanned), text
            if not any(c.isascii() and c.isalpha() for c in text):  # literally contained, as written
                assert found == sorted((sid, name) for sid, name in pupils if name in text), text
    async with db.unit_of_work() as uow:
        assert await uow.people.pupils_named_in(other, "王小明 请假") == [(twin, "王小明")]


def test_substrings_are_every_piece_up_to_the_longest_name() -> None:
    assert substrings("王小明") == {"王", "小", "明", "王小", "小明", "王小明"}
    assert max(map(len, substrings("x" * 80))) == 50
