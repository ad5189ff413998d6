"""Imports every table module so Base.metadata knows the whole schema (migrations, test truncation)."""

from bot.store import calendar_tables, care_tables, inbound_tables, outbox_tables, tables  # noqa: F401
from bot.store.tables import Base

metadata = Base.metadata
