"""`tuoguan demo`: a small demo school, written as roster rows through the same validation and import."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from bot.clock import Clock
from bot.roster.importer import ImportResult, import_sheets
from bot.roster.reader import Row, SheetData
from bot.roster.schema import SHEETS
from bot.settings import Settings
from bot.store.db import Database

CLASS_32, CLASS_51 = "三年级2班", "五年级1班"
CHAT_32, CHAT_51 = "demo-3-2", "demo-5-1"

CLASSES = [
    (CLASS_32, 3, "李梅", "13900000001", "wecom", CHAT_32, "", ""),
    (CLASS_51, 5, "陈刚", "13900000002", "wecom", CHAT_51, "", ""),
]
TEACHERS = [
    ("李梅", "13900000001", "班主任", CLASS_32, "teacher-li"),
    ("陈刚", "13900000002", "班主任", CLASS_51, "teacher-chen"),
    ("周静", "13900000003", "托管教师", CLASS_32, "teacher-zhou"),
    ("周静", "13900000003", "托管教师", CLASS_51, "teacher-zhou"),
    ("赵建国", "13900000009", "校长", "", "principal-zhao"),
]
# 学籍号, 姓名, 班级, 性别, 出生日期, 基础托管, 留守, 外出务工地, 帮扶教师
STUDENTS = [
    ("D3201", "王小明", CLASS_32, "男", "2017-03-05", "是", "无", "", ""),
    ("D3202", "李华", CLASS_32, "女", "2017-06-18", "是", "无", "", ""),
    ("D3203", "张一一", CLASS_32, "女", "2017-01-09", "是", "双亲外出", "广东东莞", "周静"),
    ("D3204", "刘洋", CLASS_32, "男", "2017-11-30", "是", "无", "", ""),
    ("D3205", "陈思远", CLASS_32, "男", "2017-04-22", "是", "无", "", ""),
    ("D3206", "杨雨涵", CLASS_32, "女", "2017-08-14", "是", "无", "", ""),
    ("D3207", "赵子轩", CLASS_32, "男", "2017-02-27", "否", "无", "", ""),
    ("D3208", "黄欣怡", CLASS_32, "女", "2017-09-03", "是", "无", "", ""),
    ("D3209", "周博文", CLASS_32, "男", "2017-05-16", "是", "无", "", ""),
    ("D3210", "吴佳琪", CLASS_32, "女", "2017-12-08", "是", "无", "", ""),
    ("D5101", "王小红", CLASS_51, "女", "2015-07-21", "是", "无", "", ""),
    ("D5102", "孙浩然", CLASS_51, "男", "2015-03-11", "是", "无", "", ""),
    ("D5103", "马诗琪", CLASS_51, "女", "2015-10-02", "是", "无", "", ""),
    ("D5104", "朱俊杰", CLASS_51, "男", "2015-01-25", "是", "无", "", ""),
    ("D5105", "胡梓萱", CLASS_51, "女", "2015-06-07", "是", "无", "", ""),
    ("D5106", "郭宇航", CLASS_51, "男", "2015-12-19", "是", "无", "", ""),
    ("D5107", "何雨桐", CLASS_51, "女", "2015-08-30", "是", "无", "", ""),
    ("D5108", "林子豪", CLASS_51, "男", "2015-04-13", "是", "无", "", ""),
    ("D5109", "罗梦洁", CLASS_51, "女", "2015-11-05", "是", "无", "", ""),
    ("D5110", "高天宇", CLASS_51, "男", "2015-02-17", "是", "无", "", ""),
]
# 学籍号, 姓名, 关系, 手机, 平台账号, 可接送
GUARDIANS = [
    ("D3201", "刘芳", "母亲", "13800001111", "parent-wang", "是"),  # mother of two: 王小明 and 王小红
    ("D5101", "刘芳", "母亲", "13800001111", "parent-wang", "是"),
    ("D3201", "王建", "父亲", "13800001112", "parent-wang-dad", "是"),
    ("D5101", "王建", "父亲", "13800001112", "parent-wang-dad", "是"),
    ("D3202", "李强", "父亲", "13800002221", "parent-li", "是"),
    ("D3203", "张国庆", "父亲", "13800003331", "parent-zhang-dad", "是"),  # works away from home
    ("D3203", "张奶奶", "奶奶", "13800003333", "parent-zhang-grandma", "是"),  # entrusted guardian
    ("D3204", "刘伟", "父亲", "13800004441", "parent-liu", "是"),
    ("D3204", "刘小姨", "其他", "13800004449", "", "否"),  # may not pick up
    ("D3205", "陈敏", "母亲", "13800005551", "parent-chen", "是"),
    ("D3206", "杨帆", "父亲", "13800006661", "", "是"),
    ("D3207", "赵磊", "父亲", "13800007771", "", "是"),
    ("D3208", "黄丽", "母亲", "13800008881", "", "是"),
    ("D3209", "周涛", "父亲", "13800009991", "", "是"),
    ("D3210", "吴娟", "母亲", "13800010101", "", "是"),
    ("D5102", "孙丽", "母亲", "13800011111", "parent-sun", "是"),
    ("D5103", "马超", "父亲", "13800012121", "", "是"),
    ("D5104", "朱红", "母亲", "13800013131", "", "是"),
    ("D5105", "胡军", "父亲", "13800014141", "", "是"),
    ("D5106", "郭静", "母亲", "13800015151", "", "是"),
    ("D5107", "何平", "父亲", "13800016161", "", "是"),
    ("D5108", "林娜", "母亲", "13800017171", "", "是"),
    ("D5109", "罗斌", "父亲", "13800018181", "", "是"),
    ("D5110", "高燕", "母亲", "13800019191", "", "是"),
]
COURSES = [
    ("基础托管", "1", "一,二,三,四,五", "15:50", "17:30", 120, 1, "0", "", "周静"),
    ("篮球", "X", "三,五", "16:00", "17:00", 30, 15, "20", "3,4,5,6", "陈刚"),
    ("书法", "X", "二,四", "16:00", "17:00", 20, 15, "20", "", "李梅"),
]


def _sheet(name: str, rows: Sequence[Sequence[object]]) -> SheetData:
    headers = [c.header.split("(")[0] for c in SHEETS[name]]
    return SheetData(
        name, [Row(i, dict(zip(headers, values, strict=False))) for i, values in enumerate(rows, start=2)]
    )


def demo_sheets() -> dict[str, SheetData]:
    students = [(*s, "") for s in STUDENTS]
    return {
        "班级": _sheet("班级", CLASSES),
        "学生": _sheet("学生", students),
        "家长": _sheet("家长", GUARDIANS),
        "教师": _sheet("教师", TEACHERS),
        "课程": _sheet("课程", COURSES),
    }


@dataclass
class DemoInfo:
    result: ImportResult | None
    skipped: bool = False

    def render(self) -> str:
        if self.result is not None and not self.result.ok:
            return self.result.render()
        head = "数据库里已有学生,未载入演示数据。" if self.skipped else "演示学校已就绪。"
        if self.result is not None and self.result.ok and not self.result.changed:
            head = "演示学校已存在,无变化。"
        return "\n".join(
            [
                head,
                f"班级群: {CHAT_32} ({CLASS_32}), {CHAT_51} ({CLASS_51})",
                "家长: parent-wang (刘芳, 王小明和王小红的妈妈), parent-li, parent-zhang-grandma",
                "教师: teacher-li (三年级2班班主任), teacher-zhou (托管教师); 校长: principal-zhao",
                "试试:",
                f"  tuoguan say --chat {CHAT_32} --user parent-wang 查询",
                f"  tuoguan say --chat {CHAT_32} --user teacher-li 帮助",
                f"  tuoguan say --chat {CHAT_32} --user principal-zhao 查询",
            ]
        )


async def load_demo(db: Database, settings: Settings, clock: Clock, only_if_empty: bool = False) -> DemoInfo:
    if only_if_empty:
        async with db.unit_of_work() as uow:
            if await uow.roster.has_students():
                return DemoInfo(None, skipped=True)
    result = await import_sheets(
        db,
        demo_sheets(),
        source="demo",
        school_name=settings.school.name,
        clock=clock,
        window_hours=settings.enrollment.window_hours,
    )
    return DemoInfo(result)


async def demo_school_id(db: Database, settings: Settings) -> int | None:
    async with db.unit_of_work() as uow:
        return await uow.roster.school_named(settings.school.name)
