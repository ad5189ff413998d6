"""Enrollment and fee phrasings parse purely; 同意 never takes 同意绑定's messages."""

import pytest

from bot.handlers.table import build_table


@pytest.mark.parametrize(
    ("text", "command", "args"),
    [
        ("报名 1类", "报名", {"basic": True, "course": None, "child": None}),
        ("报名 基础托管", "报名", {"basic": True, "course": None, "child": None}),
        ("报名 X类 篮球", "报名", {"basic": False, "course": "篮球", "child": None}),
        ("报名 篮球 王小明", "报名", {"basic": False, "course": "篮球", "child": "王小明"}),
        ("报名 1+X 篮球", "报名", {"basic": True, "course": "篮球", "child": None}),
        ("退出 篮球", "退出课程", {"course": "篮球", "child": None}),
        ("我的课程", "我的课程", {}),
        ("同意 王小明 篮球", "同意报名", {"child": "王小明", "course": "篮球"}),
        ("同意退出 王小明 篮球", "同意退出", {"child": "王小明", "course": "篮球"}),
        ("驳回 王小明 篮球", "驳回报名", {"child": "王小明", "course": "篮球"}),
        ("复核 篮球", "复核", {"course": "篮球"}),
        ("撤班 书法", "撤班", {"course": "书法"}),
        ("费用", "费用", {}),
        ("缴费 王小明 160", "缴费", {"child": "王小明", "fen": 16000}),
        ("缴费 王小明 16.5元", "缴费", {"child": "王小明", "fen": 1650}),
    ],
)
def test_phrasings(text: str, command: str, args: dict[str, object]) -> None:
    parsed = build_table().parse(text)
    assert getattr(parsed, "spec", None) is not None, text
    assert parsed.spec.name == command  # type: ignore[union-attr]
    assert dict(parsed.args) == args  # type: ignore[union-attr]


@pytest.mark.parametrize("text", ["同意绑定 王小明", "报名", "报名 a b c", "缴费 王小明 abc", "同意 王小明"])
def test_not_enrollment(text: str) -> None:
    parsed = build_table().parse(text)
    name = getattr(getattr(parsed, "spec", None), "name", None)
    assert name not in {"报名", "同意报名", "缴费", "同意退出"}
