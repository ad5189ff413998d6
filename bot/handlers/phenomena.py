"""Rules on phenomena of the language, applied before any command that writes (pure).

A question is never a command: "李华明天请假吗" asks, it does not ask for leave. Polite chatter ("谢谢老师",
"好的") is answered briefly or not at all. A confirmation ("是", "对", "1") answers a pending proposal.
"""

from __future__ import annotations

import re

# Sentence-final particles and marks of a question; "么" only at the end ("什么", "怎么" are handled as words).
_FINAL = re.compile(r"(吗|么|呢|嘛|没|不|咩|啊吗)[\s.。~～!！…]*$")
_MARKS = re.compile(r"[?？]")
_WORDS = re.compile(
    r"怎么|怎样|如何|多久|几点|几号|哪天|哪几天|哪些|什么|为什么|为啥|咋|啥|是否|有没有|是不是|能不能|可不可以|"
    r"要不要|用不用|需不需要|了没|没有呀|请问|多少|多长时间|什么时候|谁|哪|几(点|号|天|个|时|节|次|岁|月)|行不行|好不好"
)
# "A-not-A" questions: 去不去, 来不来, 接不接.
_A_NOT_A = re.compile(r"([\u4e00-\u9fff])不\1")
# Statements that look like a question: "谁还没接" (a teacher's 未接走), "不去了" (a refusal, not a question).
_NOT_QUESTION = re.compile(r"^(还有)?谁(还)?没接(走)?$")


def is_question(text: str) -> bool:
    """Does the message ask something (and so must never be carried out as a command)?"""
    core = text.strip()
    if not core or _NOT_QUESTION.match(core):
        return False
    if _MARKS.search(core) or _WORDS.search(core) or _A_NOT_A.search(core):
        return True
    m = _FINAL.search(core)
    if m is None:
        return False
    particle = m.group(1)
    # "不" and "没" end a question only after a verb of the command ("请假了没", "能去不"), not "去不了".
    if particle in {"不", "没"}:
        return bool(re.search(r"(了|过|能|会|要|可以)[没不]$", core.rstrip(" .。~～!！…")))
    return True


_POLITE = re.compile(
    r"^(谢谢|多谢|感谢|辛苦|麻烦)(您|你|了|啦)?(老师|大家|各位)?(们)?(了|啦|啊|呀)?$|"
    r"^(老师)?(辛苦了|辛苦啦|谢谢|谢谢您|谢谢啦|太感谢了|感谢)(老师)?$|"
    r"^(好的|好|好滴|好嘞|好哒|好呢|嗯|嗯嗯|哦|哦哦|OK|ok|Ok|okay|明白|明白了|知道了|了解|收到|收到了|已收到|"
    r"收到谢谢|好的谢谢|好的老师|收到老师|好的收到|谢谢老师辛苦了|老师好|大家好|早上好|晚上好|您好|你好|"
    r"在吗|在不在|在么)(老师|谢谢|了|啦|哈|呀|~)*$"
)
_EMOJI_ONLY = re.compile(r"^[\W\d_]*$")


def chatter_kind(text: str) -> str | None:
    """'thanks', 'ack' or 'greeting' for polite chatter with nothing to do; None for anything else.

    One documented rule: a message made only of courtesy words (thanks, OK, received, a greeting) or only of
    emoji and punctuation is chatter. Thanks get a short answer, the rest none (a group stays quiet).
    """
    if _MARKS.search(text):  # "?" asks for help, "好的?" asks something
        return None
    core = re.sub(r"[\s,，。.!！~～、…]+", "", text)
    core = re.sub(r"[\U0001F000-\U0001FAFF\u2600-\u27BF\uFE0F]+", "", core)
    if not core:
        return "ack" if text.strip() else None
    if _EMOJI_ONLY.match(core):
        return "ack"
    if not _POLITE.match(core) and not _POLITE.match(core.replace("老师", "")):
        return None
    if "谢" in core or "辛苦" in core or "麻烦" in core:
        return "thanks"
    if "好" in core and ("老师好" in core or "大家好" in core or "上好" in core or core in {"您好", "你好"}):
        return "greeting"
    return "ack"


YES = frozenset({"是", "是的", "对", "对的", "确认", "确定", "嗯是", "是呀", "对呀", "没错", "好的确认", "是滴", "yes"})
NO = frozenset({"不是", "不对", "不用", "不用了", "取消", "算了", "错了", "不", "否", "no"})
_CHOICE = re.compile(r"^(?:选)?(?:第)?([1-9])(?:个)?$")


def confirmation(text: str) -> str | int | None:
    """'yes' for 是/对/确认, 'no' for 不是/取消, a choice number for 1/2/…, None for anything else."""
    core = re.sub(r"[\s,，。.!！~～]+", "", text)
    if core in YES or core.rstrip("的啊呀") in YES:
        return "yes"
    if core in NO or core.rstrip("的啊呀了") in NO:
        return "no"
    m = _CHOICE.match(core)
    return int(m.group(1)) if m else None
