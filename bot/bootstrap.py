"""The one place that wires settings, database, clock and command table together."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass

from bot.background import instance_name
from bot.clock import Clock, SystemClock
from bot.handlers.table import build_table
from bot.inbox import Inbox
from bot.jobs.registry import JobDeps
from bot.metrics import Metrics
from bot.pipeline import Pipeline
from bot.services import UseCases, build_use_cases
from bot.settings import Settings
from bot.store.db import Database


@dataclass
class Services:
    settings: Settings
    db: Database
    clock: Clock
    pipeline: Pipeline
    metrics: Metrics
    inbox: Inbox
    jobs: JobDeps  # what scheduled jobs are handed
    use_cases: UseCases  # enrollment, fees, reports, roster: shared by chat, jobs and the CLI

    async def close(self) -> None:
        await self.db.dispose()


def bootstrap(settings: Settings, clock: Clock | None = None, db: Database | None = None) -> Services:
    clock = clock or SystemClock()
    db = db or Database(settings.database.url, echo=settings.database.echo)
    metrics = Metrics()
    pipeline = Pipeline(db=db, settings=settings, clock=clock, table=build_table(), metrics=metrics)
    inbox = Inbox(pipeline, instance=instance_name(), one_step=settings.inbox.one_step)
    use_cases = build_use_cases(db, settings, clock)
    jobs = JobDeps(settings=settings, db=db, clock=clock, metrics=metrics, use_cases=use_cases)
    return Services(
        settings=settings,
        db=db,
        clock=clock,
        pipeline=pipeline,
        metrics=metrics,
        inbox=inbox,
        jobs=jobs,
        use_cases=use_cases,
    )


_STANDARD_ATTRS = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime"}


class KeyValueFormatter(logging.Formatter):
    """Plain log lines with the record's structured extras appended as key=value."""

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        if not record.name.startswith("bot"):
            return line  # libraries' own extras (e.g. aiohttp's access log fields) stay out
        extras = {k: v for k, v in vars(record).items() if k not in _STANDARD_ATTRS}
        if extras:
            line += " " + " ".join(f"{k}={v}" for k, v in sorted(extras.items()))
        return line


_URL_SECRETS = re.compile(r"\b(key|access_token|sign)=[^&\s'\"]+")


class _SecretFilter(logging.Filter):
    """Masks configured secrets and robot URL keys/signatures in every record and its traceback."""

    def __init__(self, secrets: list[str]) -> None:
        super().__init__()
        self.secrets = [s for s in secrets if len(s) >= 4]

    def _mask(self, text: str) -> str:
        for secret in self.secrets:
            text = text.replace(secret, "***")
        return _URL_SECRETS.sub(r"\1=***", text)

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        masked = self._mask(message)
        if masked != message:
            record.msg, record.args = masked, None
        if record.exc_info and not record.exc_text:
            # The formatter reuses exc_text when set: the traceback is masked once, here.
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self._mask(record.exc_text)
        return True


def configure_logging(settings: Settings) -> None:
    secrets = [
        settings.wecom.token.get_secret_value(),
        settings.wecom.encoding_aes_key.get_secret_value(),
        settings.dingtalk.app_secret.get_secret_value(),
        settings.wecom.corp_secret.get_secret_value(),
        settings.wecom.bot_secret.get_secret_value(),
    ]
    handler = logging.StreamHandler()
    handler.setFormatter(KeyValueFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(_SecretFilter(secrets))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(settings.log.level.upper())
    # Alembic narrates every plugin it loads at INFO; keep the console for what matters.
    logging.getLogger("alembic").setLevel(logging.WARNING)
    # aiosqlite logs every statement with its parameters (webhook keys, phones) at DEBUG: never that.
    logging.getLogger("aiosqlite").setLevel(logging.INFO)
