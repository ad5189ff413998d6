"""The simulator's API on both engines: the class groups, who may speak in one, a private answer shown as the
group would see it (the one wording of texts.PRIVATE_IN_GROUP), and the pushes queued for the group."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from aiohttp.test_utils import TestClient

from bot.handlers import texts
from bot.store.db import Database
from tests.e2e.test_sim_guard import sim_client, token_of

Client = Callable[..., Awaitable[TestClient]]


async def test_chats_people_private_answer_and_feed(db: Database, aiohttp_client: Client) -> None:
    client = await sim_client(db, aiohttp_client)
    headers = {"X-Sim-Token": await token_of(client)}
    chats = await (await client.get("/sim/api/chats", headers=headers)).json()
    assert any(c["chat"] == "demo-3-2" and c["name"] == "三年级2班" for c in chats)
    people = await (await client.get("/sim/api/people", params={"chat": "demo-3-2"}, headers=headers)).json()
    by_user = {p["user"]: p for p in people}
    assert by_user["teacher-li"]["kind"] == "教师" and by_user["teacher-li"]["label"].startswith("班主任")
    assert by_user["parent-wang"]["kind"] == "家长" and "刘芳" in by_user["parent-wang"]["label"]
    assert people[-1]["user"] == "sim-stranger"
    assert (await client.get("/sim/api/people", params={"chat": "no-such"}, headers=headers)).status == 404

    said = await (
        await client.post(
            "/sim/api/say",
            headers=headers,
            json={"chat": "demo-3-2", "user": "parent-li", "text": "@托管助手 费用"},
        )
    ).json()
    assert said["reply"] == texts.PRIVATE_IN_GROUP  # what the group sees: one wording everywhere
    assert said["private"] and said["private"] != said["reply"]

    await client.post(
        "/sim/api/say",
        headers=headers,
        json={"chat": "demo-3-2", "user": "teacher-li", "text": "@托管助手 通知 明天下午开家长会"},
    )
    feed = await (
        await client.get("/sim/api/feed", params={"chat": "demo-3-2", "after": "0"}, headers=headers)
    ).json()
    assert feed and all(set(item) == {"id", "text", "at"} for item in feed)
    later = await (
        await client.get(
            "/sim/api/feed", params={"chat": "demo-3-2", "after": str(feed[-1]["id"])}, headers=headers
        )
    ).json()
    assert later == []
