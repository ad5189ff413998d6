"""Who a one-to-one push goes to: the person's platform account (identities) on a platform whose app is set up
(the messenger registry says which are, in order of preference)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.store.outbox_tables import OutboxMessage
from bot.store.tables import Identity


@dataclass(frozen=True)
class Recipient:
    platform: str
    user_id: str


@dataclass(frozen=True)
class NoChannel:
    reason: str


def _person(row: OutboxMessage) -> tuple[str, int | None]:
    return ("staff", row.staff_id) if row.staff_id is not None else ("guardian", row.guardian_id)


async def resolve(session: AsyncSession, rows: Sequence[OutboxMessage],
                  usable: Sequence[str]) -> dict[int, Recipient | NoChannel]:
    """For each private outbox row, its recipient on the first of the `usable` platforms (configured for
    one-to-one pushes, in order of preference) where the person has an account, or why there is none."""
    staff = {r.staff_id for r in rows if r.staff_id is not None}
    guardians = {r.guardian_id for r in rows if r.guardian_id is not None}
    accounts: dict[tuple[str, int | None], list[tuple[str, str]]] = defaultdict(list)
    if staff or guardians:
        found = await session.execute(
            select(Identity.staff_id, Identity.guardian_id, Identity.platform, Identity.user_id)
            .where(or_(Identity.staff_id.in_(staff), Identity.guardian_id.in_(guardians)))
            .order_by(Identity.id)
        )
        for staff_id, guardian_id, platform, user_id in found:
            who = ("staff", staff_id) if staff_id is not None else ("guardian", guardian_id)
            accounts[who].append((platform, user_id))
    out: dict[int, Recipient | NoChannel] = {}
    for row in rows:
        mine = accounts.get(_person(row), [])
        ranked = sorted((a for a in mine if a[0] in usable), key=lambda a: usable.index(a[0]))
        if ranked:
            out[row.id] = Recipient(*ranked[0])
        elif not mine:
            out[row.id] = NoChannel("无平台账号")
        else:
            out[row.id] = NoChannel("应用未配置: " + ",".join(sorted({p for p, _ in mine})))
    return out
