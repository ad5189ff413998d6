"""The real `tuoguan` CLI: `report agreements` and `report survey --month` after guardians' messages (demo school)."""

from __future__ import annotations

from pathlib import Path

from openpyxl import load_workbook

from tests.e2e.test_cli_basics import cli  # noqa: F401  (the fixture)


def test_report_agreements_and_survey(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    cli("demo")
    cli("say", "--chat", "demo-3-2", "--user", "parent-wang", "--at", "2026-11-30T17:00", "同意协议")
    cli("say", "--chat", "demo-3-2", "--user", "parent-wang", "--at", "2026-11-30T17:01", "评价 4 老师很负责")
    cli("say", "--chat", "demo-3-2", "--user", "parent-li", "--at", "2026-11-30T17:02", "评价 5")
    agreements = cli("report", "agreements", "--out", "agreements.xlsx").stdout
    assert "三年级2班: 参加托管" in agreements and "已同意协议 1" in agreements
    assert load_workbook(tmp_path / "agreements.xlsx").sheetnames[0] == "汇总"
    survey = cli("report", "survey", "--month", "2026-11", "--out", "survey.xlsx").stdout
    assert "平均 4.5" in survey and "三年级2班: 平均 4.5" in survey and "老师很负责" in survey
    assert "刘芳" not in survey and "王小明" not in survey
    assert load_workbook(tmp_path / "survey.xlsx")["按班级"]["B2"].value == 4.5
    assert cli("report", "survey", "--month", "11月", ok=False).returncode == 2
