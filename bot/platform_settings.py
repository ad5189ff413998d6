"""The WeCom and DingTalk sections of the settings (`[wecom]`, `[dingtalk]`): credentials and connection tuning."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, SecretStr


class WecomSettings(BaseModel):
    token: SecretStr = SecretStr("")
    encoding_aes_key: SecretStr = SecretStr("")
    corp_id: str = ""
    api_base: str = "https://qyapi.weixin.qq.com"
    bot_name: str = "托管助手"
    # Self-built app (应用消息) for one-to-one pushes: corp_id + corp_secret + agent_id.
    corp_secret: SecretStr = SecretStr("")
    agent_id: int = 0
    # WeCom drops a resend with the same request body within this window (a crash between send and record).
    duplicate_check_seconds: int = 1800
    # AI bot long connection (智能机器人 长连接): no public host needed. bot_id + bot_secret turn it on.
    bot_id: str = ""
    bot_secret: SecretStr = SecretStr("")
    ws_url: str = "wss://openws.work.weixin.qq.com"
    lease_seconds: float = 60.0  # another instance takes the connection over this long after the holder died
    heartbeat_seconds: float = 30.0  # ping interval; two unanswered pings drop the connection
    reconnect_min_seconds: float = 1.0  # back-off after a lost connection, doubled up to the max, with jitter
    reconnect_max_seconds: float = 60.0
    kicked_wait_seconds: float = 600.0  # after a newer connection took over (disconnected_event)

    @property
    def configured(self) -> bool:
        return bool(self.token.get_secret_value() and self.encoding_aes_key.get_secret_value())

    @property
    def long_connection(self) -> bool:
        return bool(self.bot_id and self.bot_secret.get_secret_value())

    @property
    def app_configured(self) -> bool:
        return bool(self.corp_id and self.corp_secret.get_secret_value() and self.agent_id)


class DingtalkSettings(BaseModel):
    app_secret: SecretStr = SecretStr("")
    api_base: str = "https://oapi.dingtalk.com"
    # Enterprise app robot for one-to-one pushes (oToMessages/batchSend): app_key + app_secret; the robot
    # code is the app key unless set. The new-style API lives on its own host.
    app_key: str = ""
    robot_code: str = ""
    # Where set, a callback's chatbotCorpId (and robotCode, for robot_code) must match or it is refused.
    corp_id: str = ""
    openapi_base: str = "https://api.dingtalk.com"
    # stream (a long connection, no public host) or http (callbacks only). Empty: stream when app_key and
    # app_secret are set. /dingtalk/callback answers in every mode.
    mode: Literal["", "stream", "http"] = ""
    reconnect_min_seconds: float = 1.0
    reconnect_max_seconds: float = 60.0

    @property
    def configured(self) -> bool:
        return bool(self.app_secret.get_secret_value())

    @property
    def stream(self) -> bool:
        return self.app_configured and self.mode != "http"

    @property
    def app_configured(self) -> bool:
        return bool(self.app_key and self.app_secret.get_secret_value())

    @property
    def robot(self) -> str:
        return self.robot_code or self.app_key
