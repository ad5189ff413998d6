"""Settings: config/default.toml, then an optional --config file, then TUOGUAN_<SECTION>__<KEY> env vars.

Built once in `main()` (or by a test) and passed in; nothing here runs at import time.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo

from pydantic import BaseModel, Field, field_validator, model_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from bot.platform_settings import DingtalkSettings, WecomSettings

log = logging.getLogger(__name__)

__all__ = ["DingtalkSettings", "Settings", "WecomSettings", "load_settings"]

DEFAULT_TOML = Path(__file__).resolve().parent.parent / "config" / "default.toml"


class DatabaseSettings(BaseModel):
    url: str = "sqlite+aiosqlite:///./data/tuoguan.db"
    echo: bool = False
    # A message or a job fire that finds the database away (restart, failover) is tried again this long.
    retry_seconds: float = 60.0


class ServerSettings(BaseModel):
    host: str = "127.0.0.1"
    port: int = 8080
    # None: simulator on only when no platform is configured.
    sim: bool | None = None
    max_body_bytes: int = 64 * 1024
    # Answer a callback in its HTTP response if the reply is ready this fast; else post it later.
    reply_budget_seconds: float = 3.0
    dedupe_days: int = 7  # handled message ids kept to answer retries and replays, then pruned
    # A connection that has not sent a whole request this long after connecting (or after its last
    # answer) is closed: slow-header clients and idle keep-alives cannot pile up.
    header_timeout_seconds: float = 15.0
    # Open connections at most; at the cap a new one replaces the oldest idle one (see bot/web/limits.py).
    max_connections: int = 1000
    # One log line per HTTP request (aiohttp's access log): off by default, as it costs on every callback.
    access_log: bool = False
    # Processes answering callbacks on the same port (SO_REUSEPORT); the scheduler, the outbox, the long
    # connections and the inbox's recovery run in the first one only (bot/workers.py).
    workers: int = Field(default=1, ge=1, le=64)


class SimSettings(BaseModel):
    # The simulator lets anyone speak as anyone: by default only loopback clients reach it, by a loopback
    # name (127.0.0.1, localhost, [::1]). A LAN address or host name here also admits other clients that
    # ask for it by that name; "0.0.0.0" admits any client by any IP address (never by another host name).
    host: str = "127.0.0.1"


class InboxSettings(BaseModel):
    # A message being handled is claimed this long; a claim that lapsed (the process died) is taken over.
    lease_seconds: float = 30.0
    # How often `tuoguan serve` looks for messages taken in and never handled (a crash, another instance's).
    recover_every_seconds: float = 5.0
    # A message whose handling was cut off this many times (it kills the process?) is given up, logged.
    max_attempts: int = 5
    # A new message is stored already handled, in the unit of work that handles it (one transaction); false:
    # stored first, then handled (two transactions).
    one_step: bool = True


class SchoolSettings(BaseModel):
    name: str = "示例小学"
    timezone: str = "Asia/Shanghai"

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


class CareSettings(BaseModel):
    """Care times (defaults from the seed documents) and the care day's rules."""

    start_by_grade: dict[int, str] = {1: "15:05", 2: "15:05", 3: "15:50", 4: "15:50", 5: "16:00", 6: "16:00"}
    end: str = "17:30"
    summer_end: str = "18:00"
    summer_from: str = "05-01"  # MM-DD, inclusive
    summer_to: str = "09-30"
    late_flag_count: int = 3  # late pickups per family per term flagged to the principal
    late_fee_fen_per_minute: int = 0  # off by default
    guardian_self_confirm: bool = False  # a guardian's 已接走 counts as confirmed
    # The one grace: a child is late (alert and record) only past their agreed time plus this many minutes.
    pickup_grace_minutes: int = 10
    reminder_minutes: int = 15  # pickup-reminder: this long before care ends
    escalate_minutes: int = 30  # late-pickup: to the principal this long after the expected time
    max_late_minutes: int = 60  # a late notice may reach at most this long after care ends
    absence_flag_count: int = (
        3  # unnotified absences per child per term flagged to head teacher and principal
    )
    answer_minutes: int = 10  # a teacher's bare `17:35` answers the bot's 'what time?' this long after

    @model_validator(mode="before")
    @classmethod
    def _late_grace_alias(cls, data: Any) -> Any:
        """`late_grace_minutes` (deprecated) is read as `pickup_grace_minutes` when that is not given."""
        if isinstance(data, dict) and "late_grace_minutes" in data:
            data = dict(data)
            alias = data.pop("late_grace_minutes")
            log.warning("care.late_grace_minutes is deprecated: use care.pickup_grace_minutes")
            data.setdefault("pickup_grace_minutes", alias)
        return data


class EnrollmentSettings(BaseModel):
    """Enrollment: priority groups (left-behind, hardship) may get reserved places; off by default."""

    priority_groups: list[str] = []  # left_behind and/or hardship; empty = off
    reserved_places: int = 0  # per course, for the priority groups (a course's window may set its own)
    priority_early_hours: int = 0  # priority groups may apply this many hours before a window opens
    second_round_days: int = 3  # length of the second-round window after 撤班
    window_hours: int = 24  # a course added or imported gets this window from its publication (0 = none)

    @field_validator("priority_groups")
    @classmethod
    def _known_groups(cls, groups: list[str]) -> list[str]:
        unknown = [g for g in groups if g not in ("left_behind", "hardship")]
        if unknown:
            raise ValueError(f"unknown priority group(s) {unknown}; use left_behind, hardship")
        return groups


class FeeSettings(BaseModel):
    """Fees in integer fen: basic care free (0) or flat per month; refunds by who cancelled."""

    basic_monthly_fen: int = 0
    basic_billing: Literal["month", "term"] = "month"  # month: a line per month as it comes; term: one line
    basic_daily_fen: int = 0  # 1类 per care day (e.g. 300 = 3 元/天), on top of or instead of the monthly fee
    refund_school_cancelled: bool = True
    refund_personal_leave: bool = False
    due_days: int = 14  # a term's charges are due this many days after they are issued
    remind_days_before_due: int = 3  # fee-notice reminds the families still owing this many days before


DEFAULT_AGREEMENT = (
    "《课后托管自愿服务协议书》\n"
    "一、课后托管服务由家长自愿申请,学校在放学后、家长下班前为学生提供看护和学习辅导,每学期签订一次。\n"
    "二、托管期间学生须遵守学校纪律,服从老师管理;家长须按时接送,不能按时接送请提前告知老师。\n"
    "三、学生请假、换人接送请提前通过托管助手告知;未经告知不得由他人接走学生。\n"
    "四、参加托管的学生须购买学生平安保险(学平险)。\n"
    "五、家长对托管服务有意见或建议,可随时向班主任或学校反映,学校每月开展服务评价。"
)


class NoticeSettings(BaseModel):
    """Notices with read confirmation (通知): how long one stays open, when the unconfirmed are reminded."""

    open_days: int = Field(default=7, gt=0)  # a notice collects 收到 this many days
    remind_after_hours: int = Field(default=20, gt=0)  # notice-reminder @-mentions the unconfirmed after this
    # 协议: the per-term 自愿服务协议书 a guardian accepts with 同意协议 (sent to whoever asks with 协议)
    agreement_text: str = DEFAULT_AGREEMENT


class DutySettings(BaseModel):
    """Duty and patrol (值班、巡课、清校): when a missing 清校完毕 is told to the principal."""

    clear_check_minutes: int = Field(default=45, ge=0)  # after the day's care end


class BindingSettings(BaseModel):
    """绑定 attempts allowed before further ones are refused (and the head teacher told)."""

    max_per_account_hour: int = 5  # per platform account, in any 60 minutes
    max_per_child_day: int = 10  # naming one child, from all accounts, in any 24 hours


class RosterSettings(BaseModel):
    """Limits on one `tuoguan roster import`, checked before the file is read whole."""

    max_rows: int = Field(default=20_000, gt=0)  # data rows over all sheets of one import
    max_bytes: int = Field(default=10 * 1024 * 1024, gt=0)  # the files' total size


class PaySettings(BaseModel):
    """Teachers' pay in integer fen: basic care per child-hour (人时), an X course per session held (课时)."""

    basic_per_child_hour_fen: int = Field(default=200, ge=0)
    x_per_session_fen: int = Field(default=2000, ge=0)


class LogSettings(BaseModel):
    level: str = "INFO"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="TUOGUAN_",
        env_nested_delimiter="__",
        extra="ignore",
    )

    database: DatabaseSettings = DatabaseSettings()
    server: ServerSettings = ServerSettings()
    inbox: InboxSettings = InboxSettings()
    sim: SimSettings = SimSettings()
    wecom: WecomSettings = WecomSettings()
    dingtalk: DingtalkSettings = DingtalkSettings()
    school: SchoolSettings = SchoolSettings()
    care: CareSettings = CareSettings()
    enrollment: EnrollmentSettings = EnrollmentSettings()
    fees: FeeSettings = FeeSettings()
    notices: NoticeSettings = NoticeSettings()
    duty: DutySettings = DutySettings()
    binding: BindingSettings = BindingSettings()
    roster: RosterSettings = RosterSettings()
    pay: PaySettings = PaySettings()
    log: LogSettings = LogSettings()

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings, env_settings, TomlConfigSettingsSource(settings_cls))


def load_settings(config_file: str | Path | None = None, **overrides: Any) -> Settings:
    """Build settings from the default file, an optional extra TOML file and the environment."""
    files: list[Path] = [p for p in [DEFAULT_TOML] if p.exists()]
    if config_file is not None:
        path = Path(config_file)
        if not path.exists():
            raise FileNotFoundError(f"配置文件不存在: {path}")
        files.append(path)

    class _FileSettings(Settings):
        model_config = SettingsConfigDict(toml_file=files)

    return _FileSettings(**overrides)
