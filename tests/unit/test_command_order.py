"""The order in which commands are tried is the command language: it may change only on purpose."""

import pytest

from bot.domain.messages import Reply
from bot.handlers import table
from bot.handlers.registry import KNOWN, STAFF, Commands, keyword_parser
from bot.handlers.table import build_table

# The first parser that accepts a text wins, so this order decides what a message means. Pinned from the
# priority numbers it replaced; change it only with a test of the phrasing the change is for.
ORDER = [
    "确认",
    "闲聊",
    "同意绑定",
    "拒绝绑定",
    "绑定",
    "校车",
    "事故",
    "帮助",
    "查询",
    "接走时间",
    "课程列表",
    "未接走",
    "全部到齐",
    "日报",
    "点名",
    "课程点名",
    "销假",
    "已接走",
    "通知情况",
    "通知",  # before 请假 since issue 16's review: a teacher's notice may hold 不来了
    "请假",
    "停课",
    "早点接",
    "晚点接",
    "代接",
    "巡课",  # before 缺席 since issue 16's review: a patrol's finding may hold 没来
    "缺席",
    "同意协议",
    "已买学平险",
    "协议",
    "清校完毕",
    "评价",
    "到岗",
    "离岗",
    "代班",
    "谈心",
    "关爱记录",
    "家访",
    "座谈会",
    "到了",
    "报名",
    "我的课程",
    "退出课程",
    "同意报名",
    "同意退出",
    "驳回报名",
    "复核",
    "撤班",
    "费用",
    "缴费",
    "通话",
    "近似",
    "致谢",
    "补日期",
    "受伤",
    "问答",
]


def test_commands_are_tried_in_the_stated_order() -> None:
    assert [spec.name for spec in build_table().specs] == ORDER


def test_a_command_without_its_place_in_the_order_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(table, "ORDER", tuple(g for g in table.ORDER if "到了" not in g))
    with pytest.raises(ValueError, match="到了"):
        table.build_table()


def test_a_place_for_an_unknown_command_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(table, "ORDER", (*table.ORDER, ("飞行",)))
    with pytest.raises(ValueError, match="飞行"):
        table.build_table()


def test_a_module_command_fills_in_its_example_keywords_and_roles() -> None:
    async def handle(ctx: object, args: object) -> Reply:
        return Reply("")

    commands = Commands(roles=STAFF)
    commands.add("点名", "点名", "今天本班的点名", keyword_parser("点名"), handle, writes=False)
    commands.add(
        "请假", "请假 日期", "请假", keyword_parser("请假"), handle, example="请假 明天", roles=KNOWN
    )
    roll, leave = commands
    assert (roll.example, roll.keywords, roll.roles, roll.writes) == ("点名", ("点名",), STAFF, False)
    assert (leave.example, leave.keywords, leave.roles, leave.writes) == ("请假 明天", ("请假",), KNOWN, True)


@pytest.mark.parametrize(
    ("text", "command"),
    [
        ("通知 明天春游 李华不来了", "通知"),  # a teacher's notice, not a leave for 李华
        ("通知:明天春游,不来的同学请假", "通知"),
        ("通知老师一下 李华明天不来了", "请假"),  # a parent telling the teacher: still the leave
        ("巡课 三年级2班 有问题 李华没来", "巡课"),  # the patrol's finding, not 缺席 for 李华
        ("李华没来", "缺席"),
    ],
)
def test_a_command_led_by_its_word_is_not_read_as_the_leave_or_absence_inside_it(
    text: str, command: str
) -> None:
    parsed = build_table().parse(text)
    assert getattr(parsed, "spec", None) is not None and parsed.spec.name == command  # type: ignore[union-attr]
