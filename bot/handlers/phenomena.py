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
    # "没" ends a question ("写完没", "请假了没") unless it means "not yet" (还没, 都没); "不" only after
    # 了/过/能/会/要 ("能去不"), not "去不了".
    tail = core.rstrip(" .。~～!！…")
    if particle == "没":
        return not re.search(r"[还都也]没$", tail)
    if particle == "不":
        return bool(re.search(r"(了|过|能|会|要|可以)不$", tail))
    return True


# Courtesy words; a message made of nothing else (谢谢老师, 收到收到, 好的谢谢老师辛苦了) is chatter.
_COURTESY = (
    "谢谢您|谢谢你|谢谢|多谢|感谢|太感谢|辛苦了|辛苦啦|辛苦|麻烦您了|麻烦了|麻烦您|麻烦|有劳|"
    "早上好|上午好|下午好|晚上好|老师好|大家好|您好|你好|在吗|在不在|在么|"
    "好的|好滴|好嘞|好哒|好呢|好吧|好|嗯嗯|嗯|哦哦|哦|噢|OK|Ok|ok|okay|明白了|明白|知道了|知道|了解|"
    "已收到|收到了|收到|老师们|老师|大家|各位|您|你|啦|了|呀|啊|哈|呢|滴|的"
)
_CHATTER = re.compile(rf"^(?:{_COURTESY})+$")
_EMOJI_ONLY = re.compile(r"^[\W_]*$")  # emoji and punctuation only; a bare time or number is not chatter


def chatter_kind(text: str) -> str | None:
    """'thanks', 'ack' or 'greeting' for polite chatter with nothing to do; None for anything else.

    One documented rule: a message made only of courtesy words (thanks, OK, received, a greeting) or only of
    emoji and punctuation is chatter; each kind gets one short line (bot/handlers/chatter.py), never 没看懂.
    """
    if _MARKS.search(text):  # "?" asks for help, "好的?" asks something
        return None
    core = re.sub(r"[\s,，。.!！~～、…]+", "", text)
    core = re.sub(r"[\U0001F000-\U0001FAFF\u2600-\u27BF\uFE0F]+", "", core)
    if not core:
        return "ack" if text.strip() else None
    if _EMOJI_ONLY.match(core):
        return "ack"
    if not _CHATTER.match(core) or core in {"您", "你", "的", "了", "老师"}:
        return None
    if "谢" in core or "辛苦" in core or "麻烦" in core or "有劳" in core:
        return "thanks"
    if re.search(r"[早上下晚]上?好|老师好|大家好|您好|你好|在吗|在不在|在么", core):
        return "greeting"
    return "ack"


YES = frozenset(
    {"是", "是的", "对", "对的", "确认", "确定", "嗯是", "是呀", "对呀", "没错", "好的确认", "是滴", "yes"}
)
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
