"""The DingTalk app robot on the new-style OpenAPI: group pushes (groupMessages/send) besides one-to-one ones,
and the link the outbox sends a class's pushes through when it has a 群ID and no custom-robot 推送地址.

One token cache (POST /v1.0/oauth2/accessToken) serves both. A group is named by its openConversationId (the
class's 群ID, the conversationId of its messages); the robot is `dingtalk.robot_code` (the app key by default).
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import aiohttp

from bot.platforms.apps import TokenError
from bot.platforms.base import Outgoing, SendResult, call_json
from bot.platforms.dingtalk.app import DingtalkApp, classify, message_param
from bot.platforms.split import split_text

GROUP_BYTES = 15000  # msgParam at most


class DingtalkAppRobot(DingtalkApp):
    """DingTalk app robot: one-to-one (inherited) and group pushes with the same cached token."""

    def group_bodies(self, conversation_id: str, msg: Outgoing) -> list[dict[str, Any]]:
        bodies: list[dict[str, Any]] = []
        for part in split_text(msg.text, GROUP_BYTES - 200):  # room for the JSON around the text
            key, param = message_param(part, msg.markdown)
            bodies.append(
                {
                    "robotCode": self.settings.robot,
                    "openConversationId": conversation_id,
                    "msgKey": key,
                    "msgParam": json.dumps(param, ensure_ascii=False),
                }
            )
        if msg.image is not None:  # the daily chart: uploaded just before it is sent, after the text
            bodies.append(
                {
                    "robotCode": self.settings.robot,
                    "openConversationId": conversation_id,
                    "msgKey": "sampleImageMsg",
                    "image": msg.image,
                }
            )
        return bodies

    async def send_group(self, conversation_id: str, msg: Outgoing) -> SendResult:
        """Every part of one push to a group, in order; the first part that fails decides."""
        result = SendResult("ok", "0")
        for body in self.group_bodies(conversation_id, msg):
            result = await self.send_group_body(body)
            if result.outcome != "ok":
                break
        return result

    async def send_group_body(self, body: dict[str, Any]) -> SendResult:
        """One groupMessages/send body; a refused token is fetched again once."""
        if isinstance(body.get("image"), bytes):
            uploaded = await self._upload(body["image"])
            if isinstance(uploaded, SendResult):
                return uploaded
            body = {k: v for k, v in body.items() if k != "image"} | {
                "msgParam": json.dumps({"photoURL": uploaded})
            }
        try:
            token = await self.access_token()
            result = await self._post_group(token, body)
            if result.outcome == "token":
                result = await self._post_group(await self.access_token(stale=token), body)
        except TokenError as exc:
            return exc.result
        return (
            SendResult("failed", result.code, "token refused twice") if result.outcome == "token" else result
        )

    async def _post_group(self, token: str, body: dict[str, Any]) -> SendResult:
        try:
            status, data = await call_json(
                self.http,
                "POST",
                f"{self.base}/v1.0/robot/groupMessages/send",
                self.timeout,
                json=body,
                headers={"x-acs-dingtalk-access-token": token},
            )
        except (aiohttp.ClientError, TimeoutError) as exc:
            return SendResult("retry", type(exc).__name__)
        return classify(status, data)


class DingtalkAppLink:
    """groupMessages/send with the app robot (openConversationId = the class's 群ID)."""

    backoff_seconds = 600

    def __init__(self, robot: DingtalkAppRobot) -> None:
        self.robot = robot

    def bodies(self, msg: Outgoing) -> list[dict[str, Any]]:
        return self.robot.group_bodies("", msg)

    async def send_body(
        self, chat_id: str, secret: str, body: dict[str, Any], key: str, now: datetime
    ) -> SendResult:
        return await self.robot.send_group_body({**body, "openConversationId": chat_id})
