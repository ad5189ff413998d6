"""`/wecom/callback` and `/dingtalk/callback`: verify, dedupe (in the pipeline), answer fast.

Every message is written to the durable inbox before the callback is answered. A reply ready within the
budget goes back in the HTTP answer (encrypted for WeCom); otherwise the callback is answered 200 and the
reply goes through the outbox to response_url / the session webhook (or the group, or the sender) once the
message is handled. Bad input is a 4xx and one log line, never a 500; a database that stays away is a 503,
so the platform retries.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator

from aiohttp import web

from bot.domain.messages import IncomingMessage, Reply
from bot.platforms import Rejected, dingtalk, wecom
from bot.store.signs import claim_sign
from bot.web.keys import SERVICES

log = logging.getLogger(__name__)

WECOM_CRYPTO = web.AppKey("wecom_crypto", wecom.WecomCrypto)
BUDGET = web.AppKey("reply_budget", float)


def _reject(request: web.Request, platform: str, exc: Rejected) -> web.Response:
    log.warning(
        "%s callback rejected: %s",
        platform,
        exc.reason,
        extra={"remote": request.remote, "status": exc.status},
    )
    request.app[SERVICES].metrics.rejected.labels(platform, str(exc.status)).inc()
    return web.Response(status=exc.status, text="rejected")


async def _body(request: web.Request) -> bytes:
    try:
        return await request.read()
    except web.HTTPRequestEntityTooLarge:
        raise Rejected(413, "body too large") from None


async def _answer(request: web.Request, msg: IncomingMessage) -> Reply | None:
    """Take the message into the inbox (durable before we answer 200), then its reply if ready in time.

    None: not ready within the budget; the inbox queues the reply for the late route when it is handled.
    """
    budget = request.app[BUDGET]
    started = asyncio.get_running_loop().time()
    try:
        # Stored and answered within one budget, or refused: the platform needs its answer in time (WeCom: 5 s).
        accepted = await request.app[SERVICES].inbox.receive(msg, store_within=budget)
        return await accepted.answer(max(0.0, budget - (asyncio.get_running_loop().time() - started)))
    except Exception:
        # Not stored, or the reply's route could not be settled (the database went away): not acknowledged,
        # so the platform retries, and the retry is answered from the inbox (never run twice).
        log.exception("message not taken in", extra={"message_id": msg.message_id})
        raise web.HTTPServiceUnavailable(text="try again") from None


async def wecom_verify(request: web.Request) -> web.Response:
    crypto = request.app.get(WECOM_CRYPTO)
    if crypto is None:
        return _reject(request, "wecom", Rejected(403, "WeCom not configured"))
    q = request.query
    try:
        wecom.check_fresh(q.get("timestamp", ""), request.app[SERVICES].clock.now())
        echostr = q.get("echostr", "")
        try:
            plain = crypto.verify_url(
                q.get("msg_signature", ""), q.get("timestamp", ""), q.get("nonce", ""), echostr
            )
        except Rejected:
            # An echostr sent with a raw '+' arrives as a space after URL decoding.
            if " " not in echostr:
                raise
            plain = crypto.verify_url(
                q.get("msg_signature", ""),
                q.get("timestamp", ""),
                q.get("nonce", ""),
                echostr.replace(" ", "+"),
            )
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
        plain = crypto.decrypt(
            encrypted, q.get("msg_signature", ""), q.get("timestamp", ""), q.get("nonce", "")
        )
        parse = wecom.parse_ai_bot if kind == wecom.AI_BOT else wecom.parse_group_robot
        inbound = parse(
            plain, services.clock.now(), services.settings.wecom.bot_name, services.settings.wecom.api_base
        )
    except Rejected as exc:
        return _reject(request, "wecom", exc)
    msg = inbound.message
    if msg is None and inbound.notice_body is not None:  # a picture alone, enter_chat: a short fixed answer
        timestamp = str(int(services.clock.now().timestamp()))
        return web.json_response(
            crypto.encrypt(json.dumps(inbound.notice_body, ensure_ascii=False), timestamp)
        )
    if msg is None:
        return web.Response(text="")
    reply = await _answer(request, msg)
    if reply is None:
        return web.Response(text="")
    plaintext = wecom.passive_plaintext(kind, msg.message_id, reply.text, reply.mention_user_ids)
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
        dingtalk.verify(
            request.headers, services.settings.dingtalk.app_secret.get_secret_value(), services.clock.now()
        )
        inbound = dingtalk.parse(await _body(request), services.clock.now(), services.settings.dingtalk)
        await claim_sign(
            services.db,
            "dingtalk",
            request.headers["timestamp"],
            request.headers["sign"],
            inbound.message_id,
            services.clock.now(),
        )
    except Rejected as exc:
        return _reject(request, "dingtalk", exc)
    msg = inbound.message
    if msg is None:
        body = dingtalk.reply_body(inbound.notice or None)
        return web.Response(text=json.dumps(body, ensure_ascii=False), content_type="application/json")
    reply = await _answer(request, msg)
    if reply is None:
        return web.json_response(dingtalk.reply_body(None))
    body = dingtalk.reply_body(reply.text, reply.mention_user_ids)
    return web.Response(text=json.dumps(body, ensure_ascii=False), content_type="application/json")


def setup_callbacks(app: web.Application) -> None:
    settings = app[SERVICES].settings
    if settings.wecom.configured:
        app[WECOM_CRYPTO] = wecom.WecomCrypto(
            settings.wecom.token.get_secret_value(),
            settings.wecom.encoding_aes_key.get_secret_value(),
            settings.wecom.corp_id,
        )
    app[BUDGET] = settings.server.reply_budget_seconds

    async def drain_ctx(app: web.Application) -> AsyncIterator[None]:
        yield
        await app[SERVICES].inbox.drain(15)  # messages being handled finish (their late replies are queued)

    app.cleanup_ctx.append(drain_ctx)
    app.router.add_get("/wecom/callback", wecom_verify)
    app.router.add_post("/wecom/callback", wecom_callback)
    app.router.add_post("/dingtalk/callback", dingtalk_callback)
