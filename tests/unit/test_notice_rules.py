"""Notices (pure): reading 通知 / 通知情况 / 停课 / 收到, how long a notice stays open, the texts and the rate."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from bot.domain import notices as rules
from bot.handlers.registry import Parsed
from bot.handlers.table import build_table

TZ = ZoneInfo("Asia/Shanghai")
TABLE = build_table()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("通知 周五下午开家长会", ("", "周五下午开家长会")),
        ("通知:周五下午开家长会", ("", "周五下午开家长会")),
        ("通知 全校 下周一起托管到17:45", ("全校", "下周一起托管到17:45")),
        ("通知 三年级 周三体检", ("三年级", "周三体检")),
        ("通知 3年级:周三体检", ("3年级", "周三体检")),
        ("发通知 明天春游,需要带什么请看公告", ("", "明天春游,需要带什么请看公告")),
        ("通知 全校明天放假", ("全校", "明天放假")),
        ("通知全校:明天放假", ("全校", "明天放假")),
        ("通知 三年级2班家长明天到校", ("", "三年级2班家长明天到校")),  # a class is not a scope
    ],
)
def test_parse_notice(text: str, expected: tuple[str, str]) -> None:
    assert rules.parse_notice(text) == expected


@pytest.mark.parametrize(
    "text", ["通知情况", "通知一下", "通知", "通知 好", "通知 全校", "收到通知了", "有什么通知"]
)
def test_not_a_notice(text: str) -> None:
    assert rules.parse_notice(text) is None


@pytest.mark.parametrize(
    ("text", "n"),
    [
        ("通知情况", 1),
        ("通知情况 2", 2),
        ("通知确认情况 第3条", 3),
        ("查通知情况", 1),
        ("通知", None),
        ("通知情况 明天", None),
    ],
)
def test_parse_status(text: str, n: int | None) -> None:
    assert rules.parse_status(text) == n


def test_grades() -> None:
    assert [rules.grade_of(w) for w in ("一年级", "三年级", "6年级", "全校", "七年级")] == [
        1,
        3,
        6,
        None,
        None,
    ]


def test_a_notice_stays_open_days_and_a_closure_notice_ends_with_the_closed_day() -> None:
    sent = datetime(2026, 11, 23, 9, tzinfo=TZ)
    assert rules.closes_at(sent, 7) == datetime(2026, 11, 30, 9, tzinfo=TZ)
    assert rules.closes_at(sent, 7, date(2026, 11, 24), TZ) == datetime(2026, 11, 25, tzinfo=TZ)
    assert rules.closes_at(sent, 1, date(2026, 11, 27), TZ) == datetime(2026, 11, 24, 9, tzinfo=TZ)


def test_texts_ask_for_confirmation_and_name_no_one() -> None:
    text = rules.group_text("周五开家长会", "三年级2班 李梅老师")
    assert text.startswith("【通知】周五开家长会") and "@托管助手 收到" in text
    reminder = rules.reminder_text("周五开家长会" * 10, datetime(2026, 11, 23, 9, tzinfo=TZ))
    assert reminder.startswith("【通知提醒】11月23日") and "…" in reminder and "被@的家长" in reminder
    assert rules.days_text([date(2026, 11, 24), date(2026, 11, 25)]) == "11月24日(周二)、11月25日(周三)"
    assert rules.closure_text("11月24日(周二)", "运动会").startswith("11月24日(周二)停课(运动会)")
    assert rules.closure_text("11月24日(周二)", "").startswith("11月24日(周二)停课,")


def test_rate() -> None:
    assert rules.rate(3, 10) == "已确认 3 / 应确认 10(30%)"
    assert rules.rate(0, 0) == "已确认 0 / 应确认 0(100%)"


def parsed(text: str) -> Parsed:
    result = TABLE.parse(text)
    assert isinstance(result, Parsed), text
    return result


@pytest.mark.parametrize(
    ("text", "command"),
    [
        ("通知 明天春游,带什么请看公告?", "通知"),  # a question inside a notice is the notice's
        ("通知情况", "通知情况"),
        ("通知情况 2", "通知情况"),
        ("停课 明天 运动会", "停课"),
        ("收到", "闲聊"),
        ("已收到", "闲聊"),
        ("收到,谢谢老师", "闲聊"),
    ],
)
def test_table_reads(text: str, command: str) -> None:
    assert parsed(text).spec.name == command


def test_received_is_flagged_only_for_a_statement() -> None:
    assert parsed("收到").args == {"kind": "ack", "received": True}
    assert parsed("收到,谢谢老师").args["received"] is True
    assert parsed("好的").args["received"] is False
    received_question = TABLE.parse("收到呢")
    assert not (isinstance(received_question, Parsed) and received_question.args.get("received"))


@pytest.mark.parametrize("text", ["明天停课吗", "明天停课吗?", "收到了吗?", "有通知吗"])
def test_questions_write_nothing(text: str) -> None:
    result = TABLE.parse(text)
    assert not (isinstance(result, Parsed) and (result.spec.writes or result.args.get("received")))


def test_closure_reading_and_runs() -> None:
    from bot.handlers.notices import _runs, parse_closure

    assert parse_closure("停课 明天 运动会") == {"text": "明天 运动会"}
    assert parse_closure("临时停课:周五 停电") == {"text": "周五 停电"}
    assert parse_closure("停课") == {"text": ""}
    assert parse_closure("明天停课") is None  # the command word comes first
    days = [date(2026, 11, 26), date(2026, 11, 27), date(2026, 11, 30)]
    assert _runs(days) == [(date(2026, 11, 26), date(2026, 11, 27)), (date(2026, 11, 30), date(2026, 11, 30))]
