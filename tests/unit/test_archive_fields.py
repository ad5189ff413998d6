"""The 学生 sheet's staff-only archive columns: parsed when present, left out when the sheet has none."""

from __future__ import annotations

import pytest

from bot.roster import fields as f


def test_archive_fields_present_are_parsed_absent_are_left_out() -> None:
    cells = {
        "务工单位": "东莞某电子厂 长安镇",
        "务工单位电话": "0769-8888 1234",
        "监护人年龄": "66岁",
        "监护人健康": "高血压",
        "爱心妈妈": "周静",
    }
    values = f.archive_fields(cells, lambda c: str(cells.get(c, "")))
    assert values == {
        "caring_mother": "周静",
        "employer": "东莞某电子厂 长安镇",
        "employer_phone": "0769-88881234",
        "guardian_age": 66,
        "guardian_health": "高血压",
    }  # no 监护人职业 column: not emptied
    assert f.archive_fields({}, lambda c: "") == {}


@pytest.mark.parametrize(
    ("column", "value"),
    [("监护人年龄", "六十"), ("监护人年龄", "200"), ("务工单位电话", "打电话给我"), ("务工单位", "厂" * 201)],
)
def test_bad_archive_values_are_refused(column: str, value: str) -> None:
    with pytest.raises(f.FieldError):
        f.archive_fields({column: value}, lambda c: value)
