"""Helpers for fuzzing the callback endpoints: a signed client, row counts, hypothesis from a worker thread."""

from __future__ import annotations

import asyncio
import json
import re
import time
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any, TypeVar

from aiohttp.test_utils import TestClient
from hypothesis import strategies as st
from sqlalchemy import func, select

from bot.platforms import dingtalk, wecom
from bot.store.db import Database
from bot.store.schema import metadata

T = TypeVar("T")
TOKEN, AES_KEY = "fuzz-token-7Qx", "kWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2D"
DING_SECRET = "fuzz-ding-secret-9Zp"
MAX_BODY = 16 * 1024
CRYPTO = wecom.WecomCrypto(TOKEN, AES_KEY, "")
CHINESE = re.compile(r"[\u4e00-\u9fff]")

JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=8,
)
DELETE = object()
BILLION_LAUGHS = (
    '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
    '<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">'
    '<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>'
    "<xml><MsgId>&lol3;</MsgId><Encrypt>&lol3;</Encrypt></xml>"
)
EXTERNAL = (
    '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY ext SYSTEM "file:///etc/passwd">]>'
    "<xml><MsgId>&ext;</MsgId><Encrypt>&ext;</Encrypt></xml>"
)
EXTERNAL_DTD = (
    '<?xml version="1.0"?><!DOCTYPE x SYSTEM "http://127.0.0.1:9/evil.dtd"><xml><Encrypt>a</Encrypt></xml>'
)
XML_ATTACKS = [BILLION_LAUGHS, EXTERNAL, EXTERNAL_DTD, "<xml><Encrypt>", "<xml>" * 2000, "<?xml?><xml/>", "<"]


def overrides(base: dict[str, Any], fields: list[str]) -> st.SearchStrategy[dict[str, Any]]:
    """`base` with some fields replaced by arbitrary JSON values or removed."""
    changes = st.dictionaries(st.sampled_from(fields), JSON | st.just(DELETE), max_size=len(fields))

    def apply(change: dict[str, Any]) -> dict[str, Any]:
        out = dict(base)
        for key, value in change.items():
            if value is DELETE:
                out.pop(key, None)
            else:
                out[key] = value
        return out

    return changes.map(apply)


def wecom_seal(plaintext: str, timestamp: int | None = None) -> tuple[dict[str, str], dict[str, str]]:
    sealed = CRYPTO.encrypt(plaintext, str(timestamp if timestamp is not None else int(time.time())))
    query = {
        "msg_signature": sealed["msgsignature"],
        "timestamp": sealed["timestamp"],
        "nonce": sealed["nonce"],
    }
    return query, sealed


def ding_headers(secret: str = DING_SECRET) -> dict[str, str]:
    ts = str(int(time.time() * 1000))
    return {"timestamp": ts, "sign": dingtalk.sign(ts, secret), "Content-Type": "application/json"}


def open_wecom_reply(text: str) -> str:
    """The plaintext of an encrypted passive reply (JSON for the AI bot, XML envelope for the robot)."""
    if text.startswith("{"):
        body = json.loads(text)
        return CRYPTO.decrypt(body["encrypt"], body["msgsignature"], body["timestamp"], body["nonce"])
    from defusedxml import ElementTree

    env = ElementTree.fromstring(text)
    return CRYPTO.decrypt(
        env.findtext("Encrypt") or "",
        env.findtext("MsgSignature") or "",
        env.findtext("TimeStamp") or "",
        env.findtext("Nonce") or "",
    )


@dataclass(frozen=True)
class Answer:
    status: int
    text: str


async def post(client: TestClient, path: str, **kwargs: Any) -> Answer:
    async with client.post(path, **kwargs) as resp:
        return Answer(resp.status, (await resp.read()).decode("utf-8", "replace"))


async def row_counts(db: Database) -> dict[str, int]:
    async with db.transaction() as s:
        return {
            t.name: int(await s.scalar(select(func.count()).select_from(t)) or 0)
            for t in metadata.sorted_tables
        }


def in_loop(loop: asyncio.AbstractEventLoop) -> Callable[[Coroutine[Any, Any, T]], T]:
    """Run a coroutine on the test's loop from hypothesis' worker thread and wait for it."""

    def call(coro: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(coro, loop).result(timeout=60)

    return call


async def run_hypothesis(test: Callable[[], None]) -> None:
    """Hypothesis drives sync code; the app lives on this loop, so run the search in a thread."""
    await asyncio.get_running_loop().run_in_executor(None, test)
