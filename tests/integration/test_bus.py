"""校车 … 已上车 [缺 …] on the demo school with two lines, on SQLite and PostgreSQL: who boarded (they left care,
like a pickup), guardians told one-to-one, missing riders escalated like a late pickup from the departure, names
refused, a re-sent departure replacing the first, who may send it, and nothing named in a group."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, select

from bot.demo import CHAT_32, CHAT_51
from bot.domain.messages import IncomingMessage, Platform
from bot.jobs.pickup import JOBS
from bot.jobs.runner import run_job
from bot.store.bus_tables import BusBoarding
from bot.store.care_tables import Pickup
from bot.store.db import Database
from bot.store.outbox_tables import OutboxMessage
from bot.store.tables import AuditEntry, Guardian, Staff, Student
from tests.conftest import shanghai
from tests.integration.bus_school import DRIVER_PHONES, add_bus, boardings
from tests.integration.care_day import demo_services, sayer

REMINDER, LATE = JOBS
RIDER_NAMES = ("王小明", "李华", "杨雨涵", "黄欣怡", "郭宇航", "林子豪", "周博文")


async def outbox(db: Database, prefix: str = "") -> list[OutboxMessage]:
    async with db.transaction() as s:
        rows = await s.scalars(
            select(OutboxMessage).where(OutboxMessage.key.startswith(prefix)).order_by(OutboxMessage.id)
        )
        return list(rows.all())


async def ids(db: Database, model: Any) -> dict[str, int]:
    async with db.transaction() as s:
        return dict((await s.execute(select(model.name, model.id))).all())  # type: ignore[arg-type]


async def pickups(db: Database) -> dict[str, tuple[str, str, int]]:
    async with db.transaction() as s:
        rows = await s.execute(
            select(Student.name, Pickup.state, Pickup.picked_up_by, Pickup.minutes_late).join(
                Pickup, Pickup.student_id == Student.id
            )
        )
        return {name: (state, by, late) for name, state, by, late in rows.all()}


async def fire(services: Any, spec: Any, at: datetime) -> Any:
    services.clock.instant = at
    return await run_job(services, spec, at)


def assert_group_safe(messages: list[OutboxMessage]) -> None:
    for m in messages:
        if m.chat_ref is not None:
            assert not any(n in m.text for n in RIDER_NAMES), m.text
            assert not any(p in m.text for p in DRIVER_PHONES), m.text
            assert not any(p in m.mentions.get("phones", []) for p in DRIVER_PHONES)


async def a_day(db: Database) -> Any:
    services = await demo_services(db)
    await add_bus(services)
    say = sayer(services)
    await say("parent-li", "请假 今天 发烧", (9, 0))  # 李华: on leave
    await say("parent-wang", "王小明 今天晚点接 18:10", (12, 0))  # 王小明: his mother comes at 18:10
    await say("teacher-li", "缺席 杨雨涵", (16, 0))  # 杨雨涵: absent
    return services, say


async def test_departure_records_who_boarded_and_tells_guardians_privately(db: Database) -> None:
    _services, say = await a_day(db)
    out = await say("teacher-zhou", "校车 一号线 已上车,缺:郭宇航、王小明 共2人", (17, 0))
    assert out.command == "校车" and out.result == "ok", out.reply.text
    text = out.reply.text
    assert "上车 2 人" in text and "未上车 2 人" in text and "请假 1 人" in text and "名单已私信给您" in text
    assert not any(n in text for n in RIDER_NAMES)
    assert await boardings(db) == {"黄欣怡": True, "林子豪": True, "郭宇航": False, "王小明": False}
    # On the bus = left care: a confirmed pickup by the bus, never late.
    assert {k: v for k, v in (await pickups(db)).items()} == {
        "黄欣怡": ("confirmed", "校车一号线", 0),
        "林子豪": ("confirmed", "校车一号线", 0),
    }
    staff, guardians = await ids(db, Staff), await ids(db, Guardian)
    (listing,) = await outbox(db, "bus-list:")
    assert listing.staff_id == staff["周静"] and listing.chat_ref is None
    assert "上车 2 人: 黄欣怡、林子豪" in listing.text and "未上车 2 人: 王小明、郭宇航" in listing.text
    assert "请假 1 人: 李华" in listing.text and "今天不在托管 1 人: 杨雨涵" in listing.text
    notes = {(m.guardian_id, m.key.split(":")[3]): m.text for m in await outbox(db, "bus:")}
    assert set(notes) == {
        (guardians["黄丽"], "on"),
        (guardians["林娜"], "on"),
        (guardians["郭静"], "off"),
        (guardians["刘芳"], "off"),
        (guardians["王建"], "off"),
    }
    on = notes[(guardians["黄丽"], "on")]
    assert all(p in on for p in ("黄欣怡", "一号线", "17:00", "湘A12345", "王师傅", "13700000001"))
    assert "郭宇航 没有上车" in notes[(guardians["郭静"], "off")]
    assert all(m.chat_ref is None for m in await outbox(db, "bus"))
    assert_group_safe(await outbox(db))
    # The class's list of children still to pick up no longer holds the bus riders.
    out = await say("teacher-li", "未接走", (17, 1))
    assert "黄欣怡" not in out.reply.text and "张一一" in out.reply.text


async def test_a_rider_missing_from_the_bus_is_escalated_like_a_late_pickup(db: Database) -> None:
    services, say = await a_day(db)
    await say("teacher-zhou", "校车 一号线 已上车 缺 郭宇航 王小明", (17, 0))
    staff = await ids(db, Staff)
    await fire(services, LATE, shanghai(2026, 11, 23, 17, 5))
    assert await outbox(db, "late-pickup:") == []  # within the grace minutes
    await fire(services, LATE, shanghai(2026, 11, 23, 17, 10))
    alerts = await outbox(db, "late-pickup:")
    assert {a.staff_id for a in alerts} == {staff["陈刚"], staff["周静"]}  # 五年级1班's teachers, privately
    assert all("郭宇航(未上校车 一号线)" in a.text and "17:00" in a.text for a in alerts)
    assert not any(
        "王小明" in a.text for a in alerts
    )  # his guardian said 18:10: the usual rules hold for him
    await fire(services, REMINDER, shanghai(2026, 11, 23, 17, 15))
    reminder = next(m for m in await outbox(db, "pickup-reminder") if "五年级1班" in m.text)
    assert (
        "13800015151" not in reminder.mentions["phones"]
    )  # 郭静 was told one-to-one, not called in the group
    await fire(services, LATE, shanghai(2026, 11, 23, 17, 30))
    (escalation,) = await outbox(db, "late-escalation")
    assert escalation.staff_id == staff["赵建国"] and escalation.chat_ref is None
    assert escalation.text.startswith("仍未接走 1 人(17:30)")
    assert "五年级1班 郭宇航(未上校车 一号线): 母亲郭静 13800015151" in escalation.text
    await say("teacher-chen", "郭宇航 已接走", (17, 35), chat=CHAT_51)
    assert (await pickups(db))["郭宇航"] == ("confirmed", "", 0)  # before care ended: not a late pickup
    await fire(services, LATE, shanghai(2026, 11, 23, 18, 0))
    assert not any("郭宇航" in e.text for e in (await outbox(db, "late-escalation"))[1:])
    assert_group_safe(await outbox(db))


async def test_names_are_resolved_among_the_lines_riders_and_a_wrong_one_writes_nothing(db: Database) -> None:
    _services, say = await a_day(db)
    before = await outbox(db)
    for text, expected in (
        ("校车 一号线 已上车 缺 张三", "一号线 的乘车学生中没有「张三」"),
        ("校车 一号线 已上车 缺 周博文", "没有「周博文」"),  # a pupil of the school, on 二号线
        ("校车 一号线 已上车 缺 郭宇杭", "是「郭宇航」吗"),
        ("校车 一号线 已上车 缺 郭宇航 张三", "没有「张三」"),  # one wrong name: nothing of it is done
        ("校车 三号线 已上车", "没有找到校车线路「三号线」。本校线路: 一号线、二号线"),
        ("校车 已上车", "请写明线路"),
        ("校车 一号线 已上车 郭宇航没来", "没看懂未上车的名单"),
    ):
        out = await say("teacher-zhou", text, (17, 0))
        assert out.command == "校车" and out.result == "refused", text
        assert expected in out.reply.text, out.reply.text
    assert await boardings(db) == {}
    assert len(await outbox(db)) == len(before)
    out = await say("teacher-zhou", "校车 1号线 已上车", (9, 0), day=28)  # a Saturday
    assert out.result == "refused" and "今天没有托管" in out.reply.text


async def test_guardians_may_not_record_a_departure_and_their_question_writes_nothing(db: Database) -> None:
    _services, say = await a_day(db)
    async with db.transaction() as s:
        audits = await s.scalar(select(func.count()).select_from(AuditEntry))
    out = await say("parent-wang", "校车 一号线 已上车", (17, 0))
    assert out.result == "not_allowed"
    out = await say("parent-wang", "校车几点走?", (16, 0))
    assert out.command != "校车" and out.result != "not_allowed"
    out = await say("parent-chen", "校车几点走", (16, 1))
    assert out.command != "校车"
    assert await boardings(db) == {}
    async with db.transaction() as s:
        assert await s.scalar(select(func.count()).select_from(AuditEntry)) == audits
        assert await s.scalar(select(func.count()).select_from(BusBoarding)) == 0


async def test_a_second_departure_message_replaces_the_first(db: Database) -> None:
    _services, say = await a_day(db)
    await say("teacher-chen", "林子豪 已接走", (16, 50), chat=CHAT_51)  # gone before the bus: not on it
    await say("teacher-zhou", "校车 一号线 已上车 缺 郭宇航", (17, 0))
    assert await boardings(db) == {"黄欣怡": True, "王小明": True, "郭宇航": False}
    await say("teacher-zhou", "校车 一号线 已上车", (17, 2))  # he got on after all
    assert await boardings(db) == {"黄欣怡": True, "王小明": True, "郭宇航": True}
    assert (await pickups(db))["郭宇航"] == ("confirmed", "校车一号线", 0)
    out = await say("teacher-zhou", "校车 一号线 已上车 缺 黄欣怡", (17, 3))  # the teacher corrects the list
    assert out.result == "ok"
    assert (await boardings(db))["黄欣怡"] is False
    found = await pickups(db)
    assert "黄欣怡" not in found and found["林子豪"] == ("confirmed", "", 0)
    guardians = await ids(db, Guardian)
    notes = {m.key for m in await outbox(db, "bus:") if m.guardian_id == guardians["郭静"]}
    assert {k.split(":")[3] for k in notes} == {"off", "on"}
    assert not any(m.guardian_id == guardians["林娜"] for m in await outbox(db, "bus:"))


async def test_in_a_private_chat_the_reply_itself_holds_the_names(db: Database) -> None:
    services, _ = await a_day(db)
    services.clock.instant = shanghai(2026, 11, 23, 17, 0)
    msg = IncomingMessage(
        Platform.WECOM,
        "teacher-zhou",
        "teacher-zhou",
        "校车 二号线 已上车",
        "p-1",
        services.clock.instant,
        is_group=False,
    )
    out = await services.pipeline.handle_message(msg)
    assert out.result == "ok" and "上车 1 人: 周博文" in out.reply.text
    assert await outbox(db, "bus-list:") == []
    assert await boardings(db) == {"周博文": True}


async def test_the_head_teacher_and_the_principal_may_record_too(db: Database) -> None:
    _services, say = await a_day(db)
    assert (await say("teacher-li", "校车 二号线 已上车", (17, 0))).result == "ok"
    assert (await say("principal-zhao", "校车 一号线 已上车", (17, 1), chat=CHAT_32)).result == "ok"
    assert set(await boardings(db)) == {"周博文", "王小明", "黄欣怡", "郭宇航", "林子豪"}
