"""Fee rules (pure): charges from enrollments and care days, refunds, end-of-term settlement, in integer fen."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.settings import FeeSettings


@dataclass(frozen=True)
class FeePolicy:
    basic_monthly_fen: int = 0  # 1类 basic care: 0 = free (default), e.g. 4000 = 40 元/月
    basic_billing: str = "month"  # "month" or "term"
    basic_daily_fen: int = 0  # 1类 per actual care day, on top of the monthly fee
    refund_school_cancelled: bool = True
    refund_personal_leave: bool = False


def fee_policy(fees: FeeSettings) -> FeePolicy:
    """The school's fee policy from its `[fees]` settings."""
    return FeePolicy(
        basic_monthly_fen=fees.basic_monthly_fen,
        basic_billing=fees.basic_billing,
        refund_school_cancelled=fees.refund_school_cancelled,
        refund_personal_leave=fees.refund_personal_leave,
        basic_daily_fen=fees.basic_daily_fen,
    )


def yuan(fen: int) -> str:
    """Fen as 元 text without floats: 16000 -> "160", 1650 -> "16.50"."""
    sign = "-" if fen < 0 else ""
    whole, rest = divmod(abs(fen), 100)
    return f"{sign}{whole}" if rest == 0 else f"{sign}{whole}.{rest:02d}"


def parse_yuan(text: str) -> int | None:
    """ "160", "160元", "16.5" -> fen; None if not a positive amount with at most two decimals."""
    t = text.strip().removesuffix("元").strip()
    whole, _, frac = t.partition(".")
    if not whole.isdigit() or (frac and (not frac.isdigit() or len(frac) > 2)):
        return None
    fen = int(whole) * 100 + int((frac + "00")[:2] if frac else 0)
    return fen if fen > 0 else None


def days(start: date, end: date) -> Iterable[date]:
    d = start
    while d <= end:
        yield d
        d += timedelta(days=1)


def month_key(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def care_days_by_month(care_days: Iterable[date]) -> dict[str, list[date]]:
    """The term's actual care days grouped by calendar month ("2026-09"), months in order."""
    out: dict[str, list[date]] = {}
    for d in sorted(care_days):
        out.setdefault(month_key(d), []).append(d)
    return out


def basic_month_fen(policy: FeePolicy, care_days: int, leave_days: int = 0) -> int:
    """Basic care for one month: the flat monthly fee plus the daily fee per care day, nothing for a month
    without care days; days of personal leave come off the daily part only when leave is refunded."""
    if care_days <= 0:
        return 0
    billed_days = care_days - (leave_days if policy.refund_personal_leave else 0)
    return policy.basic_monthly_fen + policy.basic_daily_fen * max(billed_days, 0)


def course_due(
    policy: FeePolicy, price_fen: int, held: Iterable[date], cancelled: set[date], leave: set[date]
) -> int:
    """What one child owes for a course's sessions: each session's price less its refund (school
    cancellation, or personal leave when configured)."""
    due = 0
    for d in held:
        reason = "school" if d in cancelled else "leave" if d in leave else ""
        due += price_fen - (refund_for(policy, price_fen, reason) if reason else 0)
    return due


def refund_for(policy: FeePolicy, price_fen: int, reason: str) -> int:
    """A missed session: school cancellations are refunded, personal leave is not (both configurable)."""
    if reason == "school":
        return price_fen if policy.refund_school_cancelled else 0
    if reason == "leave":
        return price_fen if policy.refund_personal_leave else 0
    raise ValueError(reason)


@dataclass(frozen=True)
class Settlement:
    charged_fen: int
    paid_fen: int  # net of surplus paid back at settlement (多退)
    refunded_fen: int
    balance_fen: int  # > 0 the family owes (少补), < 0 the school refunds (多退)

    @property
    def text(self) -> str:
        if self.balance_fen > 0:
            return f"应补缴 {yuan(self.balance_fen)} 元"
        if self.balance_fen < 0:
            return f"应退还 {yuan(-self.balance_fen)} 元"
        return "已结清"


def settle(entries: Iterable[tuple[str, int]]) -> Settlement:
    """多退少补: entries are (kind, fen), amounts positive: charge and refund (credit) change what is owed,
    payment is money in, settlement is a surplus paid back to the family at the end of term."""
    charged = paid = refunded = 0
    for kind, fen in entries:
        if fen < 0:
            raise ValueError("amounts are positive; the kind gives the direction")
        if kind == "charge":
            charged += fen
        elif kind == "payment":
            paid += fen
        elif kind == "settlement":
            paid -= fen
        elif kind == "refund":
            refunded += fen
        else:
            raise ValueError(kind)
    return Settlement(charged, paid, refunded, charged - refunded - paid)
