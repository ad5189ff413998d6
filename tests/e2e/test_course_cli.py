"""The real `tuoguan course add|publish|list` in a subprocess: added unpublished, published for 24 hours, 元."""

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

    def run(*args: str, code: int = 0) -> str:
        proc = subprocess.run(
            [sys.executable, "-m", "bot", *args],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert proc.returncode == code, proc.stderr + proc.stdout
        return proc.stdout

    return run


def test_course_add_publish_and_list(cli) -> None:  # type: ignore[no-untyped-def]
    assert "publish" in cli("course", "--help")
    cli("demo")
    added = cli(
        "course",
        "add",
        "围棋",
        "--weekdays",
        "1,3",
        "--time",
        "16:30-17:10",
        "--capacity",
        "12",
        "--price",
        "25",
    )
    assert "已添加课程 围棋(25元/课时)" in added and "tuoguan course publish 围棋" in added
    assert "draft" in next(line for line in cli("course", "list").splitlines() if line.startswith("围棋"))
    before = cli("say", "--chat", "demo-3-2", "--user", "parent-li", "--at", "2026-11-23T09:00", "课程")
    assert "围棋" in before and "尚未开放报名" in before
    assert "截止" in cli("course", "publish", "围棋")
    listing = cli("course", "list")
    assert "25元/课时" in listing and "20元/课时" in listing and "分/课时" not in listing
    cli("course", "publish", "象棋", code=1)
