"""Who a one-to-one push goes to: the person's platform account (identities) on a platform whose app is set up."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.settings import Settings
from bot.store.outbox_tables import OutboxMessage
from bot.store.tables import Identity

PREFERENCE = ("wecom", "dingtalk")  # a person with accounts on both gets it on WeCom


@dataclass(frozen=True)
class Recipient:
    platform: str
    user_id: str


@dataclass(frozen=True)
class NoChannel:
    reason: str


def app_platforms(settings: Settings) -> set[str]:
    """Platforms configured for one-to-one pushes: an app, or (WeCom) the AI bot's long connection."""
    return {p for p, ok in (("wecom", settings.wecom.app_configured or settings.wecom.long_connection),
                            ("dingtalk", settings.dingtalk.app_configured)) if ok}


def _person(row: OutboxMessage) -> tuple[str, int | None]:
    return ("staff", row.staff_id) if row.staff_id is not None else ("guardian", row.guardian_id)


async def resolve(session: AsyncSession, rows: Sequence[OutboxMessage],
                  settings: Settings) -> dict[int, Recipient | NoChannel]:
    """For each private outbox row, its recipient, or why there is none (one query for all rows)."""
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
    usable = app_platforms(settings)
    out: dict[int, Recipient | NoChannel] = {}
    for row in rows:
        mine = accounts.get(_person(row), [])
        ranked = sorted((a for a in mine if a[0] in usable), key=lambda a: PREFERENCE.index(a[0]))
        if ranked:
            out[row.id] = Recipient(*ranked[0])
        elif not mine:
            out[row.id] = NoChannel("无平台账号")
        else:
            out[row.id] = NoChannel("应用未配置: " + ",".join(sorted({p for p, _ in mine})))
    return out
