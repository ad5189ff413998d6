"""The shared base of the platforms' app messengers (WeCom 应用消息, the DingTalk app robot's 单聊).

Each keeps its access token (cached until shortly before it expires, fetched once under a lock) and,
when the platform says the token expired or is invalid, fetches a new one and retries once.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import aiohttp

from bot.clock import Clock
from bot.platforms.base import Outgoing, SendResult

log = logging.getLogger(__name__)

EARLY = timedelta(minutes=5)  # refresh a token this long before the platform's expiry


class TokenError(Exception):
    """The platform refused the app's credentials (or never answered with a token)."""

    def __init__(self, result: SendResult) -> None:
        super().__init__(result.code)
        self.result = result


@dataclass
class Token:
    value: str = ""
    expires: datetime | None = None

    def fresh(self, now: datetime) -> bool:
        return bool(self.value) and self.expires is not None and now < self.expires - EARLY


class AppMessenger:
    """Shared token handling; subclasses fetch tokens and send one message part to one user."""

    platform = ""
    backoff_seconds = 60  # after the platform's frequency limit
    dedupe = timedelta(0)  # how long the platform drops an identical resend (0: it does not)
    per_hour = 0  # the most parts an hour to one person the platform delivers (0: no such limit)

    def __init__(self, http: aiohttp.ClientSession, clock: Clock, timeout: float = 10.0) -> None:
        self.http, self.clock, self.timeout = http, clock, timeout
        self.token = Token()
        self.token_fetches = 0
        self._lock = asyncio.Lock()

    async def access_token(self, stale: str = "") -> str:
        async with self._lock:
            if self.token.fresh(self.clock.now()) and self.token.value != stale:
                return self.token.value
            self.token_fetches += 1
            self.token = await self._fresh_token(self._fetch_token)
            return self.token.value

    async def _fresh_token(self, fetch: Callable[[], Awaitable[tuple[str, int]]]) -> Token:
        try:
            value, seconds = await fetch()
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise TokenError(SendResult("retry", type(exc).__name__, "token")) from None
        return Token(value, self.clock.now() + timedelta(seconds=seconds))

    async def send(
        self,
        user_id: str,
        msg: Outgoing,
        done: int = 0,
        on_part: Callable[[int], Awaitable[None]] | None = None,
    ) -> SendResult:
        """The parts of the message not yet `done` to one user, in order; the first that fails decides.

        `on_part(n)` is awaited once n parts have gone through, so a retry resumes after them and
        never shows a part twice (a text that went before its image failed, say).
        """
        result = SendResult("ok", "0")
        for index, body in enumerate(self.bodies(user_id, msg)[done:], start=done + 1):
            result = await self._send_refreshing(body)
            if result.outcome != "ok":
                break
            if on_part is not None:
                await on_part(index)
        return result

    async def _send_refreshing(self, body: dict[str, Any]) -> SendResult:
        try:
            token = await self.access_token()
            result = await self._send_guarded(token, body)
            if result.outcome == "token":  # expired or revoked early: a new token, one more try
                log.info("%s app token refused (%s): fetching a new one", self.platform, result.code)
                result = await self._send_guarded(await self.access_token(stale=token), body)
        except TokenError as exc:
            return exc.result
        if result.outcome == "token":
            return SendResult("failed", result.code, "token refused twice")
        return result

    async def _send_guarded(self, token: str, body: dict[str, Any]) -> SendResult:
        try:
            return await self._send_body(token, body)
        except (aiohttp.ClientError, TimeoutError) as exc:
            return SendResult("retry", type(exc).__name__)

    def bodies(self, user_id: str, msg: Outgoing) -> list[dict[str, Any]]:
        raise NotImplementedError

    async def _fetch_token(self) -> tuple[str, int]:
        raise NotImplementedError

    async def _send_body(self, token: str, body: dict[str, Any]) -> SendResult:
        raise NotImplementedError
