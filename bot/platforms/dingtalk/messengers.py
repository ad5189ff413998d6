"""DingTalk's entry in the messenger registry: custom robot, app robot (one-to-one and, for a class with a 群ID
and no custom robot, group pushes, sharing one token), late reply routes."""

from __future__ import annotations

import aiohttp

from bot.clock import Clock
from bot.platforms.base import PlatformMessengers
from bot.platforms.dingtalk.openapi import DingtalkAppLink, DingtalkAppRobot
from bot.platforms.dingtalk.replies import LATE_ROUTES
from bot.platforms.dingtalk.robot import DingtalkRobot
from bot.settings import DingtalkSettings


def dingtalk_messengers(
    http: aiohttp.ClientSession, clock: Clock, settings: DingtalkSettings
) -> PlatformMessengers:
    app = DingtalkAppRobot(http, clock, settings)  # one token for one-to-one and group pushes
    return PlatformMessengers(
        platform="dingtalk",
        word="钉钉",
        robot=DingtalkRobot(http, settings.api_base),
        app=app,
        link=DingtalkAppLink(app) if settings.app_configured else None,
        late_routes=LATE_ROUTES,
        private_ready=settings.app_configured,
    )
