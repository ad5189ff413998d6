"""One contract, three backends: the in-memory fakes the handler unit tests use, and the real repositories
on SQLite and PostgreSQL, run through the same scenarios (what a handler relies on, nothing more)."""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from bot.store.db import Database
from bot.store.proposals import Who
from bot.store.schema import truncate_all
from bot.store.tables import Guardian, Staff, Student
from tests.fakes.uow import FakeUnitOfWork, tiny_world
from tests.integration.seed import seed_tiny_school

MON, TUE, WED = date(2026, 11, 23), date(2026, 11, 24), date(2026, 11, 25)
NOW = datetime(2026, 11, 23, 8, tzinfo=UTC)


@dataclass
class Backend:
    """Units of work on one backend, and the ids of the tiny school in it."""

    open: Any  # () -> async context manager of a unit of work
    school: int
    ming: int  # 王小明, 三年级2班 (head teacher 李老师)
    hong: int  # 王小红, 五年级1班 (no head teacher)
    class_id: int
    other_class_id: int
    teacher: int
    principal: int
    mother: int


@pytest.fixture(params=["fake", "sqlite", pytest.param("pg", marks=pytest.mark.pg)])
async def backend(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Backend]:
    if request.param == "fake":
        world = tiny_world()

        @asynccontextmanager
        async def fake() -> AsyncIterator[FakeUnitOfWork]:
            yield FakeUnitOfWork(world)

        yield Backend(fake, 1, 1, 2, 1, 2, 1, 2, 1)
        return
    if request.param == "sqlite":
        path = tmp_path / "contract.db"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        db = Database(f"sqlite+aiosqlite:///{path}")
    else:
        db = Database(request.getfixturevalue("pg_database"))
        await truncate_all(db.engine)
    try:
        tiny = await seed_tiny_school(db)
        async with db.transaction() as s:
            ids = {n: i for n, i in (await s.execute(select(Student.name, Student.id))).all()}
            staff = {n: i for n, i in (await s.execute(select(Staff.name, Staff.id))).all()}
            mother = await s.scalar(select(Guardian.id).where(Guardian.name == "刘芳"))
        assert mother is not None
        yield Backend(
            db.unit_of_work,
            tiny.school_id,
            ids["王小明"],
            ids["王小红"],
            tiny.class_id,
            tiny.other_class_id,
            staff["李老师"],
            staff["赵校长"],
            mother,
        )
    finally:
        await db.dispose()


def leave_row(student_id: int, day: date, reason: str = "发烧") -> dict[str, Any]:
    return {
        "student_id": student_id,
        "day": day,
        "reason": reason,
        "late_notice": False,
        "created_by": "guardian:1",
        "created_at": NOW,
        "message_id": "m1",
    }


async def test_leaves_stand_are_cancelled_and_asked_for_again(backend: Backend) -> None:
    async with backend.open() as uow:
        await uow.care.add_leaves([leave_row(backend.ming, TUE), leave_row(backend.ming, WED)])
    async with backend.open() as uow:
        state = await uow.care.leave_state(backend.class_id, backend.ming, [MON, TUE, WED])
        assert state.head_teacher_id == backend.teacher and state.existing == {TUE: None, WED: None}
        assert await uow.care.leaves_of([backend.ming], None, MON) == [
            (backend.ming, TUE),
            (backend.ming, WED),
        ]
        assert await uow.care.leaves_of([backend.ming], [WED], MON) == [(backend.ming, WED)]
        await uow.care.cancel_leaves(backend.ming, [TUE], "guardian:1", NOW)
    async with backend.open() as uow:
        assert await uow.care.leaves_of([backend.ming], None, MON) == [(backend.ming, WED)]
        state = await uow.care.leave_state(backend.class_id, backend.ming, [TUE])
        assert state.existing[TUE] is not None  # cancelled, still there to be asked for again
        await uow.care.renew_leave(backend.ming, TUE, "看牙", False, "m2")
    async with backend.open() as uow:
        assert await uow.care.leaves_of([backend.ming], [TUE], MON) == [(backend.ming, TUE)]
        kids = await uow.care.kids_by_ids([backend.ming])
        day = await uow.care.class_day(kids, TUE)
        assert day.on_leave(kids[0])
        other = await uow.care.leave_state(backend.other_class_id, backend.hong, [TUE])
        assert other.head_teacher_id is None and other.existing == {}


async def test_the_pickup_plan_is_one_per_child_and_day(backend: Backend) -> None:
    async with backend.open() as uow:
        await uow.pickups.plan(backend.ming, MON, "guardian:1", NOW, "m1", expected_time=time(18, 10))
    async with backend.open() as uow:
        await uow.pickups.plan(
            backend.ming, MON, "guardian:1", NOW, "m2", person="外婆", person_authorised=False
        )
    async with backend.open() as uow:
        day = await uow.care.class_day(await uow.care.kids_of_class(backend.class_id), MON)
        plan = day.plans[backend.ming]
        assert (plan.expected_time, plan.person, plan.person_authorised) == (time(18, 10), "外婆", False)
        assert plan.early_time is None and len(day.plans) == 1


async def test_pickups_count_late_ones_within_the_term_and_charge_once(backend: Backend) -> None:
    async with backend.open() as uow:
        for student, day, late in ((backend.ming, MON, 20), (backend.hong, MON, 0), (backend.ming, TUE, 5)):
            pickup = await uow.pickups.add_pickup(
                student_id=student,
                day=day,
                state="confirmed",
                picked_up_at=NOW,
                picked_up_by="",
                minutes_late=late,
                time_known=True,
                message_id=f"m-{student}-{day}",
            )
        assert await uow.pickups.charge_late_fee(pickup, MON, 50, "晚接 5 分钟", NOW)
    async with backend.open() as uow:
        assert await uow.pickups.late_count([backend.ming, backend.hong], MON, WED) == 2
        assert await uow.pickups.late_count([backend.ming], TUE, WED) == 1
        day = await uow.care.class_day(await uow.care.kids_by_ids([backend.ming]), TUE)
        assert day.pickups[backend.ming].minutes_late == 5
        assert not await uow.pickups.charge_late_fee(day.pickups[backend.ming], MON, 50, "晚接 5 分钟", NOW)


async def test_marks_change_and_absences_without_leave_count(backend: Backend) -> None:
    async with backend.open() as uow:
        kids = await uow.care.kids_by_ids([backend.ming])
        for day in (MON, TUE):
            await uow.care.set_mark(
                await uow.care.class_day(kids, day), backend.ming, "absent", "staff:1", NOW, "m"
            )
        await uow.care.add_leaves([leave_row(backend.ming, TUE)])
    async with backend.open() as uow:
        assert await uow.care.unnotified_absences(backend.ming, MON, WED) == 1  # TUE has a leave
        day = await uow.care.class_day(kids, MON)
        await uow.care.set_mark(day, backend.ming, "present", "staff:1", NOW, "m2")
    async with backend.open() as uow:
        day = await uow.care.class_day(kids, MON)
        assert day.marks[backend.ming].status == "present" and day.roll_called
        assert await uow.care.unnotified_absences(backend.ming, MON, WED) == 0


async def test_the_time_question_is_open_until_answered(backend: Backend) -> None:
    async with backend.open() as uow:
        await uow.pickups.ask_time(backend.class_id, MON, "staff:1", [backend.ming, backend.hong], NOW, "m1")
    async with backend.open() as uow:
        assert await uow.pickups.open_question("staff:2", NOW, timedelta(minutes=10)) is None
        assert (
            await uow.pickups.open_question("staff:1", NOW + timedelta(minutes=11), timedelta(minutes=10))
            is None
        )
        question = await uow.pickups.open_question(
            "staff:1", NOW + timedelta(minutes=5), timedelta(minutes=10)
        )
        assert question is not None and question.day == MON
        assert question.student_ids == (backend.ming, backend.hong)
        await uow.pickups.answered(question.id, NOW)
    async with backend.open() as uow:
        assert await uow.pickups.open_question("staff:1", NOW, timedelta(minutes=10)) is None


async def test_a_proposal_is_pending_until_dropped_or_too_old(backend: Backend) -> None:
    who, within = Who("wecom", "chat", "parent-liu"), timedelta(minutes=10)
    async with backend.open() as uow:
        await uow.proposals.remember(who, ["请假 王小明 明天"], "是哪一个?", "m1", NOW)
    async with backend.open() as uow:
        assert await uow.proposals.pending(Who("wecom", "chat", "other"), NOW, within) is None
        assert await uow.proposals.pending(who, NOW + timedelta(minutes=5), within) == ["请假 王小明 明天"]
        await uow.proposals.drop(who)
        assert await uow.proposals.pending(who, NOW, within) is None
        await uow.proposals.remember(who, ["a", "b"], "?", "m2", NOW)
    async with backend.open() as uow:
        assert await uow.proposals.pending(who, NOW + timedelta(minutes=11), within) is None


async def test_a_recorded_message_is_seen(backend: Backend) -> None:
    async with backend.open() as uow:
        assert await uow.messages.seen("wecom", "m1") is None
        await uow.messages.record("wecom", "m1", "请假", "已为王小明请假", True, NOW)
        await uow.messages.audit(
            [
                {
                    "school_id": backend.school,
                    "at": NOW,
                    "actor": "guardian:1",
                    "action": "leave",
                    "subject": "王小明",
                    "detail": {},
                    "message_id": "m1",
                }
            ]
        )
    async with backend.open() as uow:
        assert await uow.messages.seen("wecom", "m1") == ("已为王小明请假", True, "请假")
        assert await uow.messages.seen("dingtalk", "m1") is None


async def test_people_as_the_handlers_ask_for_them(backend: Backend) -> None:
    async with backend.open() as uow:
        people = uow.people
        assert await people.staff_with_role(backend.school, ("principal",)) == [backend.principal]
        assert await people.class_teachers(backend.class_id) == [backend.teacher]
        assert await people.class_teachers(backend.other_class_id) == []
        assert await people.class_name(backend.class_id) == "三年级2班"
        assert await people.class_grade(backend.other_class_id) == 5
        assert sorted(await people.pupil_names(backend.school)) == ["王小明", "王小红"]
        assert await people.pupils_named_in(backend.school, "王小红 请假 明天") == [(backend.hong, "王小红")]
        assert await people.student_numbers([backend.ming]) == {backend.ming: "S001"}
        assert sorted(await people.children_of([backend.mother])) == sorted([backend.ming, backend.hong])
        assert await people.relation(backend.ming, backend.mother) == "母亲"
        assert await people.relation(backend.ming, None) is None
        guardians = await uow.care.guardians_of(backend.ming)
        assert [(g.name, g.relation, g.may_pickup) for g in guardians] == [("刘芳", "母亲", True)]
        assert [k.name for k in await uow.care.kids_of_class(backend.class_id)] == ["王小明"]


async def test_a_pickup_changes_only_when_saved(backend: Backend) -> None:
    async with backend.open() as uow:
        kids = await uow.care.kids_by_ids([backend.ming])
        pickup = await uow.pickups.add_pickup(
            student_id=backend.ming,
            day=MON,
            state="claimed",
            picked_up_at=NOW,
            picked_up_by="刘芳",
            minutes_late=0,
            time_known=True,
            message_id="m1",
        )
        assert pickup.id is not None
        pickup.claimed_by = "guardian:1"
        await uow.pickups.save(pickup)
    async with backend.open() as uow:
        day = await uow.care.class_day(kids, MON)
        seen = day.pickups[backend.ming]
        assert (seen.state, seen.claimed_by, seen.id) == ("claimed", "guardian:1", pickup.id)
        seen.state = "confirmed"  # not saved
    async with backend.open() as uow:
        day = await uow.care.class_day(kids, MON)
        assert day.pickups[backend.ming].state == "claimed"
        assert day.waiting() == kids  # a claim is not a confirmed pickup
