"""What a platform message says, whatever its type: text, a transcribed voice/audio, the text parts of a mixed
or rich-text message; and the short answers to a message with no text (a picture, a file) and to a new chat.
"""

from __future__ import annotations

from typing import Any

# A picture or a file alone: say what the bot understands.
CAN_DO = "我只看得懂文字和语音。请发送文字命令,例如「请假 明天」「已接走」「查询」;发送「帮助」查看全部命令。"
# WeCom enter_chat: a first one-to-one chat with the bot.
WELCOME = (
    "您好,我是托管助手。第一次使用请发送「绑定 孩子姓名 您的手机号」"
    "(例如: 绑定 张小华 13912345678);发送「帮助」查看全部命令。"
)


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _part(data: Any, key: str, field: str) -> str | None:
    part = data.get(key) if isinstance(data, dict) else None
    return _str(part.get(field)) if isinstance(part, dict) else None


def wecom_text(data: dict[str, Any]) -> str | None:
    """An AI-bot message's text: `text.content`, `voice.content` (WeCom's transcription), mixed's text items.

    None when it holds no text (a picture, a file, an unknown type).
    """
    kind = data.get("msgtype")
    if kind in ("text", "voice"):
        return _part(data, kind, "content")
    if kind == "mixed":
        mixed = data.get("mixed")
        items = mixed.get("msg_item") if isinstance(mixed, dict) else None
        texts = (
            [
                t
                for item in items
                if isinstance(item, dict)
                and item.get("msgtype") == "text"
                and (t := _part(item, "text", "content"))
            ]
            if isinstance(items, list)
            else []
        )
        return " ".join(texts) if texts else None
    return None


def dingtalk_text(data: dict[str, Any]) -> str | None:
    """A DingTalk robot message's text: `text.content`, audio `content.recognition`, richText's text parts.

    None when it holds no text (a picture, a file, an unknown type).
    """
    kind = data.get("msgtype")
    if kind == "text":
        return _part(data, "text", "content")
    if kind == "audio":
        return _part(data, "content", "recognition") or None
    if kind == "richText":
        content = data.get("content")
        parts = content.get("richText") if isinstance(content, dict) else None
        texts = (
            [t for part in parts if isinstance(part, dict) and (t := _str(part.get("text")))]
            if isinstance(parts, list)
            else []
        )
        return " ".join(texts) if texts else None
    return None
