"""Service evaluation rules: reading 评价, which month it counts for, the days, the averages."""

from __future__ import annotations

from datetime import date

import pytest

from bot.domain import survey


def school_day(d: date) -> bool:
    return d.weekday() < 5 and d != date(2026, 12, 1)  # a closure on Tuesday 1 December


@pytest.mark.parametrize(
    ("text", "score", "comment"),
    [
        ("评价 5 老师很负责", 5, "老师很负责"),
        ("评价5分", 5, ""),
        ("评价 五星 很好", 5, "很好"),
        ("服务评价: 4,作业辅导可以再多一些", 4, "作业辅导可以再多一些"),
        ("评价 1", 1, ""),
        ("评价 ⭐⭐⭐⭐ 不错", 4, "不错"),
        ("评价：5分，老师很负责", 5, "老师很负责"),
    ],
)
def test_a_rating_and_its_comment(text: str, score: int, comment: str) -> None:
    assert survey.parse_rating(text) == survey.Rating(score, comment)


@pytest.mark.parametrize(
    "text", ["评价 8", "评价 ★★★★★★", "评价 0", "评价 -1", "评价 4.5", "评价 很好", "评价", "评价 六"]
)
def test_outside_one_to_five_is_to_be_corrected(text: str) -> None:
    assert survey.parse_rating(text) == survey.Rating(None)


@pytest.mark.parametrize("text", ["好评价", "老师评价孩子表现很好", "谢谢"])
def test_not_a_rating(text: str) -> None:
    assert survey.parse_rating(text) is None


def test_survey_and_results_days() -> None:
    assert survey.survey_day(date(2026, 11, 30), school_day)  # Monday, the month's last school day
    assert not survey.survey_day(date(2026, 11, 27), school_day)
    # December: 1st closed, so the third school day is Friday the 4th.
    assert [d for d in range(1, 10) if survey.results_day(date(2026, 12, d), school_day)] == [4]


def test_rating_month_is_the_latest_month_asked() -> None:
    assert survey.rating_month(date(2026, 11, 30), school_day) == "2026-11"
    assert survey.rating_month(date(2026, 12, 2), school_day) == "2026-11"
    assert survey.rating_month(date(2026, 12, 4), school_day) == "2026-11"  # the results day
    assert survey.rating_month(date(2026, 12, 7), school_day) == "2026-12"  # unasked, mid-month: this month
    assert survey.rating_month(date(2026, 11, 27), school_day) == "2026-11"
    assert survey.rating_month(date(2026, 1, 5), school_day) == "2025-12"


def test_averages_per_class_per_course_and_families_once() -> None:
    votes = [
        survey.Vote((1, "a"), "三年级2班", ("篮球",), 5, "很好"),
        survey.Vote((1, "a"), "五年级1班", (), 5, "很好"),  # the same family's other child
        survey.Vote((2, "b"), "三年级2班", ("篮球", "书法"), 3, ""),
        survey.Vote((3, "c"), "三年级2班", (), 4, "可以再多一些户外活动"),
    ]
    summary = survey.summarize("2026-11", votes, ["三年级2班", "五年级1班", "六年级1班"])
    assert summary.families == 3 and summary.average == pytest.approx(4.0)
    assert summary.per_class == [("三年级2班", 4.0, 3), ("五年级1班", 5.0, 1)]
    assert summary.per_course == [("书法", 3.0, 1), ("篮球", 4.0, 2)]
    assert summary.comments == [(5, "很好"), (4, "可以再多一些户外活动")]
    text = survey.render(summary)
    assert "三年级2班: 平均 4.0" in text and "篮球: 平均 4.0" in text and "五年级1班: 平均 5.0" in text
    assert "六年级1班" not in text


def test_no_rating_yet() -> None:
    assert "暂无" in survey.render(survey.summarize("2026-11", []))
