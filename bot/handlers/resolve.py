"""Which children a message is about: the sender's own, or names found in the class roster."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from rapidfuzz import fuzz, process

from bot.domain.actors import ChildRef
from bot.store.care import Kid

# Words that look like names but are not (so "没有找到" is not said of them).
_NOT_NAMES_TEXT = (
    "今天 明天 后天 老师 孩子 小孩 宝宝 我家 家长 请假 销假 已接 接走 全部 所有 大家 已经 一下 谢谢 麻烦 点名 缺席 "
    "到了 没来 未到 周一 周二 周三 周四 周五 星期 下周 发烧 感冒 咳嗽 生病 看病 有事 回家 老家 托管 晚点 左右"
)
_NOT_NAMES = frozenset(_NOT_NAMES_TEXT.split(" "))
_HAN_RUN = re.compile(r"[\u4e00-\u9fff]{2,4}")


@dataclass(frozen=True)
class Found:
    """Names matched in the text, and the leftover name-like words with a close roster name, if any."""

    kids: list[Kid]
    unknown: list[tuple[str, str | None]]


def find_kids(text: str, roster: Sequence[Kid], *, look_for_unknown: bool = True) -> Found:
    """Roster names that occur in the text (longest first, so 王小明 wins over 王小), in text order."""
    remaining = text
    hits: list[tuple[int, Kid]] = []
    for kid in sorted(roster, key=lambda k: -len(k.name)):
        pos = remaining.find(kid.name)
        if pos >= 0:
            hits.append((pos, kid))
            remaining = remaining[:pos] + " " * len(kid.name) + remaining[pos + len(kid.name):]
    kids = [k for _, k in sorted(hits, key=lambda h: h[0])]
    unknown: list[tuple[str, str | None]] = []
    if look_for_unknown:
        names = [k.name for k in roster]
        for word in _HAN_RUN.findall(remaining):
            if word in _NOT_NAMES or any(w in word for w in _NOT_NAMES):
                continue
            best = process.extractOne(word, names, scorer=fuzz.ratio, score_cutoff=50) if names else None
            # Short names differ by one character at 50%: accept those only with the same surname.
            if best is not None and (best[1] >= 60 or word[0] == best[0][0]):
                unknown.append((word, best[0]))
    return Found(kids, unknown)


def children_named(text: str, children: Sequence[ChildRef]) -> tuple[list[ChildRef], list[tuple[str, str | None]]]:
    """A guardian's own children named in the text; with none named, the caller decides."""
    as_kids = [Kid(c.student_id, c.name, c.class_group_id, 0, True) for c in children]
    found = find_kids(text, as_kids)
    ids = {k.id for k in found.kids}
    return [c for c in children if c.student_id in ids], found.unknown


def not_found_text(unknown: list[tuple[str, str | None]]) -> str:
    word, guess = unknown[0]
    return f'没有找到"{word}",是"{guess}"吗?' if guess else f'没有找到"{word}"。'


def which_child_text(children: Sequence[ChildRef], example: str) -> str:
    names = "、".join(c.name for c in children)
    return f"您有{len(children)}个孩子: {names}。请说明是哪一个,例如: {example}"
