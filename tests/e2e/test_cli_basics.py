"""The real `tuoguan` CLI in a subprocess: help, db upgrade, calendar, jobs, say on an empty school."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def cli(tmp_path: Path):  # type: ignore[no-untyped-def]
    env = {k: v for k, v in os.environ.items() if not k.startswith("TUOGUAN_")}
    env["TUOGUAN_DATABASE__URL"] = f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}"
    env["PYTHONPATH"] = str(ROOT)

    def run(*args: str, ok: bool = True) -> subprocess.CompletedProcess[str]:
        proc = subprocess.run(
            [sys.executable, "-m", "bot", *args],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        if ok:
            assert proc.returncode == 0, proc.stderr
        return proc

    return run


def test_help_lists_the_contract_commands(cli) -> None:  # type: ignore[no-untyped-def]
    out = cli("--help").stdout
    for verb in ("serve", "db", "roster", "demo", "say", "jobs", "calendar", "report", "course", "fees"):
        assert verb in out
    assert "--chat" in cli("say", "--help").stdout


def test_db_upgrade_is_repeatable(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    first = cli("db", "upgrade").stdout
    assert "数据库已是最新版本" in first
    assert cli("db", "upgrade").stdout == first
    assert (tmp_path / "cli.db").exists()


def test_config_file_option(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    missing = cli("--config", str(tmp_path / "none.toml"), "db", "upgrade", ok=False)
    assert missing.returncode == 2 and "配置文件不存在" in missing.stderr


def test_say_from_a_stranger_in_an_unknown_chat(cli) -> None:  # type: ignore[no-untyped-def]
    out = cli("say", "--chat", "nowhere", "--user", "someone", "--at", "2026-11-23T16:00", "查询").stdout
    assert "绑定" in out and "Traceback" not in out


def test_jobs_and_calendar_without_a_school(cli) -> None:  # type: ignore[no-untyped-def]
    assert cli("jobs", "run", "no-such-job", ok=False).returncode == 2
    out = cli("calendar", "list", ok=False)
    assert "请先" in out.stdout


def test_acceptance_path_template_import_demo_say(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """The foundation issue's acceptance line, verbatim in spirit."""
    assert "已生成花名册模板" in cli("roster", "template", "t.xlsx").stdout
    imported = cli("roster", "import", "t.xlsx").stdout
    assert "导入完成" in imported and "学生: 新增 1" in imported
    demo = cli("demo").stdout
    assert "demo-3-2" in demo and "parent-wang" in demo
    reply = cli("say", "--chat", "demo-3-2", "--user", "parent-wang", "查询").stdout
    assert "刘芳" in reply and "王小明(三年级2班,母亲,可接送)" in reply and "王小红(五年级1班" in reply
    teacher = cli("say", "--chat", "demo-3-2", "--user", "teacher-li", "帮助").stdout
    assert "查询" in teacher and "帮助" in teacher
    export = cli("roster", "export", "out.xlsx").stdout
    assert "已导出" in export and (tmp_path / "out.xlsx").exists()
    again = cli("roster", "import", "out.xlsx").stdout.strip()
    assert (
        again.startswith("导入完成: 无变化") and "同名学生" in again
    )  # the template's 王小明 and the demo's


def test_roster_import_with_errors_exits_nonzero(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "学生.csv").write_text("学籍号,姓名,班级\nA1,王一,三年级9班\n", encoding="utf-8")
    proc = cli("roster", "import", "学生.csv", ok=False)
    assert proc.returncode == 1
    assert '学生 第2行: 班级"三年级9班"不存在' in proc.stdout


def test_report_daily_and_jobs_list(cli) -> None:  # type: ignore[no-untyped-def]
    cli("demo")
    out = cli("report", "daily", "--date", "2026-11-23").stdout
    assert out.startswith("全校 应到 19 实到 19 请假 0 缺席 0")
    jobs = cli("jobs", "list").stdout
    for name in ("pickup-reminder", "late-pickup", "daily-summary", "close-enrollment"):
        assert name in jobs
    assert "篮球" in cli("course", "list").stdout
    assert "done" in cli("jobs", "run", "close-enrollment", "--at", "2026-11-23T08:00").stdout
    assert "done" in cli("jobs", "run", "daily-summary", "--at", "2026-11-23T18:30").stdout


def test_roster_import_over_the_row_limit_exits_nonzero(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "limits.toml").write_text("[roster]\nmax_rows = 2\n", encoding="utf-8")
    (tmp_path / "学生.csv").write_text(
        "学籍号,姓名,班级\nA1,王一,三年级2班\nA2,王二,三年级2班\nA3,王三,三年级2班\n", encoding="utf-8"
    )
    proc = cli("--config", "limits.toml", "roster", "import", "学生.csv", ok=False)
    assert proc.returncode == 1
    assert "花名册行数太多: 至少 3 行,超过上限 2 行(roster.max_rows)" in proc.stdout
