"""No phone number in the text of any group push, on either platform, from every job that posts to a group.

The demo roster has guardians without a platform account in both classes; the pushes are delivered to
local fake robots and every body a group would show is read back.
"""

from __future__ import annotations

import logging
from typing import Any

import aiohttp
import pytest
from sqlalchemy import delete, select

from bot.clock import FixedClock
from bot.domain.messages import Push
from bot.domain.privacy import MASK, has_phone
from bot.jobs import family, fees, pickup
from bot.jobs.runner import run_job
from bot.metrics import Metrics
from bot.outbox.worker import OutboxWorker
from bot.platforms.dingtalk.robot import UNBOUND_GUARDIANS
from bot.settings import load_settings
from bot.store.db import Database
from bot.store.outbox import enqueue
from bot.store.outbox_tables import OutboxMessage
from bot.store.tables import Chat, Guardian, Identity
from tests.conftest import shanghai
from tests.fakes.platforms import FakePlatforms
from tests.integration.care_day import demo_services
from tests.integration.test_fee_notice import ledger

HOOKS = {"wecom": ("key-32", "key-51"), "dingtalk": ("tok-32", "tok-51")}


@pytest.fixture(params=["wecom", "dingtalk"])
async def school(request: Any, db: Database, aiohttp_server: Any) -> Any:
    platform = request.param
    fake = FakePlatforms(
        FixedClock(shanghai(2026, 11, 23, 8)),  # the school's own clock once it exists
        wecom_keys=set(HOOKS["wecom"]),
        dingtalk_secrets={t: f"SEC-{t}" for t in HOOKS["dingtalk"]},
    )
    server = await aiohttp_server(fake.app())
    base = str(server.make_url("")).rstrip("/")
    services = await demo_services(db, load_settings(wecom={"api_base": base}, dingtalk={"api_base": base}))
    fake.clock = services.clock
    async with db.transaction() as s:
        for chat, hook in zip(
            (await s.scalars(select(Chat).order_by(Chat.id))).all(), HOOKS[platform], strict=True
        ):
            chat.platform, chat.webhook = platform, hook
            chat.webhook_secret = f"SEC-{hook}" if platform == "dingtalk" else ""
        # 张一一's family (双亲外出) has no account either: family-call falls back to a notice in the group.
        away = select(Guardian.id).where(Guardian.name.in_(("张国庆", "张奶奶")))
        await s.execute(delete(Identity).where(Identity.guardian_id.in_(away)))
    http = aiohttp.ClientSession()
    worker = OutboxWorker(db, services.settings, services.clock, http, Metrics(), instance="w1")
    yield {"platform": platform, "services": services, "fake": fake, "worker": worker, "db": db}
    await http.close()


async def fire(services: Any, spec: Any, at: Any) -> None:
    services.clock.instant = at
    results = await run_job(services, spec, at)
    assert all(r.status == "done" for r in results), results


async def deliver(world: Any) -> list[dict[str, Any]]:
    for _ in range(30):
        await world["worker"].run_once()
        world["services"].clock.advance(seconds=10)
    return [body for hook in HOOKS[world["platform"]] for body in world["fake"].received[hook]]


def shown(body: dict[str, Any]) -> str:
    """Everything a group member reads in a robot message."""
    section = body.get("text") or body.get("markdown") or {}
    return "\n".join(str(section.get(k, "")) for k in ("title", "content", "text"))


async def test_every_group_push_of_the_jobs_is_free_of_phone_numbers(school: Any) -> None:
    services, db = school["services"], school["db"]
    reminder, late = pickup.JOBS
    (fee_notice,) = fees.JOBS
    family_call = family.JOBS[0]
    issued = shanghai(2026, 11, 23, 9, 30)
    await ledger(db, "杨雨涵", "charge", 5000, issued, "c1")  # a guardian without an account
    await ledger(db, "王小明", "charge", 18000, issued, "c2")
    await fire(services, fee_notice, shanghai(2026, 11, 23, 10))
    await fire(services, reminder, shanghai(2026, 11, 23, 17, 15))
    await fire(services, late, shanghai(2026, 11, 23, 17, 40))
    await fire(services, late, shanghai(2026, 11, 23, 18, 0))  # escalated to the principal, privately
    await fire(services, family_call, shanghai(2026, 12, 1, 9))
    async with db.transaction() as s:
        rows = (await s.scalars(select(OutboxMessage).order_by(OutboxMessage.id))).all()
    group_keys = {r.key.split(":")[0] for r in rows if r.chat_ref is not None}
    assert group_keys == {"fee-notice", "pickup-reminder", "late-pickup", "family-call"}
    assert any(
        r.mentions["phones"] for r in rows if r.chat_ref
    )  # guardians without an account were due a mention
    escalation = [r for r in rows if r.key.startswith("late-escalation")]
    assert escalation and all(
        r.staff_id and has_phone(r.text) for r in escalation
    )  # staff still get the phones

    bodies = await deliver(school)
    async with db.transaction() as s:
        states = set(
            (await s.scalars(select(OutboxMessage.state).where(OutboxMessage.chat_ref.is_not(None)))).all()
        )
    assert states == {"sent"}
    assert len(bodies) >= sum(1 for r in rows if r.chat_ref)
    leaks = [shown(b) for b in bodies if has_phone(shown(b))]
    assert leaks == []
    assert all(MASK not in shown(b) for b in bodies)  # nothing had to be masked: the jobs write none
    if school["platform"] == "dingtalk":
        mentioned = [b for b in bodies if UNBOUND_GUARDIANS in shown(b)]
        assert mentioned and all("atMobiles" not in b.get("at", {}) for b in bodies)
    else:  # WeCom's mention list is a field, not text: the robot @-mentions them by name
        assert any(b["text"].get("mentioned_mobile_list") for b in bodies if b["msgtype"] == "text")


async def test_a_phone_written_into_a_group_push_is_masked_and_logged(
    school: Any, caplog: pytest.LogCaptureFixture
) -> None:
    db, services = school["db"], school["services"]
    async with db.transaction() as s:
        chat_ref = (await s.scalars(select(Chat.id).order_by(Chat.id))).first()
        await enqueue(
            s,
            [
                Push(key="bug-1", chat_ref=chat_ref, text="王小明的家长请回电 138-0000-1111 或 010-12345678"),
                Push(key="bug-2", chat_ref=chat_ref, text="**值班**\n电话 13900000001", markdown=True),
            ],
            services.clock.now(),
        )
    with caplog.at_level(logging.ERROR, logger="bot.outbox.privacy"):
        bodies = await deliver(school)
    assert [shown(b).strip() for b in bodies][:1] == [f"王小明的家长请回电 {MASK} 或 {MASK}"]
    assert not any(has_phone(shown(b)) for b in bodies) and len(bodies) == 2
    logged = [r.getMessage() for r in caplog.records if "masked" in r.getMessage()]
    assert logged == [
        "push bug-1: 2 phone number(s) in group text masked before sending",
        "push bug-2: 1 phone number(s) in group text masked before sending",
    ]
    assert all("1380000" not in m and "1390000" not in m for m in caplog.messages)
