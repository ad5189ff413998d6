"""Duty, patrol and incident rules (bot/domain/duty.py) and how the command table reads their phrasing."""

from __future__ import annotations

from datetime import date, time

import pytest

from bot.domain import duty as rules
from bot.handlers import build_table
from tests.conftest import shanghai

TABLE = build_table()


@pytest.mark.parametrize(
    ("text", "class_word", "ok", "note"),
    [
        ("巡课 三年级2班 正常", "三年级2班", True, ""),
        ("巡课 三年级2班 有问题 两名学生打闹", "三年级2班", False, "两名学生打闹"),
        ("巡课:3年级2班 问题,作业时间吵闹", "3年级2班", False, "作业时间吵闹"),
        ("巡课 三年级(2)班 良好 学生认真写作业", "三年级(2)班", True, "学生认真写作业"),
        ("巡班 五年级1班 异常 教室没有老师", "五年级1班", False, "教室没有老师"),
        ("巡课 三年级2班", "三年级2班", None, ""),
        ("巡课 三年级2班 纪律一般", "三年级2班", None, "纪律一般"),
        ("巡课", "", None, ""),
    ],
)
def test_patrol_phrasing(text: str, class_word: str, ok: bool | None, note: str) -> None:
    assert rules.parse_patrol(text) == rules.PatrolWords(class_word, ok, note)


@pytest.mark.parametrize("text", ["巡课情况怎么样", "今天巡课了吗", "三年级2班 正常", "巡课记录发我"])
def test_not_a_patrol(text: str) -> None:
    parsed = TABLE.parse(text)
    assert getattr(parsed, "spec", None) is None or parsed.spec.name != "巡课"  # type: ignore[union-attr]


def test_class_key_matches_the_ways_a_class_is_written() -> None:
    assert (
        rules.class_key("三年级2班") == rules.class_key("3年级2班") == rules.class_key("三年级(2)班") == "3-2"
    )
    assert rules.class_key("五年级1班") != rules.class_key("五年级11班")
    assert rules.class_key("兴趣班") == "兴趣班"


@pytest.mark.parametrize("text", ["清校完毕", "清校完成", "已清校", "清校检查完毕", "清校完毕!", "已经清校"])
def test_clearance_phrasing(text: str) -> None:
    assert rules.is_clearance(text)
    assert TABLE.parse(text).spec.name == "清校完毕"  # type: ignore[union-attr]


@pytest.mark.parametrize("text", ["清校完毕了吗", "清校完毕没", "今天清校了吗?", "清校", "谁负责清校"])
def test_a_question_about_clearance_is_not_one(text: str) -> None:
    parsed = TABLE.parse(text)
    assert getattr(parsed, "spec", None) is None or parsed.spec.name != "清校完毕"  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("text", "rest"),
    [
        ("事故 王小明 摔倒擦伤 已处理", "王小明 摔倒擦伤 已处理"),
        ("安全事件:李华 被门夹到手指", "李华 被门夹到手指"),
        ("事故上报 王小明 流鼻血", "王小明 流鼻血"),
        ("安全事故 王小明 扭伤", "王小明 扭伤"),
        ("王小明 摔倒了", None),
        ("孩子摔倒了吗?", None),
        ("出事故了", None),
    ],
)
def test_incident_phrasing(text: str, rest: str | None) -> None:
    assert rules.parse_incident(text) == rest


@pytest.mark.parametrize(
    ("words", "what", "actions"),
    [
        ("摔倒擦伤 已处理", "摔倒擦伤", ("已处理",)),
        ("被门夹到手指,已冰敷,已通知家长", "被门夹到手指", ("已通知家长", "已处理")),
        ("流鼻血 已送医院 家长已知晓", "流鼻血", ("已送医", "已通知家长")),
        ("与同学碰撞 额头红肿", "与同学碰撞 额头红肿", ()),
        ("已处理", "", ("已处理",)),
    ],
)
def test_action_words_are_read_and_the_rest_kept(words: str, what: str, actions: tuple[str, ...]) -> None:
    assert rules.split_actions(words) == (what, actions)


@pytest.mark.parametrize(
    "text",
    [
        "孩子摔倒了吗?",
        "王小明摔倒了吗",
        "事故 王小明 摔倒了吗?",
        "听说有安全事件?",
        "孩子今天有没有受伤",
        "事故怎么登记",
    ],
)
def test_questions_never_record_an_incident(text: str) -> None:
    parsed = TABLE.parse(text)
    assert getattr(parsed, "spec", None) is None or not parsed.spec.writes  # type: ignore[union-attr]


def test_incident_is_staff_only() -> None:
    spec = TABLE["事故"]
    assert spec.writes and not spec.free_text
    assert {r.value for r in spec.roles} == {"head_teacher", "care_teacher", "principal", "admin"}


def test_the_dated_slot_wins_over_the_weekday() -> None:
    slots = {"w1": 1, "2026-11-23": 2, "w2": 3}
    assert rules.leader_for(date(2026, 11, 23), slots) == 2  # a Monday with its own row
    assert rules.leader_for(date(2026, 11, 30), slots) == 1  # another Monday
    assert rules.leader_for(date(2026, 11, 24), slots) == 3
    assert rules.leader_for(date(2026, 11, 25), slots) is None


def test_service_end_and_clear_check_times() -> None:
    end = time(17, 30)
    assert not rules.service_ended(end, shanghai(2026, 11, 23, 17, 29))
    assert rules.service_ended(end, shanghai(2026, 11, 23, 17, 30))
    assert not rules.clear_check_due(end, 45, shanghai(2026, 11, 23, 18, 14))
    assert rules.clear_check_due(end, 45, shanghai(2026, 11, 23, 18, 15))


def test_the_patrol_log_lists_problems_and_classes_not_visited() -> None:
    lines = [
        rules.PatrolLine(shanghai(2026, 11, 23, 16, 10), "三年级2班", True, "", "陈刚"),
        rules.PatrolLine(shanghai(2026, 11, 23, 16, 50), "三年级2班", False, "吵闹", "陈刚"),
    ]
    text = rules.patrol_log_text(date(2026, 11, 23), "陈刚", lines, ["五年级1班"])
    assert text.splitlines() == [
        "11月23日(周一) 巡课记录(带班领导: 陈刚),共 2 次:",
        "· 16:10 三年级2班 正常 — 陈刚",
        "· 16:50 三年级2班 有问题: 吵闹 — 陈刚",
        "未巡课的班级: 五年级1班",
        "发现问题 1 次,请跟进。",
    ]
    empty = rules.patrol_log_text(date(2026, 11, 23), "", [], [])
    assert empty == "11月23日(周一) 巡课记录(带班领导: 未排班),共 0 次。"


@pytest.mark.parametrize(
    ("text", "command"),
    [
        ("王小明摔倒擦伤 已处理", "受伤"),
        ("孩子在学校受伤了", "受伤"),
        ("孩子摔倒了吗?", "问答"),
        ("王小明摔伤了,明天请假", "请假"),
        ("事故 王小明 流鼻血 已处理", "事故"),
    ],
)
def test_an_injury_in_plain_words_is_answered_not_recorded(text: str, command: str) -> None:
    parsed = TABLE.parse(text)
    assert parsed.spec.name == command  # type: ignore[union-attr]
    assert not TABLE["受伤"].writes
