"""The messenger registry: each platform's outbound side keyed by platform, built once by the outbox's wiring."""

from __future__ import annotations

import aiohttp

from bot.clock import Clock
from bot.platforms.base import PlatformMessengers
from bot.platforms.dingtalk.messengers import dingtalk_messengers
from bot.platforms.wecom.messengers import wecom_messengers
from bot.settings import Settings


def build_messengers(
    http: aiohttp.ClientSession, clock: Clock, settings: Settings
) -> dict[str, PlatformMessengers]:
    # In order of preference: a person with accounts on both gets one-to-one pushes on WeCom.
    entries = (
        wecom_messengers(http, clock, settings.wecom),
        dingtalk_messengers(http, clock, settings.dingtalk),
    )
    return {entry.platform: entry for entry in entries}
