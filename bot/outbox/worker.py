"""The outbox worker: claims due pushes, honours 20/min per robot, retries, backs off, flags broken chats.

Claims are rows: `state='sending'` with a lease. A worker that dies mid-delivery leaves its lease to
expire and another worker resends (DingTalk drops the duplicate by msgUuid; for WeCom, which has no
idempotency key, the window is one push). Claims are taken one instance at a time (a PostgreSQL
advisory lock; SQLite has one writer) and only from the head of each line: a chat's (or a person's)
push is claimed only when every earlier unfinished push of that chat (person) is claimable too, so
one line is in one worker's hands and goes out in id order whatever the number of instances.
The send budget (20 per 60 s per robot, per app user) and the platform's pause live in the database
(`bot.store.budgets`), reserved under a row lock before each send: shared by all instances, kept across
restarts.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
from sqlalchemy import ColumnElement, or_, select, text, update

from bot.clock import Clock
from bot.domain.messages import Push
from bot.domain.privacy import mask_phones
from bot.metrics import Metrics
from bot.outbox.privacy import group_safe_bodies
from bot.outbox.private import NoChannel, Recipient, resolve
from bot.platforms.base import GroupMessenger, Outgoing, PlatformMessengers, PrivateMessenger, SendResult
from bot.platforms.late_reply import post_reply, route_valid
from bot.platforms.registry import build_messengers
from bot.settings import Settings
from bot.store.budgets import PER_MINUTE, Bucket, pause, reserve
from bot.store.db import Database
from bot.store.outbox import enqueue
from bot.store.outbox_tables import OutboxMessage
from bot.store.people import staff_ids_with_role
from bot.store.tables import Chat, ClassGroup, School

log = logging.getLogger(__name__)

LEASE = timedelta(minutes=2)
# 5xx/busy/timeouts back off 5 s, 10 s, ... up to 10 min; 20 tries ride out a ~2.5 h outage (8 gave up at ~10 min).
MAX_ATTEMPTS = 20
CLAIM_LOCK = 0x74756F67  # pg_advisory_xact_lock key: one instance claims at a time
UNFINISHED = ("queued", "private", "sending")
QUOTA_PAUSE = timedelta(hours=1)  # the organisation's API quota is spent: try again this much later
CONFIG_TEXT = {
    "310000": "{cls}的钉钉群机器人推送被安全设置拒绝(310000 {detail}): 机器人仍在群里,请在群机器人设置中核对"
              "加签密钥、自定义关键词或IP地址段,与花名册中该班的推送地址和密钥一致后重新导入。",
    "60020": "企业微信拒绝了应用消息(60020 {detail}): 本机的公网IP不在企业可信IP中。请在企业微信管理后台"
             "「应用管理 → 托管助手应用 → 企业可信IP」添加本机公网IP;或改用智能机器人长连接(无需公网IP)。",
}
QUOTA_TEXT = ("{platform}组织本月的接口调用次数已用完({code}),推送已暂停,每小时自动重试。"
              "请在开发者后台查看用量或升级套餐。")


def _due(now: datetime) -> ColumnElement[bool]:
    return or_(
        OutboxMessage.state.in_(("queued", "private")) & (OutboxMessage.next_attempt_at <= now),
        (OutboxMessage.state == "sending") & (OutboxMessage.claimed_until < now),
    )


def heads_of_lines(rows: Iterable[Sequence[Any]], limit: int) -> list[int]:
    """From unfinished (id, chat_ref, staff_id, guardian_id, due) in id order: the ids claimable now.

    A line (one chat, one person) stops at its first push that is not due (waiting for a retry or held
    by a live claim): nothing behind it is claimed, so the line never overtakes itself.
    """
    blocked: set[tuple[str, int]] = set()
    ids: list[int] = []
    for row_id, chat_ref, staff_id, guardian_id, due in rows:
        line = ("c", chat_ref) if chat_ref is not None else ("s", staff_id) if staff_id is not None \
            else ("g", guardian_id) if guardian_id is not None else ("r", row_id)  # a late reply only
        if line in blocked:
            continue
        if not due:
            blocked.add(line)
            continue
        ids.append(row_id)
        if len(ids) >= limit:
            break
    return ids


@dataclass
class OutboxWorker:
    db: Database
    settings: Settings
    clock: Clock
    http: aiohttp.ClientSession
    metrics: Metrics
    instance: str = "worker"
    batch: int = 100
    # Each platform's messengers, keyed by platform (the serve wiring builds them and attaches the long
    # connections' links); built here from the settings when not handed in.
    messengers: dict[str, PlatformMessengers] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.messengers:
            self.messengers = build_messengers(self.http, self.clock, self.settings)
        self.late_routes = {kind: route for m in self.messengers.values() for kind, route in m.late_routes.items()}

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
        claimed = await self._replies(await self._claim(now))
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
            if not self.db.is_sqlite:
                await s.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": CLAIM_LOCK})
            lines = await s.execute(
                select(OutboxMessage.id, OutboxMessage.chat_ref, OutboxMessage.staff_id, OutboxMessage.guardian_id,
                       _due(now)).where(OutboxMessage.state.in_(UNFINISHED)).order_by(OutboxMessage.id))
            ids = heads_of_lines(lines, self.batch)
            if not ids:
                return []
            await s.execute(
                update(OutboxMessage)
                .where(OutboxMessage.id.in_(ids))
                .values(state="sending", claimed_by=self.instance, claimed_until=now + LEASE)
            )
            return list((await s.scalars(select(OutboxMessage).where(OutboxMessage.id.in_(ids)))).all())

    async def _replies(self, rows: list[OutboxMessage]) -> list[OutboxMessage]:
        """Late replies go by their reply route while it is valid; the rest (and replies whose route is gone
        but that have a target) are returned for the chat and person lines."""
        left: list[OutboxMessage] = []
        for row in rows:
            if row.reply_url is None:
                left.append(row)
                continue
            platform = (row.reply_kind or "none").split("_")[0]
            now = self.clock.now()
            route = self.late_routes.get(row.reply_kind or "")
            if route is not None and route_valid(row.reply_url, route, row.reply_expires_at, now):
                result = await post_reply(self.http, row.reply_url, route, row.text,
                                          tuple(row.mentions.get("user_ids", [])))
                self.metrics.pushes.labels(platform, result.outcome).inc()
                if result.outcome == "ok":
                    await self._finish(row, "sent", "reply")
                    continue
                if result.outcome == "throttled":
                    await self._retry(row, now + timedelta(seconds=60), result, count=False)
                    continue
                if result.outcome == "retry" and row.attempts + 1 < MAX_ATTEMPTS:
                    delay = min(600.0, 5 * 2 ** row.attempts) * random.uniform(0.8, 1.2)
                    await self._retry(row, now + timedelta(seconds=delay), result, count=True)
                    continue
                log.warning("late reply refused (%s %s): falling back", result.code, result.detail)
            if row.chat_ref is None and row.staff_id is None and row.guardian_id is None:
                await self._finish(row, "failed", "回复通道已失效")
                continue
            async with self.db.transaction() as s:  # the route is gone: the target's line takes it
                await s.execute(update(OutboxMessage).where(OutboxMessage.id == row.id).values(reply_url=None))
            row.reply_url = None
            left.append(row)
        return left

    async def _deliver_chat(self, chat_ref: int, rows: list[OutboxMessage]) -> int:
        async with self.db.transaction() as s:
            chat = await s.get(Chat, chat_ref)
        rows = sorted(rows, key=lambda r: r.id)
        delivered, held = 0, self.clock.now() + LEASE
        for index, row in enumerate(rows):
            kept = await self._keep(rows[index:], held)
            if kept is None:
                break
            held = kept
            if chat is None or chat.broken_reason:
                await self._finish(row, "failed", f"群不可用: {chat.broken_reason if chat else '不存在'}")
                continue
            messengers = self.messengers[chat.platform]
            if not chat.webhook and messengers.link is None:
                # No robot configured: the local simulator/console shows it instead of a platform.
                log.info("push to %s (simulator only): %s", chat.chat_id, mask_phones(row.text)[0][:80])
                await self._finish(row, "sent", "simulator")
                self.metrics.pushes.labels(chat.platform, "simulator").inc()
                delivered += 1
                continue
            bucket = Bucket(messengers.robot.identity(chat.webhook), f"robot:{chat.platform}") if chat.webhook \
                else Bucket(f"{chat.platform}-link:{chat.chat_id}", f"link:{chat.platform}")
            result = await self._send(chat, row, bucket)
            if isinstance(result, datetime):  # the robot is at its limit: hand the rest back, in order
                await self._release(rows[index:], result)
                break
            waits = await self._record(chat, row, result, bucket)
            if result.outcome == "ok":
                delivered += 1
            elif result.outcome == "broken":
                for other in rows[index + 1:]:
                    await self._finish(other, "failed", f"群不可用: {result.code}")
                break
            elif waits:
                # The rest of the line waits behind the push that is waiting (the claim keeps it so too).
                await self._release(rows[index + 1:], self.clock.now())
                break
        return delivered

    async def _send(self, chat: Chat, row: OutboxMessage, bucket: Bucket) -> SendResult | datetime:
        """Every body of one push, once the shared budget has room for all of them; else when it will."""
        messengers = self.messengers[chat.platform]
        robot: GroupMessenger = messengers.robot
        address = chat.webhook
        if not chat.webhook and messengers.link is not None:  # a 群ID, no custom robot: long connection / app robot
            robot, address = messengers.link, chat.chat_id
        msg = Outgoing(row.key, row.text, tuple(row.mentions.get("user_ids", [])),
                       tuple(row.mentions.get("phones", [])), row.markdown, row.image)
        bodies = group_safe_bodies(robot, msg)  # every group push passes here: no phone in its text
        # More than a minute's worth (over ~40 KB of text) goes out 20 parts a minute, resuming after the
        # parts already shown; a push that big would otherwise wait for a window it can never fit.
        batch = min(len(bodies) - row.parts_sent, PER_MINUTE)
        wait = await reserve(self.db, bucket, batch, self.clock.now())
        if wait is not None:
            return wait
        result = SendResult("ok", "0")
        last = row.parts_sent + batch
        for done, body in enumerate(bodies[row.parts_sent:last], start=row.parts_sent + 1):
            result = await robot.send_body(address, chat.webhook_secret, body, row.key, self.clock.now())
            if result.outcome != "ok":
                break
            await self._progress(row, done, len(bodies))
        if result.outcome == "ok" and last < len(bodies):
            row.parts_sent = last
            return self.clock.now() + timedelta(seconds=60)  # the rest when this minute's window has passed
        return result

    async def _record(self, chat: Chat, row: OutboxMessage, result: SendResult, bucket: Bucket) -> bool:
        """Write the push's outcome; True when it waits for another try (throttled, or a retry is due)."""
        now = self.clock.now()
        self.metrics.pushes.labels(chat.platform, result.outcome).inc()
        if result.outcome == "ok":
            await self._finish(row, "sent", "")
            return False
        if result.outcome == "throttled":
            backoff = self.messengers[chat.platform].robot.backoff_seconds
            await pause(self.db, bucket, now + timedelta(seconds=backoff), now)
            log.warning("robot throttled (%s): pausing %s s", result.code, backoff, extra={"chat": chat.chat_id})
            await self._retry(row, now + timedelta(seconds=backoff), result, count=False)
            return True
        if result.outcome == "away":  # the long connection is down or held by another instance: nothing sent
            await self._retry(row, now + timedelta(seconds=5), result, count=False)
            return True
        if result.outcome == "unsure":  # cut off before the platform's ack: it may be shown; never sent twice
            log.error("push %s: the connection dropped before the ack; not resent", row.key)
            await self._finish(row, "unsure", "发送中断,平台无去重,未重发")
            return False
        if result.outcome == "quota":
            await pause(self.db, bucket, now + QUOTA_PAUSE, now)
            log.error("%s organisation API quota spent (%s): pausing pushes", chat.platform, result.code)
            await self._tell_admins(chat.class_group_id, None, f"quota:{chat.platform}:{now.date()}",
                                    QUOTA_TEXT.format(platform=self.messengers[chat.platform].word, code=result.code))
            await self._retry(row, now + QUOTA_PAUSE, result, count=False)
            return True
        if result.outcome == "config":
            log.error("robot refused by a security setting (%s): chat %s; admins told", result.code, chat.chat_id)
            text = CONFIG_TEXT.get(result.code, "{cls}的群机器人配置有误({code} {detail}),请核对推送地址和密钥。")
            await self._tell_admins(chat.class_group_id, chat.id, f"chat-config:{chat.id}:{result.code}:{now.date()}",
                                    text, code=result.code, detail=result.detail)
            await self._finish(row, "failed", f"{result.code} {result.detail}")
        elif result.outcome == "broken":
            log.error("robot refused (%s): chat %s marked broken", result.code, chat.chat_id)
            await self._mark_broken(chat, result)
            await self._finish(row, "failed", f"{result.code} {result.detail}")
        elif result.outcome == "retry" and row.attempts + 1 < MAX_ATTEMPTS:
            delay = min(600.0, 5 * 2 ** row.attempts) * random.uniform(0.8, 1.2)
            await self._retry(row, now + timedelta(seconds=delay), result, count=True)
            return True
        else:
            log.error("push %s failed for good: %s", row.key, result.code)
            await self._finish(row, "failed", f"{result.code} {result.detail}")
        return False

    async def _retry(self, row: OutboxMessage, at: datetime, result: SendResult, *, count: bool) -> None:
        async with self.db.transaction() as s:
            await s.execute(
                update(OutboxMessage).where(OutboxMessage.id == row.id).values(
                    state=waiting_state(row), next_attempt_at=at, claimed_by=None, claimed_until=None,
                    send_started_at=None,
                    attempts=OutboxMessage.attempts + (1 if count else 0), last_error=result.code[:300],
                )
            )

    async def _keep(self, rows: list[OutboxMessage], held: datetime) -> datetime | None:
        """Past half its lease, extend this pass's claim on the rest of a line; None if another worker took it.

        A slow platform (10 s a send) can make a line outlast the lease; without this another instance
        would claim the rest while it is still being sent.
        """
        now = self.clock.now()
        if held - now > LEASE / 2:
            return held
        async with self.db.transaction() as s:
            done = await s.execute(
                update(OutboxMessage)
                .where(OutboxMessage.id.in_([r.id for r in rows]), OutboxMessage.state == "sending",
                       OutboxMessage.claimed_by == self.instance)
                .values(claimed_until=now + LEASE))
        if getattr(done, "rowcount", 0) != len(rows):
            log.warning("outbox claim lapsed mid-line (%s pushes); leaving them to whoever holds them", len(rows))
            return None
        return now + LEASE

    async def _release(self, rows: list[OutboxMessage], at: datetime) -> None:
        """Hand claimed pushes back, unsent, to be claimed again from `at`."""
        if not rows:
            return
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

    async def _tell_admins(self, class_group_id: int | None, chat_ref: int | None, key: str, text: str,
                           **values: str) -> None:
        """Queue a notice to the admins and principals (of the class's school; all schools when none)."""
        async with self.db.transaction() as s:
            if class_group_id is not None:
                school_id, class_name = (await s.execute(
                    select(ClassGroup.school_id, ClassGroup.name).where(ClassGroup.id == class_group_id))).one()
                schools = [school_id]
            else:
                class_name, schools = "", list((await s.scalars(select(School.id))).all())
            message = text.format(cls=class_name, **values)
            admins = [a for school in schools for a in await staff_ids_with_role(s, school, ("admin", "principal"))]
            await enqueue(s, [Push(key=f"{key}:s{a}"[:200], text=message, staff_id=a) for a in admins],
                          self.clock.now())

    async def _deliver_private(self, rows: list[OutboxMessage]) -> int:
        """One-to-one pushes: each person's in order, people in parallel; no account or app -> no_channel."""
        if not rows:
            return 0
        async with self.db.transaction() as s:
            targets = await resolve(s, rows, [p for p, m in self.messengers.items() if m.private_ready])
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
        app = self.messengers[to.platform].app  # the app, or a long connection standing in for it
        # One window per person (20 per 60 s, as before) and one pause for the whole app, shared by instances.
        person = Bucket(f"{to.platform}-app:{to.user_id}", f"app-user:{to.platform}")
        whole_app = Bucket(f"{to.platform}-app", f"app:{to.platform}")
        delivered, held = 0, self.clock.now() + LEASE
        for index, row in enumerate(rows):
            kept = await self._keep(rows[index:], held)
            if kept is None:
                break
            held = kept
            if self._unsure(app, row):
                log.error("private push %s: a send was cut off mid-way and %s cannot drop a resend; not resent",
                          row.key, to.platform)
                self.metrics.pushes.labels(to.platform, "unsure").inc()
                await self._finish(row, "unsure", "发送中断,平台无去重,未重发")
                continue
            msg = Outgoing(row.key, row.text, markdown=row.markdown, image=row.image)
            parts, now = len(app.bodies(to.user_id, msg)), self.clock.now()
            if parts - row.parts_sent > PER_MINUTE:
                # A one-to-one send is marked started for crash safety and so cannot be spread over minutes.
                log.error("private push %s has %d parts, more than one minute's %d: not sent", row.key, parts,
                          PER_MINUTE)
                self.metrics.pushes.labels(to.platform, "failed").inc()
                await self._finish(row, "failed", f"消息过长({parts}段),超过每分钟{PER_MINUTE}条的限制")
                continue
            wait = None
            if app.per_hour:  # WeCom silently drops app messages past 1,000 an hour to one member
                wait = await reserve(self.db, hour_bucket(to.platform, to.user_id), parts - row.parts_sent, now,
                                     limit=app.per_hour, seconds=3600.0)
            if wait is None:
                wait = await reserve(self.db, person, parts - row.parts_sent, now, pauses=(whole_app,))
            if wait is not None:
                await self._release(rows[index:], wait)
                break
            await self._mark_started(row)

            async def went(done: int, row: OutboxMessage = row, parts: int = parts) -> None:
                await self._progress(row, done, parts)

            result = await app.send(to.user_id, msg, done=row.parts_sent, on_part=went)
            self.metrics.pushes.labels(to.platform, result.outcome).inc()
            if result.outcome == "ok":
                await self._finish(row, "sent", "")
                delivered += 1
                continue
            if result.outcome == "throttled":
                until = now + timedelta(seconds=app.backoff_seconds)
                await pause(self.db, whole_app, until, now)
                log.warning("%s app throttled (%s): pausing %s s", to.platform, result.code, app.backoff_seconds)
                await self._retry(row, until, result, count=False)
                await self._release(rows[index + 1:], until)
                break
            if result.outcome == "away":  # the long connection is down or held elsewhere: nothing was sent
                await self._retry(row, self.clock.now() + timedelta(seconds=5), result, count=False)
                await self._release(rows[index + 1:], self.clock.now() + timedelta(seconds=5))
                break
            if result.outcome == "quota":
                until = now + QUOTA_PAUSE
                await pause(self.db, whole_app, until, now)
                log.error("%s organisation API quota spent (%s): pausing app pushes", to.platform, result.code)
                await self._tell_admins(None, None, f"quota:{to.platform}:{now.date()}",
                                        QUOTA_TEXT.format(platform=self.messengers[to.platform].word, code=result.code))
                await self._retry(row, until, result, count=False)
                await self._release(rows[index + 1:], until)
                break
            if result.outcome == "config":
                log.error("%s app refused by a configuration check (%s %s); admins told", to.platform, result.code,
                          result.detail)
                text = CONFIG_TEXT.get(result.code, "应用消息配置有误({code} {detail}),请核对应用设置。")
                await self._tell_admins(None, None, f"app-config:{to.platform}:{result.code}:{now.date()}", text,
                                        code=result.code, detail=result.detail)
            if await self._record_failure(row, result):
                await self._release(rows[index + 1:], self.clock.now())  # the person's line waits behind it
                break
        return delivered

    def _unsure(self, app: PrivateMessenger, row: OutboxMessage) -> bool:
        """A send began before a crash and was never recorded: resend only inside the platform's dedupe window."""
        started = row.send_started_at
        if started is None:
            return False
        started = started.replace(tzinfo=UTC) if started.tzinfo is None else started
        window = app.dedupe if row.image is None else timedelta(0)  # a re-uploaded image is a new message
        return self.clock.now() - started >= window - timedelta(seconds=60)

    async def _progress(self, row: OutboxMessage, done: int, parts: int) -> None:
        """Parts `1..done` of a multi-part push went through (the last one is recorded as `sent`)."""
        if done < parts:
            async with self.db.transaction() as s:
                await s.execute(update(OutboxMessage).where(OutboxMessage.id == row.id).values(parts_sent=done))

    async def _mark_started(self, row: OutboxMessage) -> None:
        async with self.db.transaction() as s:
            await s.execute(update(OutboxMessage).where(OutboxMessage.id == row.id)
                            .values(send_started_at=self.clock.now().astimezone(UTC)))

    async def _record_failure(self, row: OutboxMessage, result: SendResult) -> bool:
        """Retry later (True) or give up on the push (False)."""
        if result.outcome == "retry" and row.attempts + 1 < MAX_ATTEMPTS:
            delay = min(600.0, 5 * 2 ** row.attempts) * random.uniform(0.8, 1.2)
            await self._retry(row, self.clock.now() + timedelta(seconds=delay), result, count=True)
            return True
        log.error("push %s failed for good: %s %s", row.key, result.code, result.detail)
        await self._finish(row, "failed", f"{result.code} {result.detail}")
        return False

    async def _gauge(self) -> None:
        async with self.db.transaction() as s:
            await self.metrics.refresh_outbox(s, self.clock.now())


def hour_bucket(platform: str, user_id: str) -> Bucket:
    """The hourly window of one person's one-to-one pushes, on a platform that caps them (`per_hour`)."""
    return Bucket(f"{platform}-app-hour:{user_id}", f"app-user-hour:{platform}")


def waiting_state(row: OutboxMessage) -> str:
    """The state a push waits in: group pushes 'queued', one-to-one pushes 'private'."""
    return "queued" if row.chat_ref is not None else "private"
