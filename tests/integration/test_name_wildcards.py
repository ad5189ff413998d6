"""Roster names are matched literally: `%`, `_` and `\\` in a pupil's name are not SQL LIKE wildcards."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from bot.store.db import Database
from bot.store.tables import ClassGroup, Student
from tests.integration.care_day import demo_services, sayer


async def add_pupil(db: Database, name: str, no: str) -> None:
    async with db.transaction() as s:
        group = (await s.execute(select(ClassGroup).where(ClassGroup.name == "三年级2班"))).scalar_one()
        s.add(Student(school_id=group.school_id, student_no=no, name=name, class_group_id=group.id))


@pytest.mark.parametrize("name", ["%", "_", "__", "%%", "\\", "李_"])
async def test_a_wildcard_name_does_not_refuse_a_one_child_parents_leave(db: Database, name: str) -> None:
    services = await demo_services(db)
    await add_pupil(db, name, "W0001")
    out = await sayer(services)("parent-li", "请假 明天", (9, 0))  # parent-li's only child: 李华
    assert out.result == "ok", out.reply.text
    assert "李华" in out.reply.text


async def test_a_name_really_in_the_text_is_still_someone_elses_child(db: Database) -> None:
    services = await demo_services(db)
    await add_pupil(db, "李_华", "W0002")
    say = sayer(services)
    out = await say("parent-li", "请假 明天 李_华", (9, 0))
    assert out.reply.text == "您的孩子中没有「李_华」,您只能为自己的孩子(李华)操作。"
    out = await say("parent-li", "请假 明天 王小明", (9, 1))
    assert out.reply.text == "您的孩子中没有「王小明」,您只能为自己的孩子(李华)操作。"
