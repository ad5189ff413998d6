"""Hypothesis against the simulator's say endpoint: any JSON gets a 200 with a Chinese reply or a 400."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable

from aiohttp.test_utils import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.app import create_app
from bot.clock import SystemClock
from bot.demo import load_demo
from bot.settings import load_settings
from bot.store.db import Database
from tests.e2e.fuzzing import CHINESE, JSON, in_loop, post, run_hypothesis

Client = Callable[..., Awaitable[TestClient]]
ODD = st.sampled_from(["a\x00b", "\ud800", "x" * 300, "demo-3-2", "parent-wang", "teacher-li", "", "王\x1b"])
BODY = st.one_of(
    st.fixed_dictionaries(
        {"chat": ODD | JSON, "user": ODD | JSON, "text": st.text(max_size=100) | ODD | JSON}
    ),
    JSON,
)


async def test_sim_say_never_fails(db: Database, aiohttp_client: Client) -> None:
    settings_ = load_settings(server={"sim": True})
    await load_demo(db, settings_, SystemClock())
    client = await aiohttp_client(create_app(settings_, db=db))
    page = await (await client.get("/sim")).text()
    token = page.split('name="sim-token" content="', 1)[1].split('"', 1)[0]  # as the page's script sends it
    call = in_loop(asyncio.get_running_loop())

    @settings(max_examples=100, deadline=None, suppress_health_check=list(HealthCheck))
    @given(BODY)
    def run(body: object) -> None:
        answer = call(
            post(
                client,
                "/sim/api/say",
                data=json.dumps(body),
                headers={"Content-Type": "application/json", "X-Sim-Token": token},
            )
        )
        assert answer.status in (200, 400), answer
        if answer.status == 200:
            reply = json.loads(answer.text)
            assert CHINESE.search(reply["reply"]), reply

    await run_hypothesis(run)
    metrics = await (await client.get("/metrics")).text()
    assert 'outcome="error"' not in metrics
