"""STAND-IN for the durable inbox (bot/inbox.py, being built by the lead): `Receive` over `pipeline.handle_message`.

Delete this module when the inbox lands on main, and hand its `receive` to the long connections instead
(bot/connections.py is the only user).

`handle_message` records the message and everything it changed in one unit of work, so when it has returned
the message is durably stored and may be acknowledged. Unlike the inbox, this runs the whole pipeline before
`receive` returns (the inbox stores first and answers later). A message the pipeline could not store (the
database away past its retries) raises NotStored: the platform is not acknowledged.
"""

from __future__ import annotations

import logging

from sqlalchemy.exc import SQLAlchemyError

from bot.domain.messages import Accepted, IncomingMessage, Push, Receive, Reply
from bot.pipeline import Outcome, Pipeline
from bot.store.db import Database

log = logging.getLogger(__name__)

PRIVATE_NOTE = "已收到,详细信息不便在群里显示,请查看与托管助手的私聊。"


class NotStored(Exception):
    """The message was not recorded: do not acknowledge it."""


class AnsweredFromPipeline(Accepted):
    def __init__(self, reply: Reply, fresh: bool) -> None:
        self.reply, self.fresh = reply, fresh

    async def answer(self, within: float) -> Reply | None:
        return self.reply


def group_safe(outcome: Outcome, msg: IncomingMessage) -> Reply:
    """What may be said where the message came from: a private answer is not posted in a group."""
    if outcome.reply.private and msg.is_group:
        return Reply(PRIVATE_NOTE)
    return Reply(outcome.reply.text, mention_user_ids=outcome.reply.mention_user_ids)


def pipeline_receive(pipeline: Pipeline, db: Database) -> Receive:
    async def receive(msg: IncomingMessage) -> Accepted:
        outcome = await pipeline.handle_message(msg)
        if outcome.result == "error":
            raise NotStored(msg.message_id)
        if outcome.reply.private and msg.is_group and outcome.actor is not None \
                and (outcome.actor.staff_id is not None or outcome.actor.guardian_id is not None):
            actor = outcome.actor
            push = Push(key=f"private-reply:{msg.platform}:{msg.message_id}"[:200], text=outcome.reply.text,
                        staff_id=actor.staff_id, guardian_id=None if actor.staff_id is not None else actor.guardian_id)
            try:
                async with db.transaction() as session:
                    await pipeline.queue_pushes(session, [push])
            except SQLAlchemyError as exc:
                log.error("private reply not queued: %s", type(exc).__name__, extra={"message_id": msg.message_id})
        return AnsweredFromPipeline(group_safe(outcome, msg), fresh=outcome.result != "duplicate")

    return receive
