"""The two kinds of line the outbox delivers, each one push at a time: a class group (its robot, or its 群ID
over a long connection) and a person (one-to-one, over the platform's app or a long connection standing in).

A line checks a push, reserves its sends in the shared budget and sends it; what the outcome means is the
worker's one rule (`OutboxWorker.settle`), the same for both.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from bot.domain.outbox import ClaimedPush, PushChat
from bot.domain.privacy import mask_phones
from bot.outbox.port import Step, Worker
from bot.outbox.privacy import group_safe_bodies
from bot.outbox.private import Recipient
from bot.outbox.texts import APP_CONFIG, ROBOT_CONFIG, UNSURE_NOTE
from bot.platforms.base import GroupMessenger, Outgoing, PlatformMessengers, SendResult
from bot.store.budgets import PER_MINUTE, Bucket, reserve

log = logging.getLogger(__name__)


def hour_bucket(platform: str, user_id: str) -> Bucket:
    """The hourly window of one person's one-to-one pushes, on a platform that caps them (`per_hour`)."""
    return Bucket(f"{platform}-app-hour:{user_id}", f"app-user-hour:{platform}")


class ChatLine:
    """One class group's pushes, through its custom robot or, without one, the platform's link by 群ID."""

    def __init__(self, worker: Worker, chat: PushChat | None) -> None:
        self.worker, self.chat = worker, chat
        self.platform = chat.platform if chat is not None else "none"
        self.class_group_id = chat.class_group_id if chat is not None else None
        self.config_default = ROBOT_CONFIG
        if chat is None or chat.broken_reason:
            return
        self.messengers: PlatformMessengers = worker.messengers[chat.platform]
        self.backoff = self.messengers.robot.backoff_seconds
        self.robot: GroupMessenger | None = self.messengers.robot
        self.address, self.bucket = (
            chat.webhook,
            Bucket(f"{chat.platform}-link:{chat.chat_id}", f"link:{chat.platform}"),
        )
        if chat.webhook:
            self.bucket = Bucket(self.messengers.robot.identity(chat.webhook), f"robot:{chat.platform}")
        else:  # a 群ID, no custom robot: the long connection / app robot (none: the simulator shows it)
            self.robot, self.address = self.messengers.link, chat.chat_id
        self.what = "robot"

    def config_key(self, code: str, now: datetime) -> str:
        return f"chat-config:{self.chat.id if self.chat else 0}:{code}:{now.date()}"

    async def deliver(self, push: ClaimedPush) -> Step:
        chat, worker = self.chat, self.worker
        if chat is None or chat.broken_reason:
            await worker.finish(push, "failed", f"群不可用: {chat.broken_reason if chat else '不存在'}")
            return Step()
        if self.robot is None:
            # No robot configured: the local simulator/console shows it instead of a platform.
            log.info("push to %s (simulator only): %s", chat.chat_id, mask_phones(push.text)[0][:80])
            await worker.finish(push, "sent", "simulator")
            worker.metrics.pushes.labels(chat.platform, "simulator").inc()
            return Step(delivered=True)
        result = await self._send(push)
        if isinstance(result, datetime):  # the robot is at its limit: hand the rest back, in order
            return Step(again_from=result)
        return await worker.settle(self, push, result)

    async def _send(self, push: ClaimedPush) -> SendResult | datetime:
        """Every body of one push, once the shared budget has room for all of them; else when it will."""
        assert self.chat is not None and self.robot is not None
        clock, robot = self.worker.clock, self.robot
        msg = Outgoing(
            push.key, push.text, push.mention_user_ids, push.mention_phones, push.markdown, push.image
        )
        bodies = group_safe_bodies(robot, msg)  # every group push passes here: no phone in its text
        # More than a minute's worth (over ~40 KB of text) goes out 20 parts a minute, resuming after the
        # parts already shown; a push that big would otherwise wait for a window it can never fit.
        batch = min(len(bodies) - push.parts_sent, PER_MINUTE)
        wait = await reserve(self.worker.db, self.bucket, batch, clock.now())
        if wait is not None:
            return wait
        result = SendResult("ok", "0")
        last = push.parts_sent + batch
        for done, body in enumerate(bodies[push.parts_sent : last], start=push.parts_sent + 1):
            result = await robot.send_body(
                self.address, self.chat.webhook_secret, body, push.key, clock.now()
            )
            if result.outcome != "ok":
                break
            await self.worker.progress(push, done, len(bodies))
        if result.outcome == "ok" and last < len(bodies):
            push.parts_sent = last
            return clock.now() + timedelta(seconds=60)  # the rest when this minute's window has passed
        return result


class PersonLine:
    """One person's one-to-one pushes, over the platform's app (or a long connection standing in for it)."""

    def __init__(self, worker: Worker, to: Recipient) -> None:
        self.worker, self.to, self.platform = worker, to, to.platform
        self.chat: PushChat | None = None
        self.class_group_id: int | None = None  # admins of every school hear of the app's problems
        self.config_default = APP_CONFIG
        self.app = worker.messengers[to.platform].app
        self.backoff = self.app.backoff_seconds
        # One window per person (20 per 60 s) and one pause for the whole app, shared by instances.
        self.person = Bucket(f"{to.platform}-app:{to.user_id}", f"app-user:{to.platform}")
        self.bucket = Bucket(f"{to.platform}-app", f"app:{to.platform}")
        self.what = f"{to.platform} app"

    def config_key(self, code: str, now: datetime) -> str:
        return f"app-config:{self.platform}:{code}:{now.date()}"

    async def deliver(self, push: ClaimedPush) -> Step:
        worker, app, to = self.worker, self.app, self.to
        if self._unsure(push):
            log.error(
                "private push %s: a send was cut off mid-way and %s cannot drop a resend; not resent",
                push.key,
                to.platform,
            )
            worker.metrics.pushes.labels(to.platform, "unsure").inc()
            await worker.finish(push, "unsure", UNSURE_NOTE)
            return Step()
        msg = Outgoing(push.key, push.text, markdown=push.markdown, image=push.image)
        parts, now = len(app.bodies(to.user_id, msg)), worker.clock.now()
        if parts - push.parts_sent > PER_MINUTE:
            # A one-to-one send is marked started for crash safety and so cannot be spread over minutes.
            log.error(
                "private push %s has %d parts, more than one minute's %d: not sent",
                push.key,
                parts,
                PER_MINUTE,
            )
            worker.metrics.pushes.labels(to.platform, "failed").inc()
            await worker.finish(push, "failed", f"消息过长({parts}段),超过每分钟{PER_MINUTE}条的限制")
            return Step()
        wait = None
        if app.per_hour:  # WeCom silently drops app messages past 1,000 an hour to one member
            wait = await reserve(
                worker.db,
                hour_bucket(to.platform, to.user_id),
                parts - push.parts_sent,
                now,
                limit=app.per_hour,
                seconds=3600.0,
            )
        if wait is None:
            wait = await reserve(worker.db, self.person, parts - push.parts_sent, now, pauses=(self.bucket,))
        if wait is not None:
            return Step(again_from=wait)
        await worker.started(push)

        async def went(done: int) -> None:
            await worker.progress(push, done, parts)

        return await worker.settle(
            self, push, await app.send(to.user_id, msg, done=push.parts_sent, on_part=went)
        )

    def _unsure(self, push: ClaimedPush) -> bool:
        """A send began before a crash and was never recorded: resend only inside the platform's dedupe window."""
        if push.send_started_at is None:
            return False
        window = (
            self.app.dedupe if push.image is None else timedelta(0)
        )  # a re-uploaded image is a new message
        return self.worker.clock.now() - push.send_started_at >= window - timedelta(seconds=60)
