"""Prometheus metrics, one registry per process wiring (no import-time globals), served at /metrics."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST


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
        self.job_runs = Counter(
            "tuoguan_job_runs_total", "Scheduled job fires, by job and status", ["job", "status"],
            registry=self.registry,
        )
        self.pushes = Counter(
            "tuoguan_pushes_total", "Pushes delivered or failed, by platform and result", ["platform", "result"],
            registry=self.registry,
        )
        self.outbox_depth = Gauge("tuoguan_outbox_depth", "Pushes waiting in the outbox", registry=self.registry)
        self.outbox_age = Gauge(
            "tuoguan_outbox_oldest_seconds", "Age of the oldest waiting push", registry=self.registry
        )

    def render(self) -> bytes:
        return generate_latest(self.registry)
