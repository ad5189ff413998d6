"""DingTalk: HTTP callbacks (`callback`, `signing`, `replies`), Stream mode (`stream`), outbound messengers
(`robot`, `app`, `openapi`, `messengers`). The HTTP callback's API is also named here, for the web route.
"""

from bot.platforms.dingtalk.callback import DingtalkInbound, parse
from bot.platforms.dingtalk.replies import reply_body
from bot.platforms.dingtalk.signing import sign, verify

__all__ = ["DingtalkInbound", "parse", "reply_body", "sign", "verify"]
