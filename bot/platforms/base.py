"""The outbound contracts every platform package speaks: SendResult, Outgoing, the Messenger protocols, the
registry entry the outbox picks a platform's messengers from, and the shared HTTP helpers of the senders.

The outbox and the web routes see only these; nothing above this layer branches on a platform's name.
"""

from __future__ import annotations

import io
import json
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol

import aiohttp


@dataclass(frozen=True)
class SendResult:
    # ok | retry | throttled | broken (robot gone) | config (a setting to fix, told to the admins) |
    # quota (the organisation's API quota: sending pauses) | unsure (cut off mid-send) |
    # away (a long connection down or held by another instance: nothing sent) | failed
    outcome: str
    code: str
    detail: str = ""


@dataclass(frozen=True)
class Outgoing:
    key: str
    text: str
    mention_user_ids: tuple[str, ...] = ()
    mention_phones: tuple[str, ...] = ()
    markdown: bool = False
    image: bytes | None = None


class MakesBodies(Protocol):
    """A group sender (custom robot, long connection, app robot): the bodies one push becomes."""

    def bodies(self, msg: Outgoing) -> list[dict[str, Any]]: ...


class GroupMessenger(MakesBodies, Protocol):
    """Pushes into a group: `address` is the custom robot's 推送地址, or the chat's 群ID for a link."""

    backoff_seconds: int

    async def send_body(
        self, address: str, secret: str, body: dict[str, Any], key: str, now: datetime
    ) -> SendResult: ...


class RobotMessenger(GroupMessenger, Protocol):
    """A custom group robot, addressed by its 推送地址 (a URL or its bare key / access_token)."""

    def identity(self, webhook: str) -> str: ...


class PrivateMessenger(Protocol):
    """One-to-one pushes to a person's platform account, part by part (`on_part(n)` after n parts went)."""

    backoff_seconds: int
    dedupe: timedelta  # how long the platform drops an identical resend (0: it does not)
    per_hour: int  # the most parts an hour to one person the platform delivers (0: no such limit)

    def bodies(self, user_id: str, msg: Outgoing) -> list[dict[str, Any]]: ...

    async def send(
        self,
        user_id: str,
        msg: Outgoing,
        done: int = 0,
        on_part: Callable[[int], Awaitable[None]] | None = None,
    ) -> SendResult: ...


@dataclass(frozen=True)
class LateRoute:
    """A reply route a message names (IncomingMessage.reply_kind): the body it takes and the refusals that say
    it is gone (used, expired, robot removed: the reply falls back to its target) or throttled."""

    body: Callable[[str, tuple[str, ...]], dict[str, Any]]
    gone: frozenset[int]
    throttled: frozenset[int]


@dataclass
class PlatformMessengers:
    """One platform's outbound side, as the outbox sees it: the registry (keyed by platform) holds these."""

    platform: str
    word: str  # the platform's name in admin notices
    robot: RobotMessenger  # custom group robots
    app: PrivateMessenger  # one-to-one pushes
    link: GroupMessenger | None = None  # group pushes by 群ID for chats without a custom robot
    private_ready: bool = False  # configured for one-to-one pushes (an app, or a long connection standing in)
    late_routes: Mapping[str, LateRoute] = field(default_factory=dict)
    # One-to-one pushes over a long connection's link, when the platform has no app configured for them.
    private_over_link: Callable[[GroupMessenger], PrivateMessenger] | None = None

    def attach(self, link: GroupMessenger) -> None:
        """A long connection came up: its link carries the group pushes (and one-to-one ones, where set)."""
        self.link = link
        if self.private_over_link is not None:
            self.app = self.private_over_link(link)


async def post_json(
    http: aiohttp.ClientSession, url: str, body: dict[str, Any], limit: float
) -> tuple[int, Any]:
    """POST a JSON body; (status, parsed answer or None)."""
    # A BytesIO body: an image message runs to ~2.7 MB, which aiohttp would not stream from raw bytes.
    async with http.post(
        url,
        data=io.BytesIO(json.dumps(body, ensure_ascii=False).encode()),
        headers={"Content-Type": "application/json"},
        timeout=aiohttp.ClientTimeout(total=limit),
    ) as resp:
        if resp.status != 200:
            return resp.status, None
        try:
            return 200, await resp.json(content_type=None)
        except (ValueError, aiohttp.ContentTypeError):
            return 200, None


def image_form(image: bytes, **fields: str) -> aiohttp.FormData:
    """The multipart body of an image upload (`media`, PNG or JPEG by its magic bytes) after any `fields`."""
    form = aiohttp.FormData()
    for name, value in fields.items():
        form.add_field(name, value)
    filename, kind = (
        ("chart.png", "image/png") if image.startswith(b"\x89PNG") else ("chart.jpg", "image/jpeg")
    )
    form.add_field("media", io.BytesIO(image), filename=filename, content_type=kind)
    return form


async def call_json(
    http: aiohttp.ClientSession, method: str, url: str, limit: float, **kwargs: Any
) -> tuple[int, Any]:
    """Any request; (status, parsed answer or None), whatever the status."""
    async with http.request(method, url, timeout=aiohttp.ClientTimeout(total=limit), **kwargs) as resp:
        try:
            return resp.status, await resp.json(content_type=None)
        except (ValueError, aiohttp.ContentTypeError):
            return resp.status, None


def classify_errcode(
    status: int,
    data: Any,
    throttled: frozenset[int],
    broken: frozenset[int],
    config: frozenset[int] = frozenset(),
    quota: frozenset[int] = frozenset(),
) -> SendResult:
    """An `{"errcode": ...}` answer (robots, reply routes) as a SendResult, by the platform's code sets."""
    if status != 200:
        return SendResult("retry", f"http {status}")
    if not isinstance(data, dict) or "errcode" not in data:
        return SendResult("retry", "bad answer")
    code = data.get("errcode")
    if code == 0:
        return SendResult("ok", "0")
    if code in throttled:
        return SendResult("throttled", str(code), str(data.get("errmsg", ""))[:100])
    if code in broken:
        return SendResult("broken", str(code), str(data.get("errmsg", ""))[:100])
    if code in config:
        return SendResult("config", str(code), str(data.get("errmsg", ""))[:100])
    if code in quota:
        return SendResult("quota", str(code), str(data.get("errmsg", ""))[:100])
    if code == -1:
        return SendResult("retry", "-1", "busy")
    return SendResult("failed", str(code), str(data.get("errmsg", ""))[:100])
