"""The outbox as its worker sees it: a claimed push, the chat a group push goes to, and which pushes of each
line (one chat, one person) may be claimed now. No I/O."""

from __future__ import annotations

import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

UNFINISHED = ("queued", "private", "sending")
# 5xx/busy/timeouts back off 5 s, 10 s, ... up to 10 min; 20 tries ride out a ~2.5 h outage (8 gave up at ~10 min).
MAX_ATTEMPTS = 20


def retry_delay(attempts: int) -> timedelta:
    """How long a push waits after its `attempts`-th failed try (jittered, so retries do not move in step)."""
    return timedelta(seconds=min(600.0, 5 * 2**attempts) * random.uniform(0.8, 1.2))


@dataclass
class ClaimedPush:
    """A push this worker holds a claim on (`parts_sent` and `reply_url` move as it is delivered)."""

    id: int
    key: str
    text: str
    chat_ref: int | None
    staff_id: int | None
    guardian_id: int | None
    mention_user_ids: tuple[str, ...]
    mention_phones: tuple[str, ...]
    markdown: bool
    image: bytes | None
    attempts: int
    parts_sent: int
    send_started_at: datetime | None  # aware (UTC)
    reply_url: str | None
    reply_kind: str | None
    reply_expires_at: datetime | None

    @property
    def waiting_state(self) -> str:
        """The state it waits in: group pushes 'queued', one-to-one pushes 'private'."""
        return "queued" if self.chat_ref is not None else "private"

    @property
    def has_target(self) -> bool:
        """A chat or a person to fall back to (a late reply may have none)."""
        return self.chat_ref is not None or self.staff_id is not None or self.guardian_id is not None


@dataclass(frozen=True)
class PushChat:
    """A class group a push goes to: its robot (推送地址 and 加签密钥), or its 群ID for a long connection."""

    id: int
    chat_id: str
    platform: str
    webhook: str
    webhook_secret: str
    class_group_id: int
    broken_reason: str | None


def heads_of_lines(rows: Iterable[Sequence[Any]], limit: int) -> list[int]:
    """From unfinished (id, chat_ref, staff_id, guardian_id, due) in id order: the ids claimable now.

    A line (one chat, one person) stops at its first push that is not due (waiting for a retry or held
    by a live claim): nothing behind it is claimed, so the line never overtakes itself.
    """
    blocked: set[tuple[str, int]] = set()
    ids: list[int] = []
    for row_id, chat_ref, staff_id, guardian_id, due in rows:
        line = (
            ("c", chat_ref)
            if chat_ref is not None
            else ("s", staff_id)
            if staff_id is not None
            else ("g", guardian_id)
            if guardian_id is not None
            else ("r", row_id)
        )  # a late reply only
        if line in blocked:
            continue
        if not due:
            blocked.add(line)
            continue
        ids.append(row_id)
        if len(ids) >= limit:
            break
    return ids
