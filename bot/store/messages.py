"""What the pipeline keeps of each message: its dedupe record (the reply given) and the audit trail."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, bindparam, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.store.inbound_tables import ProcessedMessage
from bot.store.tables import AuditEntry

# Another transaction wrote the same row first (a message raced in twice, or two recorded one fact).
WriteConflict = IntegrityError

_PROCESSED = cast(Table, ProcessedMessage.__table__)
# Built once: every message runs these.
_SEEN = select(_PROCESSED.c.reply, _PROCESSED.c.private, _PROCESSED.c.command).where(
    _PROCESSED.c.platform == bindparam("platform"), _PROCESSED.c.message_id == bindparam("message_id")
)
_RECORD = insert(_PROCESSED)
_AUDIT = insert(cast(Table, AuditEntry.__table__))


class MessagesRepo:
    """Dedupe records (one per platform message) and audit entries, in the unit's transaction."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def seen(self, platform: str, message_id: str) -> tuple[str, bool, str] | None:
        """The reply, privacy and command recorded for a message handled before; None if new."""
        row = (
            await self.session.execute(_SEEN, {"platform": platform, "message_id": message_id[:128]})
        ).first()
        return None if row is None else (row[0], bool(row[1]), row[2])

    async def record(
        self, platform: str, message_id: str, command: str, reply: str, private: bool, now: datetime
    ) -> None:
        """The message is handled: a retry finds this (written with the change, or nothing is)."""
        await self.session.execute(
            _RECORD,
            {
                "platform": platform,
                "message_id": message_id[:128],
                "command": command[:30],
                "reply": reply,
                "private": private,
                "handled_at": now,
            },
        )

    async def audit(self, entries: Sequence[dict[str, Any]]) -> None:
        """Audit entries (school_id, at, actor, action, subject, detail, message_id): one Core executemany."""
        if entries:
            await self.session.execute(_AUDIT, list(entries))
