"""`tuoguan check`: verify the configuration and each configured platform, say in Chinese what is wrong and how to
fix it; exit non-zero when anything is wrong.

Platform checks are real calls: WeCom AI bot subscribe (only when no running instance holds the connection's
lease, so a check never kicks a serving instance off), WeCom app gettoken, DingTalk accessToken and, in Stream
mode, gateway/connections/open.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import uuid
from dataclasses import dataclass, field
from typing import Any

import aiohttp

from bot.bootstrap import bootstrap
from bot.settings import Settings
from bot.store.leases import DbLease

TIMEOUT = aiohttp.ClientTimeout(total=15)


@dataclass
class Report:
    lines: list[str] = field(default_factory=list)
    problems: int = 0

    def ok(self, text: str) -> None:
        self.lines.append(f"  ✓ {text}")

    def bad(self, text: str, fix: str) -> None:
        self.problems += 1
        self.lines.append(f"  ✗ {text}\n      处理: {fix}")

    def note(self, text: str) -> None:
        self.lines.append(f"  - {text}")


def add_check_parser(
    sub: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser
) -> None:
    sub.add_parser("check", parents=[common], help="检查配置和各平台连接 (获取令牌、订阅长连接)")


def _static(settings: Settings, report: Report) -> None:
    w, d = settings.wecom, settings.dingtalk
    if bool(w.bot_id) != bool(w.bot_secret.get_secret_value()):
        missing = "wecom.bot_secret (环境变量 TUOGUAN_WECOM__BOT_SECRET)" if w.bot_id else "wecom.bot_id"
        report.bad(
            f"企业微信智能机器人长连接缺少 {missing}",
            "在企业微信管理后台「智能机器人 → API模式 → 长连接」复制 Bot ID 和 Secret 填入配置。",
        )
    if bool(w.token.get_secret_value()) != bool(w.encoding_aes_key.get_secret_value()):
        report.bad(
            "企业微信回调只配置了 token 和 encoding_aes_key 中的一个",
            "两个都填 (回调设置页的 Token 和 EncodingAESKey),或都留空改用长连接。",
        )
    elif w.encoding_aes_key.get_secret_value() and len(w.encoding_aes_key.get_secret_value()) != 43:
        report.bad("wecom.encoding_aes_key 长度不是 43 位", "从回调设置页重新复制 EncodingAESKey。")
    if (w.corp_id or w.agent_id or w.corp_secret.get_secret_value()) and not w.app_configured:
        report.bad(
            "企业微信自建应用配置不完整",
            "私聊推送需要 wecom.corp_id、wecom.agent_id 和 TUOGUAN_WECOM__CORP_SECRET 三项。",
        )
    if d.mode == "stream" and not d.app_configured:
        report.bad(
            "dingtalk.mode = stream 但缺少 dingtalk.app_key 或 app_secret",
            "在钉钉开发者后台「应用 → 凭证与基础信息」复制 Client ID (AppKey) 和 Client Secret。",
        )
    elif d.app_key and not d.app_secret.get_secret_value():
        report.bad(
            "钉钉缺少 dingtalk.app_secret (环境变量 TUOGUAN_DINGTALK__APP_SECRET)",
            "在钉钉开发者后台「凭证与基础信息」复制 Client Secret。",
        )
    if not (w.configured or w.long_connection or d.configured):
        report.note("未配置任何平台: 只能使用本地模拟器 (tuoguan serve --demo 后打开 /sim)。")


async def subscribe_once(http: aiohttp.ClientSession, settings: Settings) -> tuple[int | None, str]:
    """Send aibot_subscribe on a fresh connection and close it: (errcode, errmsg); errcode None = no answer."""
    w = settings.wecom
    req_id = f"aibot_subscribe_{uuid.uuid4().hex}"
    async with http.ws_connect(w.ws_url, timeout=aiohttp.ClientWSTimeout(ws_close=5)) as ws:
        await ws.send_str(
            json.dumps(
                {
                    "cmd": "aibot_subscribe",
                    "headers": {"req_id": req_id},
                    "body": {"bot_id": w.bot_id, "secret": w.bot_secret.get_secret_value()},
                }
            )
        )
        async with asyncio.timeout(10):
            async for frame in ws:
                data = json.loads(frame.data) if frame.type == aiohttp.WSMsgType.TEXT else {}
                if isinstance(data, dict) and data.get("headers", {}).get("req_id") == req_id:
                    return data.get("errcode"), str(data.get("errmsg", ""))[:100]
    return None, "连接已关闭"


async def _wecom_bot(http: aiohttp.ClientSession, settings: Settings, lease: DbLease, report: Report) -> None:
    if not await lease.acquire():
        report.ok("企业微信智能机器人长连接: 正由运行中的 tuoguan serve 持有 (未重复订阅,以免把它挤下线)")
        return
    try:
        code, message = await subscribe_once(http, settings)
    except (aiohttp.ClientError, OSError, TimeoutError) as exc:
        report.bad(
            f"连不上企业微信长连接 {settings.wecom.ws_url} ({type(exc).__name__})",
            "检查本机能否访问外网 (wss 443 端口) 和 wecom.ws_url。",
        )
        return
    finally:
        await lease.release()
    if code == 0:
        report.ok(f"企业微信智能机器人长连接: 订阅成功 (bot_id {settings.wecom.bot_id})")
    else:
        report.bad(
            f"企业微信拒绝了长连接订阅 (errcode {code} {message})",
            "核对 wecom.bot_id 和 TUOGUAN_WECOM__BOT_SECRET,并确认机器人已在「API模式」下选择「长连接」。",
        )


async def _post_json(http: aiohttp.ClientSession, url: str, body: dict[str, Any]) -> tuple[int, Any]:
    async with http.post(url, json=body, timeout=TIMEOUT) as resp:
        return resp.status, await resp.json(content_type=None)


async def _wecom_app(http: aiohttp.ClientSession, settings: Settings, report: Report) -> None:
    w = settings.wecom
    params = {"corpid": w.corp_id, "corpsecret": w.corp_secret.get_secret_value()}
    async with http.get(f"{w.api_base.rstrip('/')}/cgi-bin/gettoken", params=params, timeout=TIMEOUT) as resp:
        data = await resp.json(content_type=None)
    if isinstance(data, dict) and data.get("errcode", 0) == 0 and data.get("access_token"):
        report.ok("企业微信自建应用: 获取 access_token 成功")
    else:
        code = data.get("errcode") if isinstance(data, dict) else resp.status
        report.bad(
            f"企业微信自建应用获取令牌失败 (errcode {code})",
            "核对 wecom.corp_id (我的企业 → 企业ID) 和 TUOGUAN_WECOM__CORP_SECRET (应用的 Secret)。",
        )


async def _dingtalk(http: aiohttp.ClientSession, settings: Settings, report: Report) -> None:
    d = settings.dingtalk
    base = d.openapi_base.rstrip("/")
    status, data = await _post_json(
        http,
        f"{base}/v1.0/oauth2/accessToken",
        {"appKey": d.app_key, "appSecret": d.app_secret.get_secret_value()},
    )
    if status == 200 and isinstance(data, dict) and data.get("accessToken"):
        report.ok("钉钉应用: 获取 accessToken 成功")
    else:
        code = data.get("code", status) if isinstance(data, dict) else status
        report.bad(
            f"钉钉应用获取令牌失败 ({code})",
            "核对 dingtalk.app_key (Client ID) 和 TUOGUAN_DINGTALK__APP_SECRET (Client Secret)。",
        )
        return
    if not d.stream:
        report.note("钉钉为 HTTP 回调模式 (dingtalk.mode = http)")
        return
    body = {
        "clientId": d.app_key,
        "clientSecret": d.app_secret.get_secret_value(),
        "subscriptions": [{"type": "CALLBACK", "topic": "/v1.0/im/bot/messages/get"}],
        "ua": "tuoguan-check",
        "localIp": "",
    }
    status, data = await _post_json(http, f"{base}/v1.0/gateway/connections/open", body)
    if status == 200 and isinstance(data, dict) and data.get("endpoint"):
        report.ok("钉钉 Stream 长连接: 可以建立")
    else:
        code = data.get("code", status) if isinstance(data, dict) else status
        report.bad(
            f"钉钉 Stream 长连接开启失败 ({code})",
            "在钉钉开发者后台「机器人 → 消息接收模式」选择「Stream 模式」并发布应用。",
        )


async def run_check(settings: Settings) -> int:
    report = Report()
    _static(settings, report)
    services = bootstrap(settings)
    try:
        try:
            await services.db.upgrade()
            report.ok(f"数据库可用 (版本 {await services.db.current_revision()})")
        except Exception as exc:
            report.bad(
                f"数据库不可用 ({type(exc).__name__})",
                "检查 database.url,PostgreSQL 是否在运行、账号密码是否正确。",
            )
            return _print(report)
        async with aiohttp.ClientSession() as http:
            checks = []
            if settings.wecom.long_connection:
                lease = DbLease(
                    services.db,
                    services.clock,
                    f"wecom-bot:{settings.wecom.bot_id}"[:64],
                    f"check:{uuid.uuid4().hex[:8]}",
                    settings.wecom.lease_seconds,
                )
                checks.append(_wecom_bot(http, settings, lease, report))
            if settings.wecom.app_configured:
                checks.append(_wecom_app(http, settings, report))
            if settings.dingtalk.app_configured:
                checks.append(_dingtalk(http, settings, report))
            for check in checks:
                try:
                    await check
                except (aiohttp.ClientError, OSError, TimeoutError, ValueError) as exc:
                    report.bad(
                        f"平台检查失败 ({type(exc).__name__})",
                        "检查本机网络和 api_base / openapi_base 配置。",
                    )
    finally:
        await services.close()
    return _print(report)


def _print(report: Report) -> int:
    print("托管助手配置检查:")
    print("\n".join(report.lines))
    if report.problems:
        print(f"发现 {report.problems} 个问题,请按提示处理后再运行 tuoguan check。")
        return 1
    print("全部正常。")
    return 0
