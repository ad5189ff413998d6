"""The outbox worker: claims due pushes, honours 20/min per robot, retries, backs off, flags broken chats.

Claims are rows: `state='sending'` with a lease. A worker that dies mid-delivery leaves its lease to
expire and another worker resends (DingTalk drops the duplicate by msgUuid; for WeCom, which has no
idempotency key, the window is one push). Several workers on one PostgreSQL database claim with
FOR UPDATE SKIP LOCKED, so each push is sent by one of them.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections import defaultdict, deque
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import aiohttp
from sqlalchemy import or_, select, update

from bot.clock import Clock
from bot.domain.messages import Push
from bot.metrics import Metrics
from bot.outbox.apps import AppMessenger, DingtalkApp, WecomApp
from bot.outbox.private import NoChannel, Recipient, resolve
from bot.outbox.robots import DingtalkRobot, Outgoing, SendResult, WecomRobot
from bot.settings import Settings
from bot.store.db import Database
from bot.store.outbox import enqueue
from bot.store.outbox_tables import OutboxMessage
from bot.store.people import staff_ids_with_role
from bot.store.tables import Chat, ClassGroup

log = logging.getLogger(__name__)

PER_MINUTE = 20
LEASE = timedelta(minutes=2)
# 5xx/busy/timeouts back off 5 s, 10 s, ... up to 10 min; 20 tries ride out a ~2.5 h outage (8 gave up at ~10 min).
MAX_ATTEMPTS = 20


@dataclass
class RobotState:
    """One robot's recent sends (a sliding 60 s window) and any platform-imposed pause."""

    sent: deque[datetime] = field(default_factory=deque)
    paused_until: datetime | None = None

    def free_at(self, now: datetime) -> datetime:
        while self.sent and now - self.sent[0] >= timedelta(seconds=60):
            self.sent.popleft()
        at = now if len(self.sent) < PER_MINUTE else self.sent[0] + timedelta(seconds=60)
        if self.paused_until and self.paused_until > at:
            at = self.paused_until
        return at


@dataclass
class OutboxWorker:
    db: Database
    settings: Settings
    clock: Clock
    http: aiohttp.ClientSession
    metrics: Metrics
    instance: str = "worker"
    batch: int = 100
    robots: dict[str, RobotState] = field(default_factory=lambda: defaultdict(RobotState))

    def __post_init__(self) -> None:
        self.wecom = WecomRobot(self.http, self.settings.wecom.api_base)
        self.dingtalk = DingtalkRobot(self.http, self.settings.dingtalk.api_base)
        self.apps: dict[str, AppMessenger] = {"wecom": WecomApp(self.http, self.clock, self.settings.wecom),
                                              "dingtalk": DingtalkApp(self.http, self.clock, self.settings.dingtalk)}

    async def run(self, stop: asyncio.Event, poll_seconds: float = 1.0) -> None:
        while not stop.is_set():
            try:
                await self.run_once()
            except Exception:
                log.exception("outbox pass failed; retrying")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), poll_seconds)

    async def run_once(self) -> int:
        """One pass: claim what is due, deliver per chat (chats in parallel), record each result."""
        now = self.clock.now()
        claimed = await self._claim(now)
        by_chat: dict[int, list[OutboxMessage]] = defaultdict(list)
        for row in claimed:
            if row.chat_ref is not None:
                by_chat[row.chat_ref].append(row)
        private = [row for row in claimed if row.chat_ref is None]
        results = await asyncio.gather(self._deliver_private(private),
                                       *(self._deliver_chat(chat_ref, rows) for chat_ref, rows in by_chat.items()))
        await self._gauge()
        return sum(results)

    async def _claim(self, now: datetime) -> list[OutboxMessage]:
        async with self.db.transaction() as s:
            due = (
                select(OutboxMessage.id)
                .where(
                    or_(
                        OutboxMessage.state.in_(("queued", "private")) & (OutboxMessage.next_attempt_at <= now),
                        (OutboxMessage.state == "sending") & (OutboxMessage.claimed_until < now),
                    )
                )
                .order_by(OutboxMessage.id)
                .limit(self.batch)
            )
            if not self.db.is_sqlite:
                due = due.with_for_update(skip_locked=True)
            ids = list((await s.scalars(due)).all())
            if not ids:
                return []
            await s.execute(
                update(OutboxMessage)
                .where(OutboxMessage.id.in_(ids))
                .values(state="sending", claimed_by=self.instance, claimed_until=now + LEASE)
            )
            return list((await s.scalars(select(OutboxMessage).where(OutboxMessage.id.in_(ids)))).all())

    async def _deliver_chat(self, chat_ref: int, rows: list[OutboxMessage]) -> int:
        async with self.db.transaction() as s:
            chat = await s.get(Chat, chat_ref)
        delivered = 0
        for index, row in enumerate(sorted(rows, key=lambda r: r.id)):
            if chat is None or chat.broken_reason:
                await self._finish(row, "failed", f"群不可用: {chat.broken_reason if chat else '不存在'}")
                continue
            if not chat.webhook:
                # No robot configured: the local simulator/console shows it instead of a platform.
                log.info("push to %s (simulator only): %s", chat.chat_id, row.text[:80])
                await self._finish(row, "sent", "simulator")
                self.metrics.pushes.labels(chat.platform, "simulator").inc()
                delivered += 1
                continue
            robot_key = f"{chat.platform}:{chat.webhook}"
            result = await self._send(chat, row, robot_key)
            if result is None:  # the robot is at its limit: hand the rest back, in order
                await self._release(sorted(rows, key=lambda r: r.id)[index:], robot_key)
                break
            delivered += await self._record(chat, row, result, robot_key)
            if result.outcome in {"throttled", "broken"}:
                rest = sorted(rows, key=lambda r: r.id)[index + 1:]
                if result.outcome == "throttled":
                    await self._release(rest, robot_key)
                else:
                    for other in rest:
                        await self._finish(other, "failed", f"群不可用: {result.code}")
                break
        return delivered

    async def _send(self, chat: Chat, row: OutboxMessage, robot_key: str) -> SendResult | None:
        robot = self.wecom if chat.platform == "wecom" else self.dingtalk
        msg = Outgoing(row.key, row.text, tuple(row.mentions.get("user_ids", [])),
                       tuple(row.mentions.get("phones", [])), row.markdown, row.image)
        bodies = robot.bodies(msg)
        state = self.robots[robot_key]
        now = self.clock.now()
        if state.free_at(now) > now or PER_MINUTE - len(state.sent) < len(bodies):
            return None
        result = SendResult("ok", "0")
        for body in bodies:
            state.sent.append(self.clock.now())
            result = await robot.send_body(chat.webhook, chat.webhook_secret, body, row.key, self.clock.now())
            if result.outcome != "ok":
                break
        return result

    async def _record(self, chat: Chat, row: OutboxMessage, result: SendResult, robot_key: str) -> int:
        now = self.clock.now()
        self.metrics.pushes.labels(chat.platform, result.outcome).inc()
        if result.outcome == "ok":
            await self._finish(row, "sent", "")
            return 1
        if result.outcome == "throttled":
            backoff = WecomRobot.backoff_seconds if chat.platform == "wecom" else DingtalkRobot.backoff_seconds
            self.robots[robot_key].paused_until = now + timedelta(seconds=backoff)
            log.warning("robot throttled (%s): pausing %s s", result.code, backoff, extra={"chat": chat.chat_id})
            await self._retry(row, now + timedelta(seconds=backoff), result, count=False)
        elif result.outcome == "broken":
            log.error("robot refused (%s): chat %s marked broken", result.code, chat.chat_id)
            await self._mark_broken(chat, result)
            await self._finish(row, "failed", f"{result.code} {result.detail}")
        elif result.outcome == "retry" and row.attempts + 1 < MAX_ATTEMPTS:
            delay = min(600.0, 5 * 2 ** row.attempts) * random.uniform(0.8, 1.2)
            await self._retry(row, now + timedelta(seconds=delay), result, count=True)
        else:
            log.error("push %s failed for good: %s", row.key, result.code)
            await self._finish(row, "failed", f"{result.code} {result.detail}")
        return 0

    async def _retry(self, row: OutboxMessage, at: datetime, result: SendResult, *, count: bool) -> None:
        async with self.db.transaction() as s:
            await s.execute(
                update(OutboxMessage).where(OutboxMessage.id == row.id).values(
                    state=waiting_state(row), next_attempt_at=at, claimed_by=None, claimed_until=None,
                    send_started_at=None,
                    attempts=OutboxMessage.attempts + (1 if count else 0), last_error=result.code[:300],
                )
            )

    async def _release(self, rows: list[OutboxMessage], robot_key: str) -> None:
        at = self.robots[robot_key].free_at(self.clock.now())
        async with self.db.transaction() as s:
            for state in {waiting_state(r) for r in rows}:
                await s.execute(
                    update(OutboxMessage)
                    .where(OutboxMessage.id.in_([r.id for r in rows if waiting_state(r) == state]))
                    .values(state=state, next_attempt_at=at, claimed_by=None, claimed_until=None)
                )

    async def _finish(self, row: OutboxMessage, state: str, note: str) -> None:
        async with self.db.transaction() as s:
            await s.execute(
                update(OutboxMessage).where(OutboxMessage.id == row.id, OutboxMessage.state == "sending").values(
                    state=state, sent_at=self.clock.now() if state == "sent" else None, claimed_until=None,
                    last_error=note[:300] or None, send_started_at=None)
            )

    async def _mark_broken(self, chat: Chat, result: SendResult) -> None:
        async with self.db.transaction() as s:
            await s.execute(update(Chat).where(Chat.id == chat.id).values(broken_reason=f"{result.code} {result.detail}"[:200]))
            school_id, class_name = (await s.execute(
                select(ClassGroup.school_id, ClassGroup.name).where(ClassGroup.id == chat.class_group_id))).one()
            admins = await staff_ids_with_role(s, school_id, ("admin", "principal"))
            text = (f"{class_name}的群机器人推送失败({result.code}): 机器人可能被移出群或地址失效。"
                    "请在花名册更新该班的推送地址后重新导入。")
            await enqueue(s, [Push(key=f"chat-broken:{chat.id}:{result.code}:s{a}", text=text, staff_id=a)
                              for a in admins], self.clock.now())

    async def _deliver_private(self, rows: list[OutboxMessage]) -> int:
        """One-to-one pushes: each person's in order, people in parallel; no account or app -> no_channel."""
        if not rows:
            return 0
        async with self.db.transaction() as s:
            targets = await resolve(s, rows, self.settings)
        by_person: dict[Recipient, list[OutboxMessage]] = defaultdict(list)
        for row in rows:
            target = targets[row.id]
            if isinstance(target, NoChannel):
                log.warning("private push %s has no channel: %s", row.key, target.reason)
                self.metrics.pushes.labels("none", "no_channel").inc()
                await self._finish(row, "no_channel", target.reason)
            else:
                by_person[target].append(row)
        sent = await asyncio.gather(*(self._deliver_person(to, sorted(r, key=lambda x: x.id))
                                      for to, r in by_person.items()))
        return sum(sent)

    async def _deliver_person(self, to: Recipient, rows: list[OutboxMessage]) -> int:
        app, bucket, app_key = self.apps[to.platform], f"{to.platform}-app:{to.user_id}", f"{to.platform}-app"
        delivered = 0
        for index, row in enumerate(rows):
            if self._unsure(app, row):
                log.error("private push %s: a send was cut off mid-way and %s cannot drop a resend; not resent",
                          row.key, to.platform)
                self.metrics.pushes.labels(to.platform, "unsure").inc()
                await self._finish(row, "unsure", "发送中断,平台无去重,未重发")
                continue
            msg = Outgoing(row.key, row.text, markdown=row.markdown, image=row.image)
            parts, now = len(app.bodies(to.user_id, msg)), self.clock.now()
            state, paused = self.robots[bucket], self.robots[app_key].paused_until
            if state.free_at(now) > now or (paused and paused > now) or PER_MINUTE - len(state.sent) < parts:
                state.paused_until = max(paused or now, state.free_at(now))
                await self._release(rows[index:], bucket)
                break
            await self._mark_started(row)
            state.sent.extend([now] * parts)
            result = await app.send(to.user_id, msg)
            self.metrics.pushes.labels(to.platform, result.outcome).inc()
            if result.outcome == "ok":
                await self._finish(row, "sent", "")
                delivered += 1
            elif result.outcome == "throttled":
                self.robots[app_key].paused_until = now + timedelta(seconds=app.backoff_seconds)
                log.warning("%s app throttled (%s): pausing %s s", to.platform, result.code, app.backoff_seconds)
                await self._retry(row, now + timedelta(seconds=app.backoff_seconds), result, count=False)
                await self._release(rows[index + 1:], app_key)
                break
            else:
                await self._record_failure(row, result)
        return delivered

    def _unsure(self, app: AppMessenger, row: OutboxMessage) -> bool:
        """A send began before a crash and was never recorded: resend only inside the platform's dedupe window."""
        started = row.send_started_at
        if started is None:
            return False
        started = started.replace(tzinfo=UTC) if started.tzinfo is None else started
        window = app.dedupe if row.image is None else timedelta(0)  # a re-uploaded image is a new message
        return self.clock.now() - started >= window - timedelta(seconds=60)

    async def _mark_started(self, row: OutboxMessage) -> None:
        async with self.db.transaction() as s:
            await s.execute(update(OutboxMessage).where(OutboxMessage.id == row.id)
                            .values(send_started_at=self.clock.now().astimezone(UTC)))

    async def _record_failure(self, row: OutboxMessage, result: SendResult) -> None:
        if result.outcome == "retry" and row.attempts + 1 < MAX_ATTEMPTS:
            delay = min(600.0, 5 * 2 ** row.attempts) * random.uniform(0.8, 1.2)
            await self._retry(row, self.clock.now() + timedelta(seconds=delay), result, count=True)
        else:
            log.error("push %s failed for good: %s %s", row.key, result.code, result.detail)
            await self._finish(row, "failed", f"{result.code} {result.detail}")

    async def _gauge(self) -> None:
        async with self.db.transaction() as s:
            await self.metrics.refresh_outbox(s, self.clock.now())


def waiting_state(row: OutboxMessage) -> str:
    """The state a push waits in: group pushes 'queued', one-to-one pushes 'private'."""
    return "queued" if row.chat_ref is not None else "private"
