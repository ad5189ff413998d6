"""WeCom: HTTP callbacks (`callback`, `crypto`, `replies`), the AI bot long connection (`long_connection`, `link`),
outbound messengers (`robot`, `app`, `messengers`). The HTTP callback's API is also named here, for the web route.
"""

from bot.platforms.wecom.callback import (
    AI_BOT,
    GROUP_ROBOT,
    WecomInbound,
    encrypted_field,
    parse_ai_bot,
    parse_group_robot,
    strip_mention,
)
from bot.platforms.wecom.crypto import WecomCrypto, check_fresh
from bot.platforms.wecom.replies import active_reply, passive_plaintext

__all__ = [
    "AI_BOT",
    "GROUP_ROBOT",
    "WecomCrypto",
    "WecomInbound",
    "active_reply",
    "check_fresh",
    "encrypted_field",
    "parse_ai_bot",
    "parse_group_robot",
    "passive_plaintext",
    "strip_mention",
]
