"""Bus rules without I/O: reading the departure message, line names, plates, sorting riders, the texts."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from bot.domain import bus
from bot.domain.privacy import has_phone
from bot.handlers import build_table

LINE = bus.LineFacts(1, "一号线", "城东方向", "王师傅", "13700000001", "湘A12345")
OTHER = bus.LineFacts(2, "城西线", "", "李师傅", "13700000002", "湘A54321")
AT = datetime(2026, 11, 23, 17, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


@pytest.mark.parametrize(
    ("text", "line", "missing"),
    [
        ("校车 一号线 已上车", "一号线", ""),
        ("校车一号线已上车", "一号线", ""),
        ("校车 1号线 上车了", "1号线", ""),
        ("校车 一号线 已上车 全部", "一号线", ""),
        ("校车 一号线 已上车 缺 张三 李四", "一号线", "张三 李四"),
        ("校车 一号线 已上车,缺:张三、李四", "一号线", "张三、李四"),
        ("校车 一号线 已上车 未上车 张三", "一号线", "张三"),
        ("校车：二号线 都上车了 缺张三", "二号线", "张三"),
        ("校车 已上车", "", ""),
        ("校车 城西线 已发车", "城西线", ""),
    ],
)
def test_departure_phrasings(text: str, line: str, missing: str) -> None:
    assert bus.parse_boarding(text) == {"line": line, "missing": missing}


@pytest.mark.parametrize(
    "text",
    [
        "校车几点走?",
        "校车几点走",
        "坐校车",
        "今天不坐校车了",
        "校车发车时间改了",
        "一号线 已上车",
        "已上车",
        "校车 一号线",
        "校车一号线停运",
    ],
)
def test_not_a_departure(text: str) -> None:
    assert bus.parse_boarding(text) is None


def test_a_departure_whose_missing_list_cannot_be_read_is_refused_not_guessed() -> None:
    assert bus.parse_boarding("校车 一号线 已上车 张三没来") == {"line": "一号线", "missing": "", "bad": True}


@pytest.mark.parametrize(
    "text", ["校车几点走?", "校车一号线已上车了吗", "校车 一号线 已上车?", "校车发车了没"]
)
def test_a_question_never_reaches_the_command(text: str) -> None:
    parsed = build_table().parse(text)
    assert getattr(parsed, "spec", None) is None or not parsed.spec.writes  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("name", "key"),
    [
        ("一号线", "1"),
        ("1号线", "1"),
        ("1号", "1"),
        ("1路", "1"),
        ("校车一号线", "1"),
        ("十二号线", "12"),
        ("二十三路", "23"),
        ("城东线", "城东"),
        ("１号线", "1"),
        ("A线", "A"),
    ],
)
def test_line_names_compare_in_any_usual_spelling(name: str, key: str) -> None:
    assert bus.line_key(name) == key


def test_find_line() -> None:
    assert bus.find_line("1号线", [LINE, OTHER]) == LINE
    assert bus.find_line("城西", [LINE, OTHER]) == OTHER
    assert bus.find_line("三号线", [LINE, OTHER]) is None
    assert bus.find_line("", [LINE, OTHER]) is None  # which one? asked
    assert bus.find_line("", [LINE]) == LINE  # the school's only line


@pytest.mark.parametrize(
    ("text", "plate"),
    [
        ("湘A12345", "湘A12345"),
        ("湘a·12345", "湘A12345"),
        ("湘A-D1234X", "湘AD1234X"),
        ("粤B 123456", "粤B123456"),
        ("A12345", None),
        ("湘12345", None),
        ("湘A1234", None),
        ("X A12345", None),
    ],
)
def test_plates(text: str, plate: str | None) -> None:
    assert bus.normal_plate(text) == plate


def rider(
    i: int,
    *,
    care: bool = True,
    leave: bool = False,
    absent: bool = False,
    left: bool = False,
    named: bool = False,
) -> bus.RiderDay:
    return bus.RiderDay(i, care, leave, absent, left, named)


def test_sorting_riders_at_departure() -> None:
    gone = bus.sort_riders(
        [
            rider(1),
            rider(2, named=True),
            rider(3, leave=True, named=True),
            rider(4, care=False),
            rider(5, absent=True),
            rider(6, left=True),
            rider(7, left=True, named=True),
            rider(8),
        ]
    )
    assert gone.boarded == (1, 8)
    assert gone.missing == (2,)  # named, in care, not on leave, absent or gone: unaccounted
    assert gone.on_leave == (3,) and gone.not_in_care == (4, 5) and gone.left == (6, 7)


def test_the_guardian_note_has_plate_driver_and_phone_the_group_reply_no_name_and_no_phone() -> None:
    note = bus.boarded_note("黄欣怡", LINE, AT)
    assert all(
        part in note
        for part in ("黄欣怡", "一号线", "城东方向", "17:00", "湘A12345", "王师傅", "13700000001")
    )
    assert "没有上车" in bus.missing_note("郭宇航", LINE, AT) and "已接走" in bus.missing_note(
        "郭宇航", LINE, AT
    )
    gone = bus.Departure((1, 2), (3,), (4,), (), ())
    reply = bus.teacher_reply(LINE, AT, gone)
    assert "上车 2 人" in reply and "未上车 1 人" in reply and "请假 1 人" in reply
    assert not has_phone(reply) and "王师傅" not in reply
    listing = bus.teacher_list(LINE, AT, {"boarded": ["黄欣怡", "林子豪"], "missing": ["郭宇航"]})
    assert "上车 2 人: 黄欣怡、林子豪" in listing and "未上车 1 人: 郭宇航" in listing


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("张三 李四", ["张三", "李四"]),
        ("张三、李四", ["张三", "李四"]),
        ("张三和李四 共2人", ["张三", "李四"]),
        ("张三同学 等", ["张三"]),
        ("", []),
    ],
)
def test_missing_words(text: str, words: list[str]) -> None:
    assert bus.missing_words(text) == words
