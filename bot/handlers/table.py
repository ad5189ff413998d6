"""The bot's whole command language: every handler module's commands in one table (help text comes from it)."""

from __future__ import annotations

from bot.handlers import (
    basic,
    care_binding,
    care_leave,
    care_pickup,
    care_plans,
    care_rollcall,
    chatter,
    enroll,
    family,
    fees,
    notices,
    principal,
    proposals,
    questions,
)
from bot.handlers.registry import CommandTable

MODULES = (
    basic,
    care_binding,
    care_leave,
    care_rollcall,
    care_pickup,
    care_plans,
    principal,
    enroll,
    fees,
    family,
    notices,
    questions,
    proposals,
    chatter,
)


def build_table() -> CommandTable:
    """The command table of every handler module."""
    return CommandTable([spec for module in MODULES for spec in module.COMMANDS])
