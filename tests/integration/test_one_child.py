"""Every role-specific record of a pupil (a guardian's child, a child waiting, in care, left behind) holds the
roster's own `Child`, grade and basic care included, and answers to the old attribute names."""

from __future__ import annotations

from sqlalchemy import select

from bot.store.agreements import AgreementsRepo
from bot.store.care import kids_by_ids
from bot.store.care_scan import waiting_children
from bot.store.db import Database
from bot.store.family import left_behind_children
from bot.store.people import identify
from bot.store.tables import School
from tests.conftest import shanghai
from tests.integration.care_day import demo_services

DAY = shanghai(2026, 11, 23, 8).date()


async def test_every_child_record_holds_the_roster_child(db: Database) -> None:
    await demo_services(db)
    async with db.transaction() as s:
        school_id = await s.scalar(select(School.id))
        assert school_id is not None
        guardian = await identify(s, "wecom", "parent-li")
        in_care = await AgreementsRepo(s).children_in_care(school_id)
        left = await left_behind_children(s, school_id)
        waiting = await waiting_children(s, school_id, DAY)
        records = [*guardian.children, *in_care, *left, *waiting]
        roster = {k.id: k for k in await kids_by_ids(s, [r.id for r in records])}
    assert guardian.children and in_care and left and waiting
    for record in records:
        assert record.child == roster[record.id]
        assert (record.name, record.class_group_id) == (record.child.name, record.child.class_group_id)
    assert all(c.student_id == c.child.id for c in guardian.children)
    assert len({r.child.grade for r in records}) > 1  # real grades, not a placeholder
    assert any(r.child.basic_care for r in records)
