"""Handlers: the command table (pure parsing) and one async handler per command."""

from __future__ import annotations

from bot.handlers import (
    agreements,
    archives,
    basic,
    bus,
    care_binding,
    care_leave,
    care_pickup,
    care_rollcall,
    chatter,
    duty,
    enroll,
    family,
    fees,
    incidents,
    notices,
    principal,
    proposals,
    questions,
    staff,
)
from bot.handlers.registry import CommandTable


def build_table() -> CommandTable:
    """The bot's whole command language; help text is generated from it."""
    return CommandTable([*basic.COMMANDS, *care_binding.COMMANDS, *care_leave.COMMANDS, *care_rollcall.COMMANDS, *care_pickup.COMMANDS, *principal.COMMANDS, *enroll.COMMANDS, *fees.COMMANDS, *family.COMMANDS, *notices.COMMANDS,
                         *agreements.COMMANDS, *staff.COMMANDS, *archives.COMMANDS,
                         *bus.COMMANDS,
                         *duty.COMMANDS, *incidents.COMMANDS,
                         *questions.COMMANDS, *proposals.COMMANDS,
                         *chatter.COMMANDS])
