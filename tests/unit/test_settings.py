"""Settings: default file, --config file, environment overrides; secrets stay secret."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from bot.bootstrap import configure_logging
from bot.settings import load_settings


def test_defaults_come_from_default_toml() -> None:
    settings = load_settings()
    assert settings.database.url.startswith("sqlite+aiosqlite:///")
    assert settings.school.timezone == "Asia/Shanghai"
    assert settings.wecom.api_base == "https://qyapi.weixin.qq.com"
    assert (settings.roster.max_rows, settings.roster.max_bytes) == (20_000, 10 * 1024 * 1024)


def test_config_file_then_env_override(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cfg = tmp_path / "school.toml"
    cfg.write_text('[database]\nurl = "sqlite+aiosqlite:///x.db"\n[server]\nport = 9001\n', encoding="utf-8")
    settings = load_settings(cfg)
    assert settings.database.url == "sqlite+aiosqlite:///x.db"
    assert settings.server.port == 9001
    assert settings.server.host == "127.0.0.1"  # untouched keys keep the default

    monkeypatch.setenv("TUOGUAN_SERVER__PORT", "9002")
    monkeypatch.setenv("TUOGUAN_WECOM__TOKEN", "tok-from-env")
    settings = load_settings(cfg)
    assert settings.server.port == 9002
    assert settings.wecom.token.get_secret_value() == "tok-from-env"


def test_missing_config_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="配置文件不存在"):
        load_settings(tmp_path / "nope.toml")


def test_secrets_never_printed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TUOGUAN_DINGTALK__APP_SECRET", "very-secret-value")
    settings = load_settings()
    assert "very-secret-value" not in repr(settings)
    assert "very-secret-value" not in str(settings.model_dump())


def test_secrets_masked_in_logs(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("TUOGUAN_WECOM__ENCODING_AES_KEY", "aes-key-that-must-not-leak")
    settings = load_settings()
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    try:
        configure_logging(settings)
        logging.getLogger("bot.test").warning("decrypt failed with key %s", "aes-key-that-must-not-leak")
        err = capsys.readouterr().err
    finally:
        root.handlers[:], root.level = saved[0], saved[1]
    assert "decrypt failed" in err
    assert "aes-key-that-must-not-leak" not in err
