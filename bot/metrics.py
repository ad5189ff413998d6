"""Prometheus metrics, one registry per process wiring (no import-time globals), served at /metrics."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

NO_CHAT = "none"  # platform label of a push not bound to a group chat (a private one)


class Metrics:
    content_type = CONTENT_TYPE_LATEST

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.messages = Counter(
            "tuoguan_messages_total",
            "Messages handled, by command and outcome",
            ["command", "outcome"],
            registry=self.registry,
        )
        self.reply_seconds = Histogram(
            "tuoguan_reply_seconds",
            "Time from receiving a message to having its reply",
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
            registry=self.registry,
        )
        self.rejected = Counter(
            "tuoguan_callbacks_rejected_total",
            "Callbacks refused before handling, by platform and HTTP status",
            ["platform", "status"],
            registry=self.registry,
        )
        self.job_runs = Counter(
            "tuoguan_job_runs_total",
            "Scheduled job fires, by job and status",
            ["job", "status"],
            registry=self.registry,
        )
        self.pushes = Counter(
            "tuoguan_pushes_total",
            "Pushes delivered or failed, by platform and result",
            ["platform", "result"],
            registry=self.registry,
        )
        self.outbox_depth = Gauge(
            "tuoguan_outbox_depth",
            "Pushes waiting in the outbox, by state and platform",
            ["state", "platform"],
            registry=self.registry,
        )
        self.outbox_age = Gauge(
            "tuoguan_outbox_oldest_seconds",
            "Age of the oldest waiting push, by state and platform",
            ["state", "platform"],
            registry=self.registry,
        )
        self._outbox_labels: set[tuple[str, str]] = set()

    def show_outbox(self, waiting: Iterable[tuple[str, str | None, int, datetime]], now: datetime) -> None:
        """Set the outbox gauges from what still waits (state, platform, how many, the oldest's creation, as
        `uow.outbox.waiting()` reads it); states that emptied read 0."""
        seen: set[tuple[str, str]] = set()
        for state, platform, depth, oldest in waiting:
            labels = (state, platform or NO_CHAT)
            seen.add(labels)
            self.outbox_depth.labels(*labels).set(depth)
            self.outbox_age.labels(*labels).set(max(0.0, (now - oldest).total_seconds()))
        for labels in self._outbox_labels - seen:  # emptied since the last look: 0, not a vanished series
            self.outbox_depth.labels(*labels).set(0)
            self.outbox_age.labels(*labels).set(0)
        self._outbox_labels |= seen

    def render(self) -> bytes:
        return generate_latest(self.registry)
