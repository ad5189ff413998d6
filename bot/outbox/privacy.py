"""Every group push passes here: any phone number in the text a group will read is masked and logged."""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import Any

from bot.domain.privacy import mask_phones
from bot.platforms.base import MakesBodies, Outgoing

log = logging.getLogger(__name__)


def group_safe_bodies(robot: MakesBodies, msg: Outgoing) -> list[dict[str, Any]]:
    """The bodies of a group push, with any phone number in the text the group will read masked and logged.

    Masked before the text is split (a part stays within the byte limit) and again in what the robot
    rendered. Mention fields outside the text (WeCom's mentioned_mobile_list) are not shown and are kept.
    """
    text, masked = mask_phones(msg.text)
    bodies = robot.bodies(replace(msg, text=text))
    for body in bodies:
        for field in ("text", "markdown"):
            section = body.get(field)
            if not isinstance(section, dict):
                continue
            for name in ("content", "text", "title"):
                if isinstance(section.get(name), str):
                    section[name], found = mask_phones(section[name])
                    masked += found
    if masked:
        log.error("push %s: %s phone number(s) in group text masked before sending", msg.key, masked)
    return bodies
