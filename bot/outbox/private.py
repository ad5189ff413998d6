"""Who a one-to-one push goes to: the person's platform account (identities) on a platform whose app is set up
(the messenger registry says which are, in order of preference)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from bot.domain.outbox import ClaimedPush


@dataclass(frozen=True)
class Recipient:
    platform: str
    user_id: str


@dataclass(frozen=True)
class NoChannel:
    reason: str


def person(push: ClaimedPush) -> tuple[str, int]:
    """Whom a one-to-one push is for, as the accounts are keyed: ("staff"|"guardian", id)."""
    return ("staff", push.staff_id) if push.staff_id is not None else ("guardian", push.guardian_id or 0)


def resolve(
    pushes: Sequence[ClaimedPush],
    accounts: Mapping[tuple[str, int], Sequence[tuple[str, str]]],
    usable: Sequence[str],
) -> dict[int, Recipient | NoChannel]:
    """For each one-to-one push, its recipient on the first of the `usable` platforms (configured for one-to-one
    pushes, in order of preference) where the person has an account (`accounts`), or why there is none."""
    out: dict[int, Recipient | NoChannel] = {}
    for push in pushes:
        mine = accounts.get(person(push), [])
        ranked = sorted((a for a in mine if a[0] in usable), key=lambda a: usable.index(a[0]))
        if ranked:
            out[push.id] = Recipient(*ranked[0])
        elif not mine:
            out[push.id] = NoChannel("无平台账号")
        else:
            out[push.id] = NoChannel("应用未配置: " + ",".join(sorted({p for p, _ in mine})))
    return out
