"""The bot's whole command language: every handler module's commands in one table (help text comes from it).

ORDER is the order in which a message is tried against the commands: the first parser that accepts it wins,
so where one phrasing could be read two ways, the earlier command is the reading meant.
"""

from __future__ import annotations

from bot.handlers import (
    agreements,
    archives,
    basic,
    bus,
    care_binding,
    care_leave,
    care_pickup,
    care_plans,
    care_rollcall,
    chatter,
    duty,
    enroll,
    family,
    fees,
    incidents,
    notices,
    principal,
    proposals,
    questions,
    staff,
)
from bot.handlers.registry import CommandTable

# The modules whose commands make up the language (their order here does not matter: ORDER decides).
MODULES = (
    agreements,
    archives,
    basic,
    bus,
    care_binding,
    care_leave,
    care_pickup,
    care_plans,
    care_rollcall,
    chatter,
    duty,
    enroll,
    family,
    fees,
    incidents,
    notices,
    principal,
    proposals,
    questions,
    staff,
)

ORDER: tuple[tuple[str, ...], ...] = (
    # The answer to the bot's own question first: 是 / 对 / 1 / 不是 carries out or drops what it proposed.
    ("确认",),
    # Courtesy asks for nothing: 好的, 嗯, 谢谢老师; 收到了 confirms a notice (it is not 到了, a child arrived).
    ("闲聊",),
    # Binding (how an unknown sender starts), then commands led by their own word whose rest other commands
    # would read: 校车 一号线 已上车 张三没来 lists the riders (not 缺席), 事故 王小明 摔倒 已处理 is the
    # record (not the injury hint).
    ("同意绑定", "拒绝绑定", "绑定", "校车", "事故"),
    # Readings asked for in a word, before 问答 takes them as questions: 怎么用, 我是谁, 有哪些课, 未接走的有哪些
    # (谁还没接走了 is not 已接走); a bare 17:35 is the pickup time a teacher was asked for.
    ("帮助", "查询", "接走时间", "课程列表", "未接走"),
    # The roll call: 都到了 confirms it (not 到了 for one child), 今日 asks for the day's summary (not the
    # answer to 哪几天), 点名 篮球 缺席 孙浩然 is a course session's roll (not 缺席).
    ("全部到齐", "日报", "点名", "课程点名"),
    # Undoing before doing: 取消明天的请假 holds 请假. A pickup done before the pickup plans: 刘洋 18:30 已接走
    # holds a time but is no late notice.
    ("销假", "已接走"),
    # Notices before leave: 请假 reads 不来了 / 在家休息 anywhere in a message, and a teacher's notice may hold
    # them (通知 明天春游 李华不来了 is a notice, not a leave). The notice wants 通知 as its own leading word
    # and staff: 通知老师一下 李华明天不来了 from a parent is still a leave. 通知情况 and 停课 lead with their words.
    ("通知情况", "通知", "请假", "停课"),
    # Pickup plans, early before late: 明天早点接 16:00 also holds 点接; 明天外婆晚点来接 is read as late.
    ("早点接", "晚点接", "代接"),
    # A patrol before 缺席, which reads 没来 anywhere: 巡课 三年级2班 有问题 李华没来 is the patrol's finding.
    # Then, led by their own words: a child absent, the term's agreement, duty, staff sign-in, the care records.
    ("巡课", "缺席", "同意协议", "已买学平险", "协议", "清校完毕", "评价", "到岗", "离岗", "代班"),
    ("谈心", "关爱记录", "家访", "座谈会"),
    # 到了 finds 到了 / 来了 inside sentences, so it comes after every command whose text may hold them:
    # 我已到岗, 谈心 王小明 今天来了很开心, 家访 张一一 妈妈回来了.
    ("到了",),
    # Enrollment and fees: led by their own words (报名, 退出, 同意, 驳回, 复核, 撤班, 费用, 缴费).
    ("报名", "我的课程", "退出课程", "同意报名", "同意退出", "驳回报名", "复核", "撤班", "费用", "缴费"),
    # A call told in loose words (今天和孩子视频了), after every command word.
    ("通话",),
    # Fallbacks, when no command took the message: a mistyped command word (清假 明天), thanks in a sentence
    # (谢谢老师,明天请假 is a leave), days alone answering 哪几天 (请3天假 is a leave), an injury told in
    # words (王小明摔伤了,明天请假 is a leave; thanks and typos keep their own answers), and last any
    # question nothing else answered.
    ("近似", "致谢", "补日期", "受伤", "问答"),
)


def build_table() -> CommandTable:
    """The command table of every handler module, in ORDER; every command must have its place there."""
    specs = [spec for module in MODULES for spec in module.commands]
    by_name = {spec.name: spec for spec in specs}
    order = [name for group in ORDER for name in group]
    unplaced, unknown = set(by_name) - set(order), set(order) - set(by_name)
    if unplaced or unknown or len(by_name) != len(specs):
        raise ValueError(
            f"ORDER and the modules' commands differ: not in ORDER {sorted(unplaced)}, "
            f"unknown {sorted(unknown)}, {len(specs) - len(by_name)} named twice"
        )
    return CommandTable([by_name[name] for name in order])
