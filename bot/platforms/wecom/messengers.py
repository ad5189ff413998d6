"""WeCom's entry in the messenger registry: group robot, self-built app, late reply routes, and one-to-one
pushes over the AI bot's long connection when no self-built app is configured."""

from __future__ import annotations

import aiohttp

from bot.clock import Clock
from bot.platforms.base import GroupMessenger, PlatformMessengers, PrivateMessenger
from bot.platforms.wecom.app import WecomApp
from bot.platforms.wecom.link import WecomLinkApp
from bot.platforms.wecom.replies import LATE_ROUTES
from bot.platforms.wecom.robot import WecomRobot
from bot.settings import WecomSettings


def wecom_messengers(
    http: aiohttp.ClientSession, clock: Clock, settings: WecomSettings
) -> PlatformMessengers:
    def over_link(link: GroupMessenger) -> PrivateMessenger:
        return WecomLinkApp(link, clock)

    # The long connection's link (WecomLink) is attached by the serve wiring when the connection runs.
    return PlatformMessengers(
        platform="wecom",
        word="企业微信",
        robot=WecomRobot(http, settings.api_base),
        app=WecomApp(http, clock, settings),
        late_routes=LATE_ROUTES,
        private_ready=settings.app_configured or settings.long_connection,
        private_over_link=None if settings.app_configured else over_link,
    )
