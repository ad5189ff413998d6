"""Which children a message is about: the sender's own, or names found in the class roster."""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from rapidfuzz import fuzz, process

from bot.domain.actors import ChildRef
from bot.domain.children import Named

N = TypeVar("N", bound=Named)

# Words that look like names but are not (so "没有找到" is not said of them).
_NOT_NAMES_TEXT = (
    "今天 明天 后天 昨天 前天 老师 孩子 小孩 宝宝 宝贝 儿子 女儿 闺女 小朋友 我家 俺家 我们 家长 请假 销假 已接 接走 全部 "
    "所有 大家 已经 一下 谢谢 麻烦 点名 缺席 到了 没来 未到 周一 周二 周三 周四 周五 周六 周日 星期 礼拜 下周 这周 本周 "
    "发烧 感冒 咳嗽 生病 看病 有事 回家 老家 托管 晚点 左右 外婆 外公 姥姥 姥爷 爷爷 奶奶 爸爸 妈妈 舅舅 舅妈 姑姑 姑父 "
    "阿姨 叔叔 小姨 姨妈 哥哥 姐姐 伯伯 大伯 您好 你好 早上 上午 下午 晚上 中午 放学 报名 课程 费用 事假 病假 家里 "
    "同学 班主任 一天 两天 三天 几天 请问 帮忙 需要 可以 看牙 牙医 医院 复查 打针 体检 高烧 发热 周末 马上 方便 何时 "
    "全天 江湖 孔子 石头 金子 白天 黄昏"
)
# The common surnames: a leading two- or three-character word is taken for a name only when it starts with one
# (or is the given name of a pupil of the school), so 撤销请假 and 照常参加 are not names.
SURNAMES = frozenset(
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔"
    "钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤常温康施文牛樊葛"
    "邢安齐易乔伍庞颜倪庄聂章鲁岳翟殷詹申欧耿关兰焦俞左柳甘祝包宁尚符舒阮柯纪梅童凌毕单季裴霍涂成苗谷盛曲翁冉骆蓝"
    "路游辛靳管柴蒙鲍华喻祁蒲房滕屈饶解牟艾尤阳时穆农司卓古吉缪简车项连芦麦褚娄窦戚岑景党宫费卜冷晏席卫米柏宗瞿桂全"
    "佟应臧闵苟邬边卞姬师和仇栾隋商刁沙荣巫寇桑郎甄丛仲虞敖巩明佘池乐匡钮"
)
_NOT_NAMES = frozenset(_NOT_NAMES_TEXT.split(" "))
_HAN_RUN = re.compile(r"[\u4e00-\u9fff]{2,4}")
_COMPOUND_SURNAMES = frozenset(
    [
        "欧阳",
        "司马",
        "上官",
        "诸葛",
        "东方",
        "皇甫",
        "尉迟",
        "公孙",
        "慕容",
        "令狐",
        "长孙",
        "宇文",
        "司徒",
        "夏侯",
        "轩辕",
        "端木",
        "独孤",
    ]
)
# A name where a name stands: at the start (after 老师/帮/给), right before a date or a command word.
_LEADING_NAME = re.compile(
    r"^(?:老师|您好|你好|[,，:：\s])*(?:帮|给|替)?(?:我家|我们家)?(?P<name>[\u4e00-\u9fff]{2,3}?)(?:同学|小朋友)?"
    r"(?=\s|今天|明天|后天|大后天|下下?周|这周|本周|周[一二三四五六日天]|星期|礼拜|\d|[一二三四五六七八九十]{1,2}月|"
    r"请|销假|不去|不来|要请|晚点|已经?接|报名|的假)"
)


def aliases(name: str) -> list[str]:
    """How a parent may write a child's name: 王小明, 小明; 李华, 小华; 陈思远, 思远 (full name first)."""
    surname = 2 if name[:2] in _COMPOUND_SURNAMES and len(name) > 2 else 1
    given = name[surname:]
    out = [name]
    if len(given) >= 2:
        out.append(given)
    elif given:
        out.append("小" + given)
    return out


@dataclass(frozen=True)
class Found(Generic[N]):
    """Names matched in the text, and the leftover name-like words with a close roster name, if any.

    `words` are the words that named the children (to cut from a reason); `short` the children named only by
    a short form of their name (小明 for 王小明), with the word used.
    """

    kids: list[N]
    unknown: list[tuple[str, str | None]]
    words: list[str] = field(default_factory=list)
    short: list[tuple[str, N]] = field(default_factory=list)


def find_kids(
    text: str, roster: Sequence[N], *, look_for_unknown: bool = True, short_forms: bool = True
) -> Found[N]:
    """Roster names in the text, longest first (王小明 wins over 小明), with or without spaces, in text order."""
    remaining = join_han(text)
    forms: list[tuple[str, N, bool]] = [(k.name, k, False) for k in roster]
    if short_forms:
        counts: dict[str, int] = {}
        for kid in roster:
            for alias in aliases(kid.name)[1:]:
                counts[alias] = counts.get(alias, 0) + 1
        # A short form two children share names neither of them.
        forms += [
            (a, k, True)
            for k in roster
            for a in aliases(k.name)[1:]
            if counts[a] == 1 and a not in _NOT_NAMES
        ]
    hits: list[tuple[int, N, str, bool]] = []
    taken: set[int] = set()
    for word, kid, short in sorted(forms, key=lambda f: (-len(f[0]), f[2])):
        if kid.id in taken:
            continue
        pos = remaining.find(word)
        if pos >= 0:
            hits.append((pos, kid, word, short))
            taken.add(kid.id)
            remaining = remaining[:pos] + " " * len(word) + remaining[pos + len(word) :]
    hits.sort(key=lambda h: h[0])
    kids = [k for _, k, _, _ in hits]
    unknown: list[tuple[str, str | None]] = []
    if look_for_unknown:
        names = [k.name for k in roster]
        for run in _HAN_RUN.findall(remaining):
            # 刘阳没来: a run longer than a name may start with one.
            for word in dict.fromkeys((run, run[:3], run[:2])):
                if len(word) < 2 or word in _NOT_NAMES or any(w in word for w in _NOT_NAMES):
                    continue
                best = process.extractOne(word, names, scorer=fuzz.ratio, score_cutoff=50) if names else None
                # Short names differ by one character at 50%: accept those only with the same surname.
                if best is not None and (best[1] >= 60 or word[0] == best[0][0]):
                    unknown.append((word, best[0]))
                    break
    return Found(kids, unknown, [w for _, _, w, _ in hits], [(w, k) for _, k, w, short in hits if short])


_CLAUSE = re.compile(r"[,，;；。!！]")


def spread_over_clauses(text: str, words: Sequence[str]) -> bool:
    """Are the named children in different clauses that each say something ("小明今天外婆接，小红还是我来接")?

    Then one command must not be applied to all of them. A clause of names only ("刘洋，陈思远 已接走") is a list.
    """
    if len(words) < 2:
        return False
    clauses = _CLAUSE.split(join_han(text))
    saying = set()
    for i, clause in enumerate(clauses):
        rest = clause
        named = [w for w in words if w in clause]
        for w in named:
            rest = rest.replace(w, "")
        if named and rest.strip(" 、和跟"):
            saying.add(i)
    return len(saying) >= 2


def join_han(text: str) -> str:
    """王 小明 -> 王小明: a space after a lone Chinese character (a surname) is dropped for name matching."""
    return re.sub(r"(?<![\u4e00-\u9fff])([\u4e00-\u9fff]) (?=[\u4e00-\u9fff])", r"\1", text)


def leading_name(text: str, given_names: Collection[str] = ()) -> str | None:
    """A name where a name stands ("思远 请假 明天", "帮方明请下周一的假"): a word there that starts with a
    common surname or is a pupil's given name, and is not a known word."""
    word = leading_word(text)
    if word is None:
        return None
    return word if word[0] in SURNAMES or word in given_names else None


def leading_word(text: str) -> str | None:
    """The two- or three-character word standing where a name stands, unless it is a known word."""
    m = _LEADING_NAME.match(text)
    if m is None:
        return None
    word = m["name"]
    if word in _NOT_NAMES or any(w in word for w in _NOT_NAMES) or word[0] in "我你他她这那今明后每各":
        return None
    return word


def children_named(
    text: str, children: Sequence[ChildRef]
) -> tuple[list[ChildRef], list[tuple[str, str | None]]]:
    """A guardian's own children named in the text (short forms too); with none named, the caller decides."""
    found = find_kids(text, children)
    ids = {k.id for k in found.kids}
    return [c for c in children if c.student_id in ids], found.unknown


def not_found_text(unknown: list[tuple[str, str | None]]) -> str:
    word, guess = unknown[0]
    return f'没有找到"{word}",是"{guess}"吗?' if guess else f'没有找到"{word}"。'


def which_child_text(children: Sequence[ChildRef], example: str) -> str:
    return f"您有{len(children)}个孩子,是哪一个?(也可以写上姓名,例如: {example})"
