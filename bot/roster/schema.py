"""The roster workbook's sheets and headers, exactly as the external contract lists them."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Column:
    header: str
    required: bool
    help: str


SHEETS: dict[str, tuple[Column, ...]] = {
    "班级": (
        Column("班级", True, "班级名称,如 三年级2班"),
        Column("年级", True, "1-6"),
        Column("班主任", False, "姓名,须在 教师 表中"),
        Column("班主任手机", False, "11位手机号,须与 教师 表一致"),
        Column("平台(wecom|dingtalk)", False, "wecom(企业微信) 或 dingtalk(钉钉);未接入可留空"),
        Column("群ID", False, "平台上的群会话ID(企业微信 chatid / 钉钉 conversationId)"),
        Column("推送地址(webhook URL or key)", False, "群机器人 webhook 地址或 key"),
        Column("推送密钥", False, "钉钉机器人加签密钥;企业微信留空"),
    ),
    "学生": (
        Column("学籍号", True, "唯一编号,导入以此为准"),
        Column("姓名", True, ""),
        Column("班级", True, "须在 班级 表中"),
        Column("性别", False, "男/女"),
        Column("出生日期", False, "2016-03-05"),
        Column("基础托管(是/否)", False, "是 或 否,默认 是"),
        Column("留守(无|父亲外出|母亲外出|双亲外出)", False, "默认 无"),
        Column("外出务工地", False, "留守儿童父母务工地"),
        Column("帮扶教师", False, "姓名,须在 教师 表中"),
        Column("爱心妈妈", False, "留守儿童的爱心妈妈(教师姓名),须在 教师 表中"),
        Column("务工单位", False, "留守儿童父母的务工单位及详细地址(仅教师可见)"),
        Column("务工单位电话", False, "务工单位联系电话(仅教师可见)"),
        Column("监护人职业", False, "委托监护人的职业(仅教师可见)"),
        Column("监护人年龄", False, "委托监护人的年龄,整数(仅教师可见)"),
        Column("监护人健康", False, "委托监护人的身体状况(仅教师可见)"),
        Column("备注", False, "仅教师可见"),
        Column("校车线路", False, "乘坐校车回家的学生填线路,须在 校车 表中;不坐校车留空"),
    ),
    "家长": (
        Column("学籍号", True, "孩子的学籍号"),
        Column("姓名", True, ""),
        Column("关系", True, "父亲 母亲 爷爷 奶奶 外公 外婆 其他"),
        Column("手机", True, "11位手机号;一位家长多个孩子时每个孩子一行"),
        Column("平台账号", False, "企业微信/钉钉 userid,填写后无需绑定"),
        Column("可接送(是/否)", False, "默认 是"),
    ),
    "教师": (
        Column("姓名", True, ""),
        Column("手机", True, "11位手机号"),
        Column("角色(班主任|托管教师|校长|管理员)", True, "一人多个角色时每个角色一行"),
        Column("班级", False, "班主任必填;校长、管理员留空"),
        Column("平台账号", False, "企业微信/钉钉 userid"),
    ),
    "课程": (
        Column("课程", True, "如 篮球;基础托管也列一行"),
        Column("类别(1|X)", True, "1 = 基础托管, X = 拓展课程"),
        Column("星期(e.g. 三,五)", True, "一 至 日,逗号分隔"),
        Column("开始", True, "16:00"),
        Column("结束", True, "17:30"),
        Column("容量", True, "最多人数"),
        Column("最少人数", False, "不足则撤班,默认 15"),
        Column("单价(元/课时)", False, "默认 0;最多两位小数"),
        Column("年级", False, "如 3,4 或 3-4;空 = 全部年级"),
        Column("教师", False, "姓名,须在 教师 表中"),
    ),
    "校车": (
        Column("线路", True, "如 一号线;老师发车时写 校车 一号线 已上车"),
        Column("方向", False, "如 城东方向"),
        Column("司机", True, "司机姓名,乘车学生家长私信可见"),
        Column("司机手机", True, "11位手机号,只私信给乘车学生家长,不在群里出现"),
        Column("车牌", True, "如 湘A12345"),
    ),
    "值班": (
        Column("日期", False, "某一天的带班领导,如 2026-11-23;与 星期 二选一(同一天以日期为准)"),
        Column("星期", False, "每周固定的带班领导,一 至 日,如 一 或 二,四"),
        Column("带班领导", True, "姓名,须在 教师 表中"),
    ),
}

SHEET_ORDER = tuple(SHEETS)
NOTES_SHEET = "说明"

EXAMPLES: dict[str, tuple[object, ...]] = {
    "班级": ("三年级2班", 3, "李梅", "13900000001", "wecom", "wrOgAAAA-example", "", ""),
    "学生": ("G2017001", "王小明", "三年级2班", "男", "2017-03-05", "是", "无", *("",) * 9, "一号线"),
    "家长": ("G2017001", "刘芳", "母亲", "13800001111", "", "是"),
    "教师": ("李梅", "13900000001", "班主任", "三年级2班", ""),
    "课程": ("篮球", "X", "三,五", "16:00", "17:00", 30, 15, 20, "3,4", "李梅"),
    "校车": ("一号线", "城东方向", "王师傅", "13700000001", "湘A12345"),
    "值班": ("", "一", "李梅"),
}


def short(header: str) -> str:
    """A header without its hint in brackets: 平台(wecom|dingtalk) -> 平台."""
    return header.split("(")[0]
