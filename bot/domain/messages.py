"""The one normalised message every platform adapter produces, and the reply the pipeline returns."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any


class Platform(StrEnum):
    WECOM = "wecom"
    DINGTALK = "dingtalk"
    SIM = "sim"


@dataclass(frozen=True, slots=True)
class IncomingMessage:
    """A message addressed to the bot, already stripped of the @-mention and odd whitespace."""

    platform: Platform
    chat_id: str
    sender_id: str
    text: str
    message_id: str
    received_at: datetime
    sender_name: str = ""
    is_group: bool = True
    # Where an asynchronous answer may be posted (WeCom response_url, DingTalk sessionWebhook), the body
    # shape it takes (e.g. "wecom_ai_bot", "wecom_group_robot", "dingtalk") and until when it is valid.
    reply_url: str | None = None
    reply_kind: str = ""
    reply_expires_at: datetime | None = None


REFUSED = "refused"
NOT_ALLOWED = "not_allowed"


@dataclass(frozen=True, slots=True)
class Reply:
    """What the bot answers to one message.

    `text` goes back where the message came from; `private` is sent one-to-one to the sender
    (used when the answer holds data a class group must not see). `mention_user_ids` are
    platform user ids to @-mention in a group answer.
    """

    text: str
    private: bool = False
    mention_user_ids: tuple[str, ...] = field(default_factory=tuple)
    # Why the command was refused, for the metrics and the log (nothing was recorded): REFUSED when it
    # cannot be done as asked (unknown child, no care that day, a detail missing), NOT_ALLOWED when it is
    # not the sender's to do (another family's child, another class). None when the command was carried out.
    refused: str | None = None

    @classmethod
    def refusal(cls, text: str, *, not_allowed: bool = False, private: bool = False) -> Reply:
        return cls(text, private=private, refused=NOT_ALLOWED if not_allowed else REFUSED)


@dataclass(frozen=True, slots=True)
class Push:
    """A message the bot sends on its own: to a class group, or privately to one person.

    `key` makes it idempotent: the same key is delivered at most once, whoever queues it.
    Exactly one of `chat_ref` (a chats.id), `staff_id`, `guardian_id` names the target; a late reply with
    a `reply_url` may have none.
    `image_png` (PNG or JPEG bytes, at most 2 MB) follows the text as an image message where the
    platform channel has one (WeCom); elsewhere only the text goes out.
    """

    key: str
    text: str
    chat_ref: int | None = None
    staff_id: int | None = None
    guardian_id: int | None = None
    mention_user_ids: tuple[str, ...] = ()
    mention_phones: tuple[str, ...] = ()
    markdown: bool = False
    image_png: bytes | None = None
    # A late reply to a message: posted to its reply route (e.g. "wecom_ai_bot" to a response_url) while
    # valid; the target above, if any, gets it instead once the route has expired or refused it.
    reply_url: str | None = None
    reply_kind: str = ""
    reply_expires_at: datetime | None = None


class Accepted(ABC):
    """A message taken in by `Receive`: durably stored before `receive` returned.

    Only then may a platform be acknowledged (HTTP 200, a stream frame's ack). `fresh` is False for a
    message already received (a platform retry, a replay): it is answered from the record, never re-run.
    """

    fresh: bool

    @abstractmethod
    async def answer(self, within: float) -> Reply | None:
        """What to say back where the message came from, if ready within `within` seconds.

        The reply is safe for where it goes (a private answer to a group message is already queued for
        the sender; the group gets a short note). None: not ready in time, and the inbox now owns the
        reply (posted later by the message's reply route while valid, else to the chat or privately).
        """


# What bootstrap hands every inbound adapter (HTTP callbacks, long connections): they never import the pipeline.
Receive = Callable[[IncomingMessage], Awaitable[Accepted]]


def to_record(msg: IncomingMessage) -> dict[str, Any]:
    """The message as the inbox keeps it: enough to handle it and answer it after a restart."""
    return {
        "platform": str(msg.platform),
        "chat_id": msg.chat_id,
        "sender_id": msg.sender_id,
        "text": msg.text,
        "message_id": msg.message_id,
        "received_at": msg.received_at.isoformat(),
        "sender_name": msg.sender_name,
        "is_group": msg.is_group,
        "reply_url": msg.reply_url,
        "reply_kind": msg.reply_kind,
        "reply_expires_at": msg.reply_expires_at.isoformat() if msg.reply_expires_at else None,
    }


def from_record(data: dict[str, Any]) -> IncomingMessage:
    expires = data.get("reply_expires_at")
    return IncomingMessage(
        platform=Platform(data["platform"]),
        chat_id=data["chat_id"],
        sender_id=data["sender_id"],
        text=data["text"],
        message_id=data["message_id"],
        received_at=datetime.fromisoformat(data["received_at"]),
        sender_name=data.get("sender_name", ""),
        is_group=bool(data.get("is_group", True)),
        reply_url=data.get("reply_url"),
        reply_kind=data.get("reply_kind", ""),
        reply_expires_at=datetime.fromisoformat(expires) if expires else None,
    )
