"""Writing pushes into the outbox idempotently (a key already there is left alone) on both engines."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.messages import Push
from bot.store.outbox_lines import OutboxDelivery
from bot.store.outbox_tables import OutboxMessage

OUTBOX = cast(Table, OutboxMessage.__table__)
IMAGE_MAX_BYTES = 2 * 1024 * 1024  # WeCom image messages: at most 2 MB before base64, PNG or JPG


class ImageRejected(ValueError):
    """An image a push cannot carry (too large, not PNG/JPEG): refused before it is stored."""


def check_image(key: str, image: bytes) -> None:
    if len(image) > IMAGE_MAX_BYTES:
        raise ImageRejected(f"push {key}: image is {len(image)} bytes, over the 2 MB (2097152 bytes) limit")
    if not (image.startswith(b"\x89PNG\r\n\x1a\n") or image.startswith(b"\xff\xd8\xff")):
        raise ImageRejected(f"push {key}: image must be PNG or JPEG")


def _row(push: Push, now: datetime) -> dict[str, Any]:
    targets = sum(t is not None for t in (push.chat_ref, push.staff_id, push.guardian_id))
    if targets > 1 or (targets == 0 and not push.reply_url):
        raise ValueError(f"push {push.key} must name exactly one target (or a reply route)")
    if push.image_png is not None:
        check_image(push.key, push.image_png)
    return {
        "key": push.key[:200],
        "chat_ref": push.chat_ref,
        "staff_id": push.staff_id,
        "guardian_id": push.guardian_id,
        "text": push.text,
        "mentions": {"user_ids": list(push.mention_user_ids), "phones": list(push.mention_phones)},
        "markdown": push.markdown,
        "image": push.image_png,
        "state": "queued" if push.chat_ref is not None else "private",
        "reply_url": push.reply_url,
        "reply_kind": push.reply_kind or None,
        "reply_expires_at": push.reply_expires_at,
        "attempts": 0,
        "next_attempt_at": now,
        "created_at": now,
    }


async def enqueue(session: AsyncSession, pushes: Sequence[Push], now: datetime) -> None:
    """Insert pushes in the caller's transaction; a key seen before is skipped, never sent twice."""
    if not pushes:
        return
    rows = list({row["key"]: row for row in (_row(p, now) for p in pushes)}.values())
    # One cached Core statement executed for many rows (the driver's executemany): no per-call compile of
    # a multi-row VALUES clause, no bound-parameter cap to batch around, and (unlike an ORM bulk insert)
    # no split into a statement per run of rows with the same None columns. Built once per dialect.
    await session.execute(_ENQUEUE[session.get_bind().dialect.name == "postgresql"], rows)


class OutboxRepo(OutboxDelivery):
    """The durable push line: writing pushes (the one way for handlers, jobs, CLI and the pipeline), and the
    worker's side of it (`OutboxDelivery`)."""

    async def add(self, pushes: Sequence[Push], now: datetime) -> None:
        """Queue `pushes` in this unit of work; a key seen before is skipped, never sent twice."""
        await enqueue(self.session, pushes, now)


_ENQUEUE = (
    sqlite.insert(OUTBOX).on_conflict_do_nothing(index_elements=["key"]),
    postgresql.insert(OUTBOX).on_conflict_do_nothing(index_elements=["key"]),
)
