"""The afternoon bench's load generator: signed platform callbacks on an open-loop schedule, and the fakes.

Every message becomes the callback its class's platform sends: WeCom AI bot (`{"encrypt"}` JSON) or
WeCom group robot (`<xml><Encrypt>`), both WXBizMsgCrypt-encrypted and signed, or DingTalk (`timestamp`
/`sign` headers), stamped with the afternoon time it is sent at. Each request is due at its own wall time
(open loop: a slow answer does not delay the next send; latency counts from the due time, so queueing
shows), at most `concurrency` in flight. A reply not ready within the bot's budget is posted later to the
callback's response_url / sessionWebhook / WebhookUrl: the fakes here record those per request.
"""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass, field

import aiohttp
from aiohttp import web

from bench.afternoon_bot import ScaledClock
from bench.afternoon_school import Message
from bot.handlers import texts
from bot.platforms import dingtalk
from bot.platforms.wecom import WecomCrypto
from tests.fakes.apps import FakeApps
from tests.fakes.platforms import FakePlatforms

WECOM_TOKEN, WECOM_KEY = "afternoon-token", "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C"
DING_APP_KEY, DING_APP_SECRET = "ding-afternoon-key", "ding-afternoon-SECRET"
BOT_NAME = "托管助手"


@dataclass(frozen=True)
class Request:
    index: int
    message: Message
    path: str
    params: dict[str, str]
    headers: dict[str, str]
    body: bytes


@dataclass
class Result:
    request: Request
    due: float  # wall time the request was due
    status: int = 0
    finished: float = 0.0  # wall time of the HTTP answer
    reply: str | None = None  # the reply text (in the answer, or posted later)
    replied: float = 0.0  # wall time the reply was seen
    error: str = ""

    @property
    def latency(self) -> float:
        return (self.replied or self.finished) - self.due


@dataclass
class Fakes:
    """FakePlatforms (group robots), FakeApps (one-to-one) and the late-reply recorder on one local server."""

    clock: ScaledClock
    platforms: FakePlatforms = field(init=False)
    apps: FakeApps = field(init=False)
    late: dict[int, list[tuple[float, str]]] = field(default_factory=dict)  # request index -> (wall, text)
    base: str = ""

    def __post_init__(self) -> None:
        self.platforms = FakePlatforms(self.clock)
        self.apps = FakeApps(
            self.clock, app_key=DING_APP_KEY, app_secret=DING_APP_SECRET, robot_code=DING_APP_KEY
        )

    async def _late(self, request: web.Request) -> web.Response:
        body = await request.json()
        kind = request.match_info["kind"]
        if kind == "aibot":
            text = body.get("markdown", {}).get("content", "")
        else:
            text = body.get("text", {}).get("content", "")
        self.late.setdefault(int(request.match_info["index"]), []).append((time.time(), text))
        if kind == "robot":
            return web.json_response({"errcode": 0, "errmsg": "ok"})
        return web.json_response({"errcode": 0})

    def app(self) -> web.Application:
        app = self.apps.install(self.platforms.app())
        app.router.add_post("/late/{kind}/{index}", self._late)
        return app


def _wecom_plain(msg: Message, reply_url: str) -> str:
    content = f"@{BOT_NAME} {msg.text}"
    if msg.klass.kind == "aibot":
        return json.dumps(
            {
                "msgid": msg.msg_id,
                "aibotid": "bot-afternoon",
                "chatid": msg.klass.chat_id,
                "chattype": "group",
                "from": {"userid": msg.sender},
                "response_url": reply_url,
                "msgtype": "text",
                "text": {"content": content},
            },
            ensure_ascii=False,
        )
    return (
        f"<xml><WebhookUrl><![CDATA[{reply_url}]]></WebhookUrl><MsgId>{msg.msg_id}</MsgId>"
        f"<ChatId>{msg.klass.chat_id}</ChatId><ChatType>group</ChatType><From><UserId>{msg.sender}</UserId>"
        f"<Name><![CDATA[{msg.sender}]]></Name></From><MsgType>text</MsgType>"
        f"<Text><Content><![CDATA[{content}]]></Content></Text></xml>"
    )


def build_requests(messages: list[Message], fake_base: str) -> list[Request]:
    """The signed callbacks, stamped with each message's afternoon send time (as the platform would)."""
    crypto = WecomCrypto(WECOM_TOKEN, WECOM_KEY)
    requests = []
    for index, msg in enumerate(messages):
        stamp = msg.send_at.timestamp()
        reply_url = f"{fake_base}/late/{msg.klass.kind}/{index}"
        if msg.klass.kind == "dingtalk":
            ms = str(int(stamp * 1000))
            body = {
                "msgtype": "text",
                "text": {"content": f" {msg.text}"},
                "msgId": msg.msg_id,
                "createAt": int(ms),
                "conversationType": "2",
                "conversationId": msg.klass.chat_id,
                "conversationTitle": msg.klass.name,
                "senderId": f"$:{msg.sender}",
                "senderNick": msg.sender,
                "senderStaffId": msg.sender,
                "senderCorpId": "ding-corp",
                "chatbotUserId": "bot-afternoon",
                "isAdmin": False,
                "isInAtList": True,
                "sessionWebhook": reply_url,
                "sessionWebhookExpiredTime": int(ms) + 5_400_000,
                "robotCode": DING_APP_KEY,
            }
            headers = {
                "timestamp": ms,
                "sign": dingtalk.sign(ms, DING_APP_SECRET),
                "Content-Type": "application/json",
            }
            requests.append(
                Request(
                    index,
                    msg,
                    "/dingtalk/callback",
                    {},
                    headers,
                    json.dumps(body, ensure_ascii=False).encode(),
                )
            )
            continue
        sealed = crypto.encrypt(_wecom_plain(msg, reply_url), str(int(stamp)))
        params = {
            "msg_signature": sealed["msgsignature"],
            "timestamp": sealed["timestamp"],
            "nonce": sealed["nonce"],
        }
        if msg.klass.kind == "aibot":
            raw, kind = json.dumps({"encrypt": sealed["encrypt"]}).encode(), "application/json"
        else:
            raw, kind = f"<xml><Encrypt><![CDATA[{sealed['encrypt']}]]></Encrypt></xml>".encode(), "text/xml"
        requests.append(Request(index, msg, "/wecom/callback", params, {"Content-Type": kind}, raw))
    return requests


def reply_text(request: Request, status: int, raw: bytes, crypto: WecomCrypto) -> str | None:
    """The reply in a callback's answer (decrypted for WeCom); None when it comes later (or for the baseline)."""
    if status != 200 or not raw.strip() or raw == b"hello":
        return None
    kind = request.message.klass.kind
    if kind == "dingtalk":
        body = json.loads(raw)
        return None if body.get("msgtype") == "empty" else str(body["text"]["content"])
    if kind == "aibot":
        sealed = json.loads(raw)
        plain = crypto.decrypt(
            sealed["encrypt"], sealed["msgsignature"], sealed["timestamp"], sealed["nonce"]
        )
        return str(json.loads(plain)["stream"]["content"])
    from bot.platforms.wecom.crypto import xml_node, xml_text

    envelope = xml_node(raw)
    plain = crypto.decrypt(
        xml_text(envelope, "Encrypt"),
        xml_text(envelope, "MsgSignature"),
        xml_text(envelope, "TimeStamp"),
        xml_text(envelope, "Nonce"),
    )
    return xml_text(xml_node(plain), "Text/Content")


def is_error_reply(text: str) -> bool:
    return (
        texts.INTERNAL_ERROR in text
        or text.startswith("没看懂")
        or text == texts.UNKNOWN_SENDER
        or "可以使用" in text
    )


async def replay(
    url: str,
    requests: list[Request],
    clock: ScaledClock,
    concurrency: int,
    request_timeout: float = 30.0,
    drain: float = 300.0,
) -> list[Result]:
    """Send every request at its due wall time, at most `concurrency` in flight; bounded in count and time:
    what is still queued or in flight `drain` seconds after the last one was due is given up (an error)."""
    crypto = WecomCrypto(WECOM_TOKEN, WECOM_KEY)
    gate = asyncio.Semaphore(concurrency)
    results: list[Result] = []

    async def one(http: aiohttp.ClientSession, result: Result) -> None:
        req = result.request
        async with gate:
            try:
                async with http.post(
                    url + req.path,
                    params=req.params,
                    headers=req.headers,
                    data=req.body,
                    timeout=aiohttp.ClientTimeout(total=request_timeout),
                ) as resp:
                    raw = await resp.read()
                    result.status, result.finished = resp.status, time.time()
            except (aiohttp.ClientError, TimeoutError) as exc:
                result.finished, result.error = time.time(), type(exc).__name__
                return
        if result.status != 200:
            result.error = f"HTTP {result.status}"
            return
        result.reply = reply_text(req, result.status, raw, crypto)
        if result.reply is not None:
            result.replied = result.finished

    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector) as http:
        tasks = []
        for req in requests:
            due = clock.wall_at(req.message.send_at)
            if (wait := due - time.time()) > 0:
                await asyncio.sleep(wait)
            result = Result(req, due)
            results.append(result)
            tasks.append(asyncio.create_task(one(http, result)))
        _, late = await asyncio.wait(tasks, timeout=drain)
        for task in late:
            task.cancel()
        await asyncio.gather(*late, return_exceptions=True)
    for result in results:
        if not result.finished:
            result.finished, result.error = time.time(), "given up"
    return results


def attach_late_replies(results: list[Result], late: dict[int, list[tuple[float, str]]]) -> int:
    """Match replies posted later to their requests; returns how many requests got one."""
    count = 0
    for result in results:
        posted = late.get(result.request.index)
        if result.reply is None and not result.error and posted:
            result.replied, result.reply = posted[0]
            count += 1
    return count
