"""The one statement a message starts with: its dedupe record, the sender's account and the chat."""

from __future__ import annotations

from bot.demo import CHAT_32
from bot.domain.actors import Role
from bot.domain.messages import IncomingMessage, Platform
from bot.store.db import Database
from bot.store.people import actor_of, first_look, identify
from bot.store.proposals import Who
from tests.integration.care_day import demo_services


async def test_first_look_matches_the_separate_lookups(db: Database) -> None:
    services = await demo_services(db)
    async with db.transaction() as s:
        look = await first_look(s, "wecom", "never-seen", "parent-li", CHAT_32)
        assert look.seen is None and look.chat is not None and look.chat.chat_id == CHAT_32
        assert await actor_of(s, "wecom", "parent-li", look.account) == await identify(
            s, "wecom", "parent-li"
        )
        teacher = await first_look(s, "wecom", "never-seen", "teacher-li", CHAT_32)
        assert Role.HEAD_TEACHER in (await actor_of(s, "wecom", "teacher-li", teacher.account)).roles
        stranger = await first_look(s, "wecom", "never-seen", "nobody", "no-such-chat")
        assert stranger.account is None and stranger.chat is None
        assert not (await actor_of(s, "wecom", "nobody", None)).is_known
        other_platform = await first_look(s, "dingtalk", "never-seen", "parent-li", CHAT_32)
        assert other_platform.account is None and other_platform.chat is None

    msg = IncomingMessage(Platform.WECOM, CHAT_32, "parent-li", "请假 明天", "msg-once", services.clock.now())
    first = await services.pipeline.handle_message(msg)
    async with db.transaction() as s:
        look = await first_look(s, "wecom", "msg-once", "parent-li", CHAT_32)
    assert look.seen == (first.reply.text, first.reply.private, first.command)


async def test_first_look_sees_the_senders_pending_proposal_in_this_chat_only(db: Database) -> None:
    services = await demo_services(db)
    now = services.clock.now()
    async with db.unit_of_work() as uow:
        await uow.proposals.remember(
            Who("wecom", CHAT_32, "parent-li"), ["王小明 请假 明天"], "是这样吗?", "m-1", now
        )
    async with db.transaction() as s:
        assert (await first_look(s, "wecom", "m-2", "parent-li", CHAT_32)).proposal
        assert not (await first_look(s, "wecom", "m-2", "parent-liu", CHAT_32)).proposal
        assert not (await first_look(s, "wecom", "m-2", "parent-li", "demo-5-1")).proposal
        assert not (await first_look(s, "dingtalk", "m-2", "parent-li", CHAT_32)).proposal
    # Any other message from that sender there drops it; the next one finds nothing pending.
    msg = IncomingMessage(Platform.WECOM, CHAT_32, "parent-li", "查询", "m-3", now)
    await services.pipeline.handle_message(msg)
    async with db.transaction() as s:
        assert not (await first_look(s, "wecom", "m-4", "parent-li", CHAT_32)).proposal
