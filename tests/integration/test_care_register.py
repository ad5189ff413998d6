"""The care register as the day really happens (issue 14): pickup times, unconfirmed claims, privacy,
absences, notices for another day; through the pipeline on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import select

from bot.bootstrap import Services
from bot.jobs.pickup import JOBS as PICKUP_JOBS
from bot.jobs.registry import JobSpec
from bot.jobs.runner import run_job
from bot.store.care_tables import Attendance, Pickup, PickupPlan, PickupTimeQuestion
from bot.store.db import Database
from bot.store.outbox_tables import OutboxMessage
from bot.store.tables import Guardian, Guardianship, Identity, Staff, Student
from tests.conftest import shanghai
from tests.integration.care_day import demo_services, sayer

MON = date(2026, 11, 23)
REMINDER, LATE = PICKUP_JOBS


def at(hour: int, minute: int, day: int = 23) -> datetime:
    """A local time (the test clock's zone) as SQLite gives it back: naive."""
    return shanghai(2026, 11, day, hour, minute).replace(tzinfo=None)


def left(pickup: Pickup) -> datetime:
    t = pickup.picked_up_at
    return t.astimezone(shanghai(2026, 11, 23, 0).tzinfo).replace(tzinfo=None) if t.tzinfo else t


async def pickups_by_name(db: Database, day: date = MON) -> dict[str, Pickup]:
    async with db.transaction() as s:
        rows = (
            await s.execute(
                select(Student.name, Pickup)
                .join(Pickup, Pickup.student_id == Student.id)
                .where(Pickup.day == day)
            )
        ).all()
    return {name: pickup for name, pickup in rows}


# --- point 3: pickup time is when the child left -----------------------------------------------------


async def test_a_time_the_teacher_gives_is_the_pickup_time(db: Database) -> None:
    say = sayer(await demo_services(db))
    out = await say("teacher-li", "陈思远 17:45 已接走", (17, 58))
    assert (
        "已确认接走: 陈思远" in out.reply.text and "晚于" not in out.reply.text
    )  # the group hears no lateness
    late = [p for p in out.pushes if p.key.startswith("late-recorded")]
    assert len(late) == 1 and late[0].staff_id is not None and "陈思远" in late[0].text
    out = await say("teacher-li", "17:35 全部已接走", (17, 59))  # 5 minutes past 17:30: within the grace
    assert "已确认接走" in out.reply.text and "晚于" not in out.reply.text and "私信" not in out.reply.text
    pickups = await pickups_by_name(db)
    assert pickups["陈思远"].minutes_late == 15
    assert left(pickups["陈思远"]) == at(17, 45)
    assert left(pickups["李华"]) == at(17, 35)
    assert all(p.time_known for p in pickups.values())
    assert sorted(p.minutes_late for p in pickups.values()) == [0] * (len(pickups) - 1) + [15]
    out = await say("teacher-li", "刘洋 18:30 已接走", (18, 0))  # a time still to come is refused
    assert "还没到" in out.reply.text


async def test_a_late_batch_asks_the_teacher_and_an_unanswered_time_is_unknown(db: Database) -> None:
    services = await demo_services(db)
    say = sayer(services)
    out = await say("teacher-li", "全部已接走", (17, 45))
    assert "已过约定时间" in out.reply.text
    for name in ("李华", "刘洋"):  # the group reply names nobody late
        assert name not in out.reply.text.split("\n", 1)[1]
    asked = [p for p in out.pushes if p.staff_id is not None]
    assert len(asked) == 1 and "李华" in asked[0].text
    async with db.transaction() as s:
        assert len((await s.scalars(select(PickupTimeQuestion))).all()) == 1  # stored, not in memory
    # Another teacher's bare time does not answer it; the same teacher's after 10 minutes does not either.
    out = await say("teacher-zhou", "17:35", (17, 47))
    assert out.reply.refused and "没有等您回复" in out.reply.text
    out = await say("teacher-li", "17:35", (17, 56))
    assert out.reply.refused
    pickups = await pickups_by_name(db)
    assert pickups and all(not p.time_known and p.minutes_late == 0 for p in pickups.values())


async def test_three_late_batches_flag_no_family(db: Database) -> None:
    """The old rule: the teacher's confirmation time was the pickup time, so every family got flagged."""
    say = sayer(await demo_services(db))
    flagged = []
    for day in (23, 24, 25):
        out = await say("teacher-li", "全部已接走", (17, 45), day=day)
        flagged += [p for p in out.pushes if p.key.startswith("late-flag")]
    assert flagged == []


async def test_an_answer_within_ten_minutes_sets_the_time(db: Database) -> None:
    say = sayer(await demo_services(db))
    await say("teacher-li", "全部已接走", (17, 45))
    out = await say("teacher-li", "17：38", (17, 54))
    assert out.reply.private and "于 17:38 接走,均未超过约定时间" in out.reply.text
    pickups = await pickups_by_name(db)
    assert all(p.time_known and p.minutes_late == 0 for p in pickups.values())
    assert {left(p) for p in pickups.values()} == {at(17, 38)}
    out = await say("teacher-li", "17:40", (17, 55))  # answered already
    assert out.reply.refused


async def test_a_claim_time_is_the_pickup_time_and_the_grace_counts_for_records(db: Database) -> None:
    say = sayer(await demo_services(db))
    await say("parent-li", "已接走", (17, 38))  # within 17:30 + 10
    await say("teacher-li", "李华 已接走", (17, 58))  # confirmed later: still the claim's time
    await say("teacher-li", "刘洋 已接走", (17, 39))  # one child named: the confirmation is the moment
    pickups = await pickups_by_name(db)
    assert left(pickups["李华"]) == at(17, 38) and pickups["李华"].minutes_late == 0
    assert pickups["李华"].state == "confirmed"
    assert pickups["刘洋"].minutes_late == 0  # 9 minutes: the one grace, as the alert has it


def test_late_grace_minutes_is_a_deprecated_alias() -> None:
    from bot.settings import CareSettings

    assert CareSettings().pickup_grace_minutes == 10
    assert CareSettings(late_grace_minutes=5).pickup_grace_minutes == 5
    assert CareSettings(late_grace_minutes=5, pickup_grace_minutes=7).pickup_grace_minutes == 7
    assert not hasattr(CareSettings(), "late_grace_minutes")


# --- point 4: an unconfirmed claim keeps the child on the lists ----------------------------------------


async def queued(db: Database, prefix: str) -> list[OutboxMessage]:
    async with db.transaction() as s:
        rows = (
            await s.scalars(
                select(OutboxMessage).where(OutboxMessage.key.startswith(prefix)).order_by(OutboxMessage.id)
            )
        ).all()
    return list(rows)


async def fire(services: Services, spec: JobSpec, hour: int, minute: int, day: int = 23) -> None:
    moment = shanghai(2026, 11, day, hour, minute)
    services.clock.instant = moment  # type: ignore[attr-defined]
    await run_job(services, spec, moment)


async def test_an_unconfirmed_claim_stays_on_the_teachers_and_principals_lists(db: Database) -> None:
    services = await demo_services(db)
    say = sayer(services)
    await say("parent-li", "孩子我接走了", (17, 10))
    await say("teacher-li", "陈思远 杨雨涵 王小明 张一一 刘洋 黄欣怡 周博文 吴佳琪 已接走", (17, 30))
    await fire(services, REMINDER, 17, 15)
    assert all("parent-li" not in r.mentions["user_ids"] for r in await queued(db, "pickup-reminder"))
    out = await say("teacher-li", "未接走", (17, 41))
    assert (
        out.reply.text.startswith("未接走 1 人") and "李华" in out.reply.text and "待确认" in out.reply.text
    )
    await fire(services, LATE, 17, 40)
    alerts = [a for a in await queued(db, "late-pickup") if "三年级2班" in a.text or "李华" in a.text]
    private = [a for a in alerts if a.staff_id is not None]
    assert private and all("李华" in a.text and "待确认" in a.text for a in private), [
        a.text for a in private
    ]
    assert all("parent-li" not in a.mentions.get("user_ids", ()) for a in alerts if a.chat_ref is not None)
    await fire(services, LATE, 18, 0)
    escalation = await queued(db, "late-escalation")
    assert len(escalation) == 1 and "李华(待确认)" in escalation[0].text
    await say("teacher-li", "李华 已接走", (18, 2))
    out = await say("teacher-li", "未接走", (18, 3))
    assert out.reply.text == "全部已接走 ✓"


async def test_a_guardian_not_allowed_to_pick_up_is_never_self_confirmed(db: Database) -> None:
    services = await demo_services(db)
    services.settings.care.guardian_self_confirm = True
    async with db.transaction() as s:
        aunt = await s.scalar(select(Guardian.id).where(Guardian.name == "刘小姨"))
        s.add(
            Identity(
                platform="wecom",
                user_id="aunt-liu",
                guardian_id=aunt,
                source="test",
                bound_at=shanghai(2026, 11, 23, 8),
            )
        )
    say = sayer(services)
    out = await say("aunt-liu", "刘洋 已接走", (17, 20))
    assert "等老师确认" in out.reply.text and "不在可接送名单" in out.reply.text
    warned = [p for p in out.pushes if p.key.startswith("unauthorised-claim")]
    assert warned and all(p.staff_id is not None and p.chat_ref is None for p in warned)
    assert all("刘洋" in p.text for p in warned)
    assert (await pickups_by_name(db))["刘洋"].state == "claimed"
    out = await say("parent-liu", "已接走", (17, 22))  # the father may: self-confirm applies to him
    assert "(已确认)" in out.reply.text and not [p for p in out.pushes if p.key.startswith("unauthorised")]


# --- point 7: group privacy ----------------------------------------------------------------------------


async def test_the_late_pickup_job_sends_one_group_message_per_class_naming_no_child(db: Database) -> None:
    services = await demo_services(db)
    async with db.transaction() as s:
        names = list((await s.scalars(select(Student.name))).all())
    await fire(services, LATE, 17, 40)
    await fire(services, LATE, 17, 45)  # a second fire adds nothing for the same children
    group = [a for a in await queued(db, "late-pickup") if a.chat_ref is not None]
    assert len(group) == 2  # one per class, not one per waiting child
    for message in group:
        assert not any(name in message.text for name in names), message.text
        assert message.mentions["user_ids"]  # the guardians concerned are called on
    class32 = next(a for a in group if "三年级2班" in a.text)
    assert {"parent-li", "parent-liu", "parent-wang"} <= set(class32.mentions["user_ids"])
    private = [a for a in await queued(db, "late-pickup") if a.staff_id is not None]
    assert any("李华" in a.text for a in private)  # the teachers get the names


async def test_an_absence_or_a_late_list_is_never_said_in_the_group(db: Database) -> None:
    say = sayer(await demo_services(db))
    out = await say("teacher-li", "缺席 刘洋", (16, 30))
    assert (
        out.reply.private and "刘洋" in out.reply.text
    )  # to the teacher one-to-one; the group a neutral note
    out = await say("teacher-li", "点名", (16, 31))
    assert out.reply.private
    out = await say("teacher-li", "未接走", (17, 45))
    assert out.reply.private


# --- point 6: repeated unnotified absence ----------------------------------------------------------------


async def test_the_third_unnotified_absence_in_a_term_is_flagged_privately_once(db: Database) -> None:
    services = await demo_services(db)
    say = sayer(services)
    async with db.transaction() as s:
        staff = dict((await s.execute(select(Staff.name, Staff.id))).all())
    flags = []
    await say("parent-liu", "请假 11月24日", (8, 0))  # a notified day does not count
    for day in (23, 24, 25, 26, 27):
        out = await say("teacher-li", "缺席 刘洋", (16, 30), day=day)
        flags += [p for p in out.pushes if p.key.startswith("absence-flag")]
    assert {p.staff_id for p in flags} == {staff["李梅"], staff["赵建国"]} and len(flags) == 2
    assert all(p.chat_ref is None and "第3次" in p.text and "11月26日" in p.text for p in flags)
    assert all("13800004441" in p.text for p in flags)  # phones to staff only


async def test_the_absence_threshold_is_configurable(db: Database) -> None:
    services = await demo_services(db)
    services.settings.care.absence_flag_count = 1
    out = await sayer(services)("teacher-li", "刘洋没来", (16, 30))
    assert [p for p in out.pushes if p.key.startswith("absence-flag")]


# --- point 1: every pickup notice carries its day; early pickup; a bounded late notice ---------------------


async def plans_by_name(db: Database) -> dict[tuple[str, date], PickupPlan]:
    async with db.transaction() as s:
        rows = (
            await s.execute(
                select(Student.name, PickupPlan).join(PickupPlan, PickupPlan.student_id == Student.id)
            )
        ).all()
    return {(name, plan.day): plan for name, plan in rows}


async def test_notices_sent_the_evening_before_are_for_tomorrow(db: Database) -> None:
    services = await demo_services(db)
    say = sayer(services)
    out = await say("parent-wang", "王小明 明天晚点接 18:10", (20, 0))
    assert "11月24日(周二) 约 18:10 接" in out.reply.text
    out = await say("parent-zhang-grandma", "明天奶奶接", (20, 1))
    assert "11月24日(周二)由奶奶张奶奶接" in out.reply.text
    out = await say("parent-li", "晚点接 18:10", (20, 2))  # no day, today's care is over: ask
    assert out.reply.refused and "明天晚点接 18:10" in out.reply.text
    plans = await plans_by_name(db)
    tue = date(2026, 11, 24)
    assert set(plans) == {("王小明", tue), ("张一一", tue)}
    assert str(plans[("王小明", tue)].expected_time) == "18:10:00"
    # Tuesday: 王小明's notice holds (no alert at 17:40), and confirmed at 18:05 he is not late.
    await fire(services, LATE, 17, 40, day=24)
    teachers = [a for a in await queued(db, "late-pickup") if a.staff_id is not None]
    assert teachers and not any("王小明" in a.text for a in teachers)
    await say("teacher-li", "王小明 已接走", (18, 5), day=24)
    assert (await pickups_by_name(db, tue))["王小明"].minutes_late == 0


async def test_early_pickup_is_its_own_command(db: Database) -> None:
    services = await demo_services(db)
    say = sayer(services)
    out = await say("parent-li", "明天早点接 16:00", (20, 0))
    assert "11月24日(周二) 16:00 提前接走" in out.reply.text
    told = [p for p in out.pushes if p.key.startswith("early-pickup")]
    assert told and all(p.staff_id is not None and "李华" in p.text for p in told)
    out = await say("parent-chen", "今天三点半来接", (9, 0))
    assert "15:30 提前接走" in out.reply.text
    out = await say("parent-liu", "提前接 17:50", (9, 1))
    assert out.reply.refused and "晚点接 17:50" in out.reply.text
    plans = await plans_by_name(db)
    assert plans[("李华", date(2026, 11, 24))].early_time is not None
    assert plans[("李华", date(2026, 11, 24))].expected_time is None
    await say("teacher-li", "陈思远 已接走", (15, 31))
    assert (await pickups_by_name(db))["陈思远"].minutes_late == 0


async def test_a_late_notice_is_bounded_by_the_service_end(db: Database) -> None:
    services = await demo_services(db)
    say = sayer(services)
    out = await say("parent-li", "今天晚点接 23:30", (9, 0))
    assert out.reply.refused and "老师" in out.reply.text and "18:30" in out.reply.text
    out = await say("parent-li", "今天晚点接 18:30", (9, 1))  # 17:30 + 60 minutes: accepted
    assert "约 18:30 接" in out.reply.text
    services.settings.care.max_late_minutes = 30
    out = await say("parent-li", "今天晚点接 18:10", (9, 2))
    assert out.reply.refused
    assert str((await plans_by_name(db))[("李华", MON)].expected_time) == "18:30:00"


# --- point 2 (part): drop-ins on the lists, positive roll call, 未点名 ----------------------------------------


async def test_a_drop_in_is_on_every_list_until_picked_up(db: Database) -> None:
    services = await demo_services(db)
    say = sayer(services)
    out = await say("teacher-li", "到了 赵子轩", (16, 0))  # no basic care: a drop-in today
    assert "赵子轩" in out.reply.text
    out = await say("teacher-li", "点名", (16, 1))
    assert out.reply.text.startswith("应到 10 实到 10")
    out = await say("teacher-li", "未接走", (17, 20))
    assert "赵子轩" in out.reply.text
    await fire(services, LATE, 18, 0)
    escalation = await queued(db, "late-escalation")
    assert escalation and "赵子轩" in escalation[0].text
    await say("teacher-li", "赵子轩 已接走", (18, 1))
    out = await say("teacher-li", "未接走", (18, 2))
    assert "赵子轩" not in out.reply.text
    # Another day he is not in care: not expected.
    out = await say("teacher-li", "点名", (16, 1), day=24)
    assert out.reply.text.startswith("应到 9 ")


async def test_a_class_without_a_roll_call_is_marked_in_the_daily_summary(db: Database) -> None:
    say = sayer(await demo_services(db))
    out = await say("principal-zhao", "日报", (18, 31))
    assert "三年级2班 应到 9" in out.reply.text and "未点名" in out.reply.text
    out = await say("teacher-li", "全部到齐", (16, 0))
    assert out.reply.text.startswith("已点名: 应到 9 实到 9")
    out = await say("principal-zhao", "日报", (18, 32))
    line32 = next(line for line in out.reply.text.splitlines() if line.startswith("三年级2班"))
    line51 = next(line for line in out.reply.text.splitlines() if line.startswith("五年级1班"))
    assert "未点名" not in line32 and line51.endswith("未点名")


# --- point 5: same-name pupils in one class: which child? ------------------------------------------------


async def add_second_wang_xiaoming(db: Database) -> int:
    """A second 王小明 in 三年级2班 (学籍号 D3211), his mother 王芳 without an account."""
    async with db.transaction() as s:
        first = await s.scalar(select(Student).where(Student.student_no == "D3201"))
        assert first is not None
        twin = Student(
            school_id=first.school_id, student_no="D3211", name="王小明", class_group_id=first.class_group_id
        )
        mother = Guardian(school_id=first.school_id, name="王芳", phone="13800031111")
        s.add_all([twin, mother])
        await s.flush()
        s.add(Guardianship(student_id=twin.id, guardian_id=mother.id, relation="母亲", may_pickup=True))
        return twin.id


async def test_a_name_two_pupils_share_asks_which_child_and_the_number_carries_it_out(db: Database) -> None:
    services = await demo_services(db)
    twin = await add_second_wang_xiaoming(db)
    say = sayer(services)
    out = await say("teacher-li", "王小明 已接走", (17, 40))
    assert out.reply.refused and "本班有2个王小明" in out.reply.text
    assert "1. 王小明(学号尾号01,母亲刘芳)" in out.reply.text
    assert "2. 王小明(学号尾号11,母亲王芳)" in out.reply.text
    assert "1380003" not in out.reply.text  # no phone in the group
    assert await pickups_by_name(db) == {}  # nothing written while unsure
    out = await say("teacher-li", "2", (17, 41))
    assert "已确认接走: 王小明" in out.reply.text
    async with db.transaction() as s:
        picked = (await s.scalars(select(Pickup.student_id).where(Pickup.day == MON))).all()
    assert picked == [twin]
    # The roll call asks too, and `1` marks the other one.
    out = await say("teacher-li", "缺席 王小明", (16, 30), day=24)
    assert out.reply.refused and "本班有2个王小明" in out.reply.text
    await say("teacher-li", "1", (16, 31), day=24)
    async with db.transaction() as s:
        absent = (
            await s.execute(
                select(Student.student_no)
                .join(Attendance, Attendance.student_id == Student.id)
                .where(Attendance.day == date(2026, 11, 24))
            )
        ).all()
    assert [a for (a,) in absent] == ["D3201"]


async def test_a_guardian_naming_their_own_child_is_not_asked(db: Database) -> None:
    services = await demo_services(db)
    await add_second_wang_xiaoming(db)
    out = await sayer(services)("parent-wang", "王小明 已接走", (17, 40))
    assert "本班有" not in out.reply.text and not out.reply.refused
    assert set(await pickups_by_name(db)) == {"王小明"}


# --- point 2 (X courses): per-session course attendance ---------------------------------------------------


async def enroll(db: Database, course: str, student_nos: list[str]) -> None:
    from bot.store.enroll_tables import Enrollment
    from bot.store.tables import Course

    async with db.transaction() as s:
        course_id = await s.scalar(select(Course.id).where(Course.name == course))
        for no in student_nos:
            sid = await s.scalar(select(Student.id).where(Student.student_no == no))
            s.add(
                Enrollment(
                    course_id=course_id,
                    student_id=sid,
                    state="active",
                    applied_at=shanghai(2026, 11, 1, 8),
                    updated_at=shanghai(2026, 11, 2, 8),
                )
            )


async def test_a_course_roll_call_records_the_session_for_the_courses_children(db: Database) -> None:
    from bot.store.care_tables import CourseAttendance

    services = await demo_services(db)
    await enroll(db, "篮球", ["D3201", "D3204", "D5102"])  # 王小明, 刘洋 (三年级2班), 孙浩然 (五年级1班)
    say = sayer(services)
    out = await say("teacher-chen", "点名 篮球", (16, 5))  # Monday: no basketball
    assert out.reply.refused and "周三、周五上课" in out.reply.text
    out = await say("teacher-chen", "点名 足球", (16, 5), day=25)
    assert out.reply.refused and "没有叫「足球」的兴趣课" in out.reply.text
    await say("parent-liu", "刘洋今天请假", (8, 0), day=25)
    out = await say("teacher-chen", "点名 篮球 缺席 孙浩然", (16, 5), day=25)
    assert out.reply.text.startswith("篮球 11月25日(周三) 点名: 应到 3 实到 1 请假 1 缺席 1"), out.reply.text
    assert out.reply.private  # it names leave and absence
    out = await say(
        "teacher-chen", "点名 篮球 缺席 李华", (16, 6), day=25
    )  # not in the course: nothing written
    assert out.reply.refused and "篮球的孩子中没有" in out.reply.text

    async def session() -> dict[str, str]:
        async with db.transaction() as s:
            rows = (
                await s.execute(
                    select(Student.name, CourseAttendance.status)
                    .join(CourseAttendance, CourseAttendance.student_id == Student.id)
                    .where(CourseAttendance.day == date(2026, 11, 25))
                )
            ).all()
        return dict(rows)

    assert await session() == {"王小明": "present", "刘洋": "leave", "孙浩然": "absent"}
    out = await say("teacher-chen", "点名 篮球", (16, 20), day=25)  # he came late: the session's roll again
    assert "实到 2" in out.reply.text
    assert await session() == {"王小明": "present", "刘洋": "leave", "孙浩然": "present"}
    out = await say("teacher-li", "点名", (16, 21), day=25)  # the class roll call is its own command
    assert out.reply.text.startswith("应到 9 ")


async def test_an_x_course_child_without_basic_care_is_on_every_list_on_course_days(db: Database) -> None:
    services = await demo_services(db)
    await enroll(db, "篮球", ["D3207"])  # 赵子轩: no basic care, basketball on Wednesdays and Fridays
    say = sayer(services)
    out = await say("teacher-li", "点名", (16, 1), day=24)  # Tuesday: not in care
    assert out.reply.text.startswith("应到 9 ")
    out = await say("teacher-li", "点名", (16, 1), day=25)
    assert out.reply.text.startswith("应到 10 实到 10") and "赵子轩" in out.reply.text
    out = await say("teacher-li", "未接走", (17, 20), day=25)
    assert "赵子轩" in out.reply.text
    await fire(services, REMINDER, 17, 15, day=25)
    reminder = next(r for r in await queued(db, "pickup-reminder") if "三年级2班" in r.text)
    assert "13800007771" in reminder.mentions["phones"]  # his father is called on
    await fire(services, LATE, 18, 0, day=25)
    escalation = await queued(db, "late-escalation")
    assert escalation and "赵子轩" in escalation[0].text
    await say("teacher-li", "赵子轩 已接走", (18, 1), day=25)
    out = await say("teacher-li", "未接走", (18, 2), day=25)
    assert "赵子轩" not in out.reply.text
    out = await say("principal-zhao", "日报", (18, 31), day=25)
    assert "三年级2班 应到 10 实到 10" in out.reply.text
