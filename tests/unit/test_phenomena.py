"""The rules on phenomena: questions, chatter and confirmations, read before any command that writes."""

from __future__ import annotations

import pytest

from bot.domain.text import normalise
from bot.handlers.phenomena import chatter_kind, confirmation, is_question
from bot.handlers.registry import Parsed
from bot.handlers.table import build_table

TABLE = build_table()

QUESTIONS = [
    "李华明天请假吗",
    "李华下周二请假了吗？",
    "请问怎么请假",
    "请假需要提前多久？",
    "明天能请假么",
    "请假了没",
    "今天几点放学",
    "孩子今天去不去托管",
    "有没有请假",
    "是否需要写原因",
    "托管费多少钱",
    "孩子在哪呢",
    "怎么报名",
    "如何销假",
    "我交了多少钱了？",
    "请假是不是要找班主任",
    "明天请假可以吗",
    "下周一到周三请假行不行",
]
STATEMENTS = [
    "请假 明天",
    "王五没来",
    "谁还没接",
    "还有谁没接",
    "孩子今天不去托管了",
    "今天来不了了",
    "销假",
    "已接走",
    "明天请假 发烧",
    "今天外婆接",
    "王小明 周三请假 发烧",
    "孩子去不了",
]


@pytest.mark.parametrize("text", QUESTIONS)
def test_questions_are_questions(text: str) -> None:
    assert is_question(normalise(text))


@pytest.mark.parametrize("text", STATEMENTS)
def test_statements_are_not(text: str) -> None:
    assert not is_question(normalise(text))


@pytest.mark.parametrize("text", QUESTIONS)
def test_a_question_never_parses_as_a_command_that_writes(text: str) -> None:
    parsed = TABLE.parse(normalise(text))
    assert isinstance(parsed, Parsed) and not parsed.spec.writes, (text, parsed)


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("谢谢老师", "thanks"),
        ("老师辛苦了", "thanks"),
        ("好的", "ack"),
        ("收到", "ack"),
        ("👍👍", "ack"),
        ("好的，谢谢老师！", "thanks"),
        ("老师好", "greeting"),
        ("嗯嗯", "ack"),
        ("OK", "ack"),
        ("请假 明天", None),
        ("谢谢老师，明天请假", None),
        ("好的 明天外婆接", None),
    ],
)
def test_chatter(text: str, kind: str | None) -> None:
    assert chatter_kind(normalise(text)) == kind


@pytest.mark.parametrize(
    ("text", "answer"),
    [
        ("是", "yes"),
        ("是的", "yes"),
        ("对", "yes"),
        ("确认", "yes"),
        ("1", 1),
        ("2", 2),
        ("第2个", 2),
        ("不是", "no"),
        ("取消", "no"),
        ("好的", None),
        ("是王小红", None),
    ],
)
def test_confirmation(text: str, answer: str | int | None) -> None:
    assert confirmation(normalise(text)) == answer
