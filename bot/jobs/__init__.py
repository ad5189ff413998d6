"""Scheduled jobs: one module-level async function per job, a table of them, and their runner."""

from __future__ import annotations

from bot.jobs.registry import JobSpec


def build_jobs() -> list[JobSpec]:
    """Every scheduled job the bot runs; `tuoguan jobs list` and the scheduler read this table."""
    from bot.jobs import (
        agreements,
        archives,
        duty,
        enrollment,
        family,
        fees,
        housekeeping,
        notices,
        pickup,
        summary,
    )

    return [
        *pickup.JOBS,
        *summary.JOBS,
        *enrollment.JOBS,
        *family.JOBS,
        *fees.JOBS,
        *housekeeping.JOBS,
        *notices.JOBS,
        *agreements.JOBS,
        *archives.JOBS,
        *duty.JOBS,
    ]
