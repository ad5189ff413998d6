"""WeCom app messages refused with 60020 (the sending IP is not a 企业可信IP): the admins are told what to set."""

from __future__ import annotations

from tests.e2e.test_private_delivery import World, world  # noqa: F401  (the shared fixture)


async def test_wecom_60020_alerts_the_admins_with_what_to_set(world: World) -> None:  # noqa: F811
    world.apps.modes["wecom"] = "untrusted-ip"
    await world.queue(world.push("n1", "parent-li", "明天托管照常"))
    await world.worker().run_once()
    rows = await world.rows()
    assert rows[0].state == "failed" and rows[0].last_error.startswith("60020")
    notices = [r for r in rows if r.key.startswith("app-config:wecom:60020")]
    assert notices and all(r.staff_id and "企业可信IP" in r.text and "长连接" in r.text for r in notices)


async def test_wecom_app_stays_under_1000_an_hour_per_member(world: World) -> None:  # noqa: F811
    from datetime import timedelta

    from bot.outbox.worker import hour_bucket
    from bot.platforms.wecom.app import PER_HOUR as WECOM_APP_PER_HOUR
    from bot.store.budgets import reserve

    start = world.clock.now()
    for minute in range(WECOM_APP_PER_HOUR // 18):  # ~55 minutes of 18 a minute, under 30/min, to one parent
        assert (
            await reserve(
                world.db,
                hour_bucket("wecom", "parent-li"),
                18,
                start + timedelta(minutes=minute),
                limit=WECOM_APP_PER_HOUR,
                seconds=3600.0,
            )
            is None
        )
    world.clock.advance(minutes=56)
    await world.queue(world.push("n1", "parent-li", "明天托管照常"), world.push("n2", "teacher-li", "好"))
    await world.worker().run_once()
    assert world.apps.received.get("parent-li", []) == [] and len(world.apps.received["teacher-li"]) == 1
    world.clock.advance(minutes=5)  # the first minute's sends leave the hour
    await world.worker().run_once()
    assert len(world.apps.received["parent-li"]) == 1
