"""A care day through the real `tuoguan say` CLI in a subprocess: leave, roll call, a late pickup, a stranger."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.demo import CHAT_32

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def say(tmp_path: Path):  # type: ignore[no-untyped-def]
    env = {k: v for k, v in os.environ.items() if not k.startswith("TUOGUAN_")}
    env["TUOGUAN_DATABASE__URL"] = f"sqlite+aiosqlite:///{tmp_path / 'care.db'}"
    env["PYTHONPATH"] = str(ROOT)

    def run(*args: str) -> str:
        proc = subprocess.run(
            [sys.executable, "-m", "bot", *args],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert proc.returncode == 0 and "Traceback" not in proc.stderr, proc.stderr
        return proc.stdout

    run("demo")

    def send(user: str, at: str, text: str) -> str:
        return run("say", "--chat", CHAT_32, "--user", user, "--at", f"2026-11-23T{at}", text)

    return send


def test_a_care_day_through_the_cli(say) -> None:  # type: ignore[no-untyped-def]
    out = say("parent-li", "08:00", "老师,李华今天发烧,请假一天")
    group, private = out.split("[推送", 1)
    assert "已为李华请假: 11月23日(周一)" in group and "已告知班主任" in group
    assert "发烧" not in group and "发烧" in private  # the reason goes to the head teacher only

    out = say("teacher-li", "16:30", "点名")  # it names who is on leave: to the teacher one-to-one
    assert out.startswith("[私聊回复] 应到 9 实到 8 请假 1 缺席 0"), out
    assert "发烧" not in out

    out = say("teacher-li", "17:50", "刘洋 已接走")
    group, private = out.split("[推送", 1)
    assert "已确认接走: 刘洋" in group and "晚于约定时间" not in group and "晚于约定时间" in private

    out = say("stranger", "17:51", "点名")
    assert "绑定" in out and "应到" not in out
