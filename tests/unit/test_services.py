"""The use cases' wiring and the pure pieces moved out of the CLI: fee and priority policies from settings,
month bounds of the workload report, and the roster export's rows from records."""

from __future__ import annotations

from datetime import date, time

import pytest

from bot.bootstrap import bootstrap
from bot.clock import FixedClock
from bot.domain.bus import LineFacts
from bot.domain.enrollment import PriorityPolicy, priority_policy
from bot.domain.fees import FeePolicy, fee_policy
from bot.domain.roster import BusData, ClassRec, CourseRec, GuardianRec, StudentRec, TeacherRec, Validated
from bot.roster.exporter import _collect
from bot.services.workload import month_bounds
from bot.settings import EnrollmentSettings, FeeSettings, load_settings
from tests.conftest import shanghai


def test_fee_policy_follows_the_fees_settings() -> None:
    fees = FeeSettings(
        basic_monthly_fen=4000,
        basic_billing="term",
        basic_daily_fen=300,
        refund_school_cancelled=False,
        refund_personal_leave=True,
    )
    assert fee_policy(fees) == FeePolicy(
        basic_monthly_fen=4000,
        basic_billing="term",
        basic_daily_fen=300,
        refund_school_cancelled=False,
        refund_personal_leave=True,
    )
    assert fee_policy(FeeSettings()) == FeePolicy()


def test_priority_policy_follows_the_enrollment_settings() -> None:
    enrollment = EnrollmentSettings(
        priority_groups=["hardship", "left_behind"], reserved_places=2, priority_early_hours=12
    )
    assert priority_policy(enrollment) == PriorityPolicy(("hardship", "left_behind"), 2, 12)
    assert not priority_policy(EnrollmentSettings()).on


@pytest.mark.parametrize(
    ("month", "first", "last"),
    [
        ("2026-10", date(2026, 10, 1), date(2026, 10, 31)),
        ("2026-12", date(2026, 12, 1), date(2026, 12, 31)),
        ("2028-02", date(2028, 2, 1), date(2028, 2, 29)),
        ("2027-02", date(2027, 2, 1), date(2027, 2, 28)),
    ],
)
def test_month_bounds(month: str, first: date, last: date) -> None:
    assert month_bounds(month) == (first, last)


async def test_bootstrap_builds_the_use_cases_once_from_settings() -> None:
    settings = load_settings(
        database={"url": "sqlite+aiosqlite:///:memory:"},
        fees={"basic_monthly_fen": 4000},
        enrollment={"second_round_days": 5},
    )
    clock = FixedClock(shanghai(2026, 9, 2, 9))
    services = bootstrap(settings, clock=clock)
    try:
        uc = services.use_cases
        assert uc.fees.policy.basic_monthly_fen == 4000 and uc.enrollment.fees is uc.fees.policy
        assert uc.enrollment.second_round_days == 5
        assert uc.fees.db is services.db and uc.roster.db is services.db and uc.reports.clock is clock
        assert uc.fees.today() == date(2026, 9, 2)
    finally:
        await services.close()


def test_export_rows_are_the_import_format() -> None:
    records = Validated(
        classes=[ClassRec("三年级2班", 3, "李梅", "13900000001", "wecom", "c-1", "", "")],
        students=[
            StudentRec(
                "S1",
                "张一一",
                "三年级2班",
                "女",
                date(2017, 1, 9),
                True,
                "both",
                "广东",
                "周静",
                "",
                {
                    "caring_mother": "李梅",
                    "employer": "东莞某厂",
                    "employer_phone": "0769-12345678",
                    "guardian_job": "务农",
                    "guardian_age": 65,
                    "guardian_health": "良好",
                },
            ),
            StudentRec("S2", "李华", "三年级2班", "", None, False, "none", "", "", "备注"),
        ],
        guardians=[GuardianRec("S1", "张奶奶", "奶奶", "13800003333", "gm", False)],
        teachers=[
            TeacherRec("李梅", "13900000001", "head_teacher", "三年级2班", "t-li"),
            TeacherRec("赵建国", "13900000009", "principal", "", ""),
        ],
        courses=[CourseRec("篮球", "X", "3,5", time(16), time(17, 10), 30, 15, 1650, "3,4", "陈刚")],
        bus=BusData(
            [LineFacts(1, "一号线", "城东方向", "王师傅", "13700000001", "湘A12345")], {"S2": "一号线"}
        ),
    )
    rows = _collect(records)
    assert rows["班级"] == [["三年级2班", 3, "李梅", "13900000001", "wecom", "c-1", "", ""]]
    assert rows["学生"] == [
        [
            "S1",
            "张一一",
            "三年级2班",
            "女",
            "2017-01-09",
            "是",
            "双亲外出",
            "广东",
            "周静",
            "李梅",
            "东莞某厂",
            "0769-12345678",
            "务农",
            65,
            "良好",
            "",
            "",
        ],
        ["S2", "李华", "三年级2班", "", "", "否", "无", "", "", "", "", "", "", "", "", "备注", "一号线"],
    ]
    assert rows["家长"] == [["S1", "张奶奶", "奶奶", "13800003333", "gm", "否"]]
    assert rows["教师"] == [
        ["李梅", "13900000001", "班主任", "三年级2班", "t-li"],
        ["赵建国", "13900000009", "校长", "", ""],
    ]
    assert rows["课程"] == [["篮球", "X", "三,五", "16:00", "17:10", 30, 15, "16.50", "3,4", "陈刚"]]
    assert rows["校车"] == [["一号线", "城东方向", "王师傅", "13700000001", "湘A12345"]]
