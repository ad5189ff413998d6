"""The simulator speaks as anyone, so only its own page may drive it: same Host and Origin, a per-start token,
loopback clients unless `sim.host` allows others, and bad query values are a 400 (SQLite and PostgreSQL)."""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient
from sqlalchemy import func, select

from bot.app import create_app
from bot.clock import SystemClock
from bot.demo import load_demo
from bot.settings import load_settings
from bot.store.db import Database
from bot.store.inbound_tables import ProcessedMessage

Client = Callable[..., Awaitable[TestClient]]
SAY = {"chat": "demo-3-2", "user": "teacher-li", "text": "@托管助手 点名"}


def remote_as(address: str) -> Any:
    """A middleware standing in for a client on another machine (the test itself stays on loopback)."""

    @web.middleware
    async def pretend(request: web.Request, handler: Any) -> web.StreamResponse:
        return await handler(request.clone(remote=address))

    return pretend


async def sim_client(
    db: Database, aiohttp_client: Client, remote: str | None = None, **sim: str
) -> TestClient:
    settings = load_settings(server={"sim": True}, sim=sim) if sim else load_settings(server={"sim": True})
    await load_demo(db, settings, SystemClock())
    app = create_app(settings, db=db)
    if remote is not None:
        app.middlewares.insert(0, remote_as(remote))
    return await aiohttp_client(app)


async def token_of(client: TestClient) -> str:
    page = await (await client.get("/sim")).text()
    found = re.search(r'<meta name="sim-token" content="([A-Za-z0-9_-]{20,})">', page)
    assert found, "the page carries no token"
    return found.group(1)


async def handled(db: Database) -> int:
    async with db.transaction() as s:
        return int(await s.scalar(select(func.count()).select_from(ProcessedMessage)) or 0)


async def test_the_page_with_its_token_works(db: Database, aiohttp_client: Client) -> None:
    client = await sim_client(db, aiohttp_client)
    token = await token_of(client)
    origin = f"http://{client.server.host}:{client.server.port}"
    resp = await client.post("/sim/api/say", json=SAY, headers={"X-Sim-Token": token, "Origin": origin})
    assert resp.status == 200 and "应到" in (await resp.json())["reply"]
    assert (await client.get("/sim/api/chats", headers={"X-Sim-Token": token})).status == 200


@pytest.mark.parametrize(
    "attack",
    ["no-token", "wrong-token", "text-plain-cross-site", "foreign-origin", "rebound-host", "null-origin"],
)
async def test_cross_site_and_rebinding_posts_are_refused(
    db: Database, aiohttp_client: Client, attack: str
) -> None:
    client = await sim_client(db, aiohttp_client)
    token = await token_of(client)
    here = f"{client.server.host}:{client.server.port}"
    headers = {"Content-Type": "application/json", "X-Sim-Token": token, "Origin": f"http://{here}"}
    if attack == "no-token":
        del headers["X-Sim-Token"]
    elif attack == "wrong-token":
        headers["X-Sim-Token"] = "x" * 32
    elif (
        attack == "text-plain-cross-site"
    ):  # a form on another site: no custom header possible, text/plain body
        headers = {"Content-Type": "text/plain", "Origin": "http://evil.example"}
    elif attack == "foreign-origin":
        headers["Origin"] = "http://evil.example"
    elif attack == "rebound-host":  # evil.example's DNS now answers 127.0.0.1: the page is the attacker's
        headers.update(
            Host=f"evil.example:{client.server.port}", Origin=f"http://evil.example:{client.server.port}"
        )
    elif attack == "null-origin":
        headers["Origin"] = "null"
    resp = await client.post("/sim/api/say", data=json.dumps(SAY), headers=headers)
    assert resp.status == 403
    assert await handled(db) == 0


async def test_a_rebound_host_gets_no_page_and_no_token(db: Database, aiohttp_client: Client) -> None:
    client = await sim_client(db, aiohttp_client)
    resp = await client.get("/sim", headers={"Host": f"evil.example:{client.server.port}"})
    assert resp.status == 403 and "sim-token" not in await resp.text()
    resp = await client.get(
        "/sim/api/people", params={"chat": "demo-3-2"}, headers={"Host": f"evil.example:{client.server.port}"}
    )
    assert resp.status == 403


async def test_a_new_start_has_a_new_token(db: Database, aiohttp_client: Client) -> None:
    first = await sim_client(db, aiohttp_client)
    second = await aiohttp_client(create_app(load_settings(server={"sim": True}), db=db))
    assert await token_of(first) != await token_of(second)


async def test_non_loopback_clients_are_refused_unless_sim_host_allows(
    db: Database, aiohttp_client: Client
) -> None:
    """server.host = 0.0.0.0 puts the callbacks on the network; the simulator stays on loopback by default."""
    client = await sim_client(db, aiohttp_client, remote="192.0.2.7")
    assert (await client.get("/sim")).status == 403
    assert (await client.get("/healthz")).status == 200  # the rest of the server is not affected
    lan = await sim_client(db, aiohttp_client, remote="192.0.2.7", host="0.0.0.0")
    token = await token_of(lan)
    resp = await lan.post("/sim/api/say", json=SAY, headers={"X-Sim-Token": token})
    assert resp.status == 200


async def test_sim_host_names_the_host_header_allowed(db: Database, aiohttp_client: Client) -> None:
    client = await sim_client(db, aiohttp_client, remote="192.0.2.7", host="sim.school.example")
    named = {"Host": f"sim.school.example:{client.server.port}"}
    assert (await client.get("/sim", headers=named)).status == 200
    assert (await client.get("/sim", headers={"Host": f"evil.example:{client.server.port}"})).status == 403


@pytest.mark.parametrize("after", ["abc", "1e3", "-", "99999999999999999999999", " 1"])
async def test_bad_query_values_are_a_400(db: Database, aiohttp_client: Client, after: str) -> None:
    client = await sim_client(db, aiohttp_client)
    token = await token_of(client)
    resp = await client.get(
        "/sim/api/feed", params={"chat": "demo-3-2", "after": after}, headers={"X-Sim-Token": token}
    )
    assert resp.status == 400
    ok = await client.get(
        "/sim/api/feed", params={"chat": "demo-3-2", "after": "0"}, headers={"X-Sim-Token": token}
    )
    assert ok.status == 200
