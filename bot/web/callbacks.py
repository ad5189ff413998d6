"""`/wecom/callback` and `/dingtalk/callback`: verify, dedupe (in the pipeline), answer fast.

A reply ready within the budget goes back in the HTTP answer (encrypted for WeCom); otherwise the
callback is answered 200 at once and the reply is posted later to response_url / the session webhook
by a tracked task that shutdown drains. Bad input is a 4xx and one log line, never a 500.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
from aiohttp import web
from sqlalchemy.exc import SQLAlchemyError

from bot.app import SERVICES
from bot.domain.messages import IncomingMessage, Push
from bot.pipeline import Outcome
from bot.platforms import Rejected, dingtalk, wecom

log = logging.getLogger(__name__)

WECOM_CRYPTO = web.AppKey("wecom_crypto", wecom.WecomCrypto)
HTTP = web.AppKey("http_client", aiohttp.ClientSession)
TASKS: web.AppKey[set[asyncio.Task[Any]]] = web.AppKey("background_tasks")
BUDGET = web.AppKey("reply_budget", float)


def _reject(request: web.Request, platform: str, exc: Rejected) -> web.Response:
    log.warning("%s callback rejected: %s", platform, exc.reason,
                extra={"remote": request.remote, "status": exc.status})
    request.app[SERVICES].metrics.rejected.labels(platform, str(exc.status)).inc()
    return web.Response(status=exc.status, text="rejected")


async def _body(request: web.Request) -> bytes:
    try:
        return await request.read()
    except web.HTTPRequestEntityTooLarge:
        raise Rejected(413, "body too large") from None


async def _answer(request: web.Request, msg: IncomingMessage, post_later: Any) -> Outcome | None:
    """Run the pipeline; None if it is not done within the budget (then `post_later` sends the reply)."""
    services = request.app[SERVICES]
    task = asyncio.create_task(services.pipeline.handle_message(msg))
    tasks: set[asyncio.Task[Any]] = request.app[TASKS]
    tasks.add(task)
    task.add_done_callback(tasks.discard)
    task.add_done_callback(lambda done: _private_follow_up(request.app, msg, done))
    try:
        return await asyncio.wait_for(asyncio.shield(task), request.app[BUDGET])
    except TimeoutError:
        follow = asyncio.create_task(_post_when_done(request.app, task, post_later))
        tasks.add(follow)
        follow.add_done_callback(tasks.discard)
        return None


async def _post_when_done(app: web.Application, task: asyncio.Task[Outcome], post_later: Any) -> None:
    outcome = await task
    url, body = post_later(outcome)
    if not url or body is None:
        return
    try:
        async with app[HTTP].post(url, json=body, timeout=aiohttp.ClientTimeout(total=10)) as resp:
            if resp.status != 200:
                log.warning("late reply answered HTTP %s", resp.status)
                return
            # Both platforms answer HTTP 200 with an errcode (45009/410100 too fast, 93000/310000 robot gone).
            answer = await resp.json(content_type=None)
            code = answer.get("errcode", 0) if isinstance(answer, dict) else 0
            if code not in (0, "0"):
                log.warning("late reply refused: errcode %s %s", code, str(answer.get("errmsg", ""))[:100])
    except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
        log.warning("late reply failed: %s", type(exc).__name__)


def _private_follow_up(app: web.Application, msg: IncomingMessage, done: asyncio.Task[Outcome]) -> None:
    """When the pipeline finished with a private answer to a group message, queue it (tracked task)."""
    if done.cancelled() or done.exception() is not None or not done.result().reply.private:
        return
    task = asyncio.create_task(queue_private_reply(app, msg, done.result()))
    tasks: set[asyncio.Task[Any]] = app[TASKS]
    tasks.add(task)
    task.add_done_callback(tasks.discard)


async def queue_private_reply(app: web.Application, msg: IncomingMessage, outcome: Outcome) -> None:
    """A private answer to a group message goes to the outbox for the sender (idempotent by message id)."""
    actor = outcome.actor
    if not (outcome.reply.private and msg.is_group) or actor is None:
        return
    if actor.staff_id is None and actor.guardian_id is None:
        return
    push = Push(key=f"private-reply:{msg.platform}:{msg.message_id}"[:200], text=outcome.reply.text,
                staff_id=actor.staff_id, guardian_id=None if actor.staff_id is not None else actor.guardian_id)
    services = app[SERVICES]
    try:
        async with services.db.transaction() as session:
            await services.pipeline.queue_pushes(session, [push])
    except SQLAlchemyError as exc:
        log.error("private reply not queued: %s", type(exc).__name__, extra={"message_id": msg.message_id})


def _group_text(outcome: Outcome, msg: IncomingMessage) -> str:
    """What may be said where the message came from: a private answer is not posted in a group."""
    if outcome.reply.private and msg.is_group:
        return "已收到,详细信息不便在群里显示,请查看与托管助手的私聊。"
    return outcome.reply.text


async def wecom_verify(request: web.Request) -> web.Response:
    crypto = request.app.get(WECOM_CRYPTO)
    if crypto is None:
        return _reject(request, "wecom", Rejected(403, "WeCom not configured"))
    q = request.query
    try:
        wecom.check_fresh(q.get("timestamp", ""), request.app[SERVICES].clock.now())
        echostr = q.get("echostr", "")
        try:
            plain = crypto.verify_url(q.get("msg_signature", ""), q.get("timestamp", ""), q.get("nonce", ""), echostr)
        except Rejected:
            # An echostr sent with a raw '+' arrives as a space after URL decoding.
            if " " not in echostr:
                raise
            plain = crypto.verify_url(q.get("msg_signature", ""), q.get("timestamp", ""), q.get("nonce", ""),
                                      echostr.replace(" ", "+"))
    except Rejected as exc:
        return _reject(request, "wecom", exc)
    return web.Response(text=plain)


async def wecom_callback(request: web.Request) -> web.Response:
    crypto = request.app.get(WECOM_CRYPTO)
    if crypto is None:
        return _reject(request, "wecom", Rejected(403, "WeCom not configured"))
    services = request.app[SERVICES]
    q = request.query
    try:
        wecom.check_fresh(q.get("timestamp", ""), services.clock.now())
        kind, encrypted = wecom.encrypted_field(await _body(request), request.content_type)
        plain = crypto.decrypt(encrypted, q.get("msg_signature", ""), q.get("timestamp", ""), q.get("nonce", ""))
        parse = wecom.parse_ai_bot if kind == wecom.AI_BOT else wecom.parse_group_robot
        inbound = parse(plain, services.clock.now(), services.settings.wecom.bot_name)
    except Rejected as exc:
        return _reject(request, "wecom", exc)
    msg = inbound.message
    if msg is None and inbound.notice_body is not None:  # a picture alone, enter_chat: a short fixed answer
        timestamp = str(int(services.clock.now().timestamp()))
        return web.json_response(crypto.encrypt(json.dumps(inbound.notice_body, ensure_ascii=False), timestamp))
    if msg is None:
        return web.Response(text="")

    def later(outcome: Outcome) -> tuple[str | None, dict[str, Any] | None]:
        mentions = outcome.reply.mention_user_ids
        return inbound.reply_to, wecom.active_reply(kind, _group_text(outcome, msg), mentions)

    outcome = await _answer(request, msg, later)
    if outcome is None:
        return web.Response(text="")
    plaintext = wecom.passive_plaintext(kind, msg.message_id, _group_text(outcome, msg), outcome.reply.mention_user_ids)
    timestamp = str(int(services.clock.now().timestamp()))
    sealed = crypto.encrypt(plaintext, timestamp)
    if kind == wecom.AI_BOT:
        return web.json_response(sealed)
    xml = (
        f"<xml><Encrypt><![CDATA[{sealed['encrypt']}]]></Encrypt>"
        f"<MsgSignature><![CDATA[{sealed['msgsignature']}]]></MsgSignature>"
        f"<TimeStamp>{sealed['timestamp']}</TimeStamp><Nonce><![CDATA[{sealed['nonce']}]]></Nonce></xml>"
    )
    return web.Response(text=xml, content_type="application/xml")


async def dingtalk_callback(request: web.Request) -> web.Response:
    services = request.app[SERVICES]
    try:
        dingtalk.verify(request.headers, services.settings.dingtalk.app_secret.get_secret_value(), services.clock.now())
        inbound = dingtalk.parse(await _body(request), services.clock.now())
    except Rejected as exc:
        return _reject(request, "dingtalk", exc)
    msg = inbound.message
    if msg is None:
        body = dingtalk.reply_body(inbound.notice or None)
        return web.Response(text=json.dumps(body, ensure_ascii=False), content_type="application/json")

    def later(outcome: Outcome) -> tuple[str | None, dict[str, Any] | None]:
        return inbound.session_webhook, dingtalk.reply_body(_group_text(outcome, msg), outcome.reply.mention_user_ids)

    outcome = await _answer(request, msg, later)
    if outcome is None:
        return web.json_response(dingtalk.reply_body(None))
    body = dingtalk.reply_body(_group_text(outcome, msg), outcome.reply.mention_user_ids)
    return web.Response(text=json.dumps(body, ensure_ascii=False), content_type="application/json")


def setup_callbacks(app: web.Application) -> None:
    settings = app[SERVICES].settings
    if settings.wecom.configured:
        app[WECOM_CRYPTO] = wecom.WecomCrypto(
            settings.wecom.token.get_secret_value(), settings.wecom.encoding_aes_key.get_secret_value(),
            settings.wecom.corp_id,
        )
    app[TASKS] = set()
    app[BUDGET] = settings.server.reply_budget_seconds

    async def client_ctx(app: web.Application) -> AsyncIterator[None]:
        app[HTTP] = aiohttp.ClientSession()
        yield
        running: set[asyncio.Task[Any]] = app[TASKS]
        deadline = asyncio.get_running_loop().time() + 15
        while running and (left := deadline - asyncio.get_running_loop().time()) > 0:
            log.info("draining %d background replies", len(running))
            await asyncio.wait(set(running), timeout=left)  # follow-ups may add tasks: loop until none
        await app[HTTP].close()

    app.cleanup_ctx.append(client_ctx)
    app.router.add_get("/wecom/callback", wecom_verify)
    app.router.add_post("/wecom/callback", wecom_callback)
    app.router.add_post("/dingtalk/callback", dingtalk_callback)
