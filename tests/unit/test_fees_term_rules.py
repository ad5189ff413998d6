"""Fee rules (pure): basic care per month from care days, a course's due with refunds, settlement payouts."""

from datetime import date

from bot.domain.fees import FeePolicy, basic_month_fen, care_days_by_month, course_due, settle

SESSIONS = [date(2026, 9, 2), date(2026, 9, 4), date(2026, 9, 9)]


def test_care_days_grouped_by_month_in_order() -> None:
    got = care_days_by_month([date(2026, 10, 9), date(2026, 9, 30), date(2026, 9, 1)])
    assert list(got) == ["2026-09", "2026-10"] and got["2026-09"] == [date(2026, 9, 1), date(2026, 9, 30)]


def test_basic_month_flat_daily_and_leave() -> None:
    assert basic_month_fen(FeePolicy(basic_monthly_fen=4000), 0) == 0  # no care days: nothing
    assert basic_month_fen(FeePolicy(basic_monthly_fen=4000), 3) == 4000
    daily = FeePolicy(basic_monthly_fen=1000, basic_daily_fen=300)
    assert basic_month_fen(daily, 20, leave_days=2) == 1000 + 20 * 300  # leave not refunded by default
    refunding = FeePolicy(basic_daily_fen=300, refund_personal_leave=True)
    assert basic_month_fen(refunding, 20, leave_days=2) == 18 * 300


def test_course_due_per_refund_case() -> None:
    cancelled, leave = {date(2026, 9, 2)}, {date(2026, 9, 4)}
    assert course_due(FeePolicy(), 2000, SESSIONS, set(), set()) == 6000
    assert course_due(FeePolicy(), 2000, SESSIONS, cancelled, leave) == 4000  # school refunded, leave not
    assert course_due(FeePolicy(refund_personal_leave=True), 2000, SESSIONS, cancelled, leave) == 2000
    assert course_due(FeePolicy(refund_school_cancelled=False), 2000, SESSIONS, cancelled, leave) == 6000


def test_settlement_line_pays_back_the_surplus() -> None:
    before = settle([("charge", 6000), ("payment", 8000), ("refund", 2000)])
    assert before.balance_fen == -4000 and before.text == "应退还 40 元"
    after = settle([("charge", 6000), ("payment", 8000), ("refund", 2000), ("settlement", 4000)])
    assert after.balance_fen == 0 and after.paid_fen == 4000 and after.text == "已结清"
