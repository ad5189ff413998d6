"""The bot's whole command language: every handler module's commands in one table (help text comes from it)."""

from __future__ import annotations

from bot.handlers import (
    agreements,
    archives,
    basic,
    bus,
    care_binding,
    care_leave,
    care_pickup,
    care_plans,
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
    agreements,
    staff,
    archives,
    bus,
    duty,
    incidents,
    questions,
    proposals,
    chatter,
)


def build_table() -> CommandTable:
    """The command table of every handler module."""
    return CommandTable([spec for module in MODULES for spec in module.COMMANDS])
