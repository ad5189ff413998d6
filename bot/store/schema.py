"""Imports every table module so Base.metadata knows the whole schema (migrations, test truncation)."""

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.store import (  # noqa: F401
    agreement_tables,
    archive_tables,
    bus_tables,
    calendar_tables,
    care_tables,
    duty_tables,
    enroll_tables,
    family_tables,
    inbound_tables,
    lease_tables,
    notice_tables,
    outbox_tables,
    proposal_tables,
    sign_tables,
    staff_tables,
    tables,
)
from bot.store.tables import Base

metadata = Base.metadata


async def truncate_all(engine: AsyncEngine) -> None:
    """Empty every table of a PostgreSQL database (tests and benchmarks reuse one migrated database)."""
    names = ", ".join(f'"{t.name}"' for t in metadata.sorted_tables)
    async with engine.begin() as conn:
        await conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
