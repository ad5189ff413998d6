"""Validating every roster row into typed records, collecting each problem with sheet and row number."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from bot.domain.roster import (  # noqa: F401 (re-exported: the roster's records and labels)
    CLASS_ROLES,
    LEFT_BEHIND,
    LEFT_BEHIND_LABELS,
    PLATFORMS,
    RELATIONS,
    ROLE_LABELS,
    ROLES,
    ClassRec,
    CourseRec,
    GuardianRec,
    Known,
    StudentRec,
    TeacherRec,
    Validated,
)
from bot.roster import fields as f
from bot.roster.bus import validate_bus
from bot.roster.duty_sheet import validate_duty
from bot.roster.reader import Row, SheetData


class Validator:
    def __init__(self, sheets: dict[str, SheetData], known: Known) -> None:
        self.sheets = sheets
        self.known = known
        self.out = Validated()
        # Running indexes, so each row is checked in constant time.
        self._class_seen: set[str] = set()
        self._student_seen: set[str] = set()
        self._guardian_seen: set[tuple[str, str]] = set()
        self._course_seen: set[str] = set()
        self._teacher_phones: dict[str, set[str]] = {}

    def run(self) -> Validated:
        for sheet in self.sheets.values():
            if sheet.missing:
                self.out.errors.append(f"{sheet.name}: 缺少列 {'、'.join(sheet.missing)}")
        if self.out.errors:
            return self.out
        self._each("教师", self._teacher)
        self._each("班级", self._class)
        self._each("学生", self._student)
        self._each("家长", self._guardian)
        self._each("课程", self._course)
        self.out.bus = validate_bus(self.sheets, self.known.bus_lines)
        self.out.errors += self.out.bus.errors
        self.out.duties, duty_errors = validate_duty(self.sheets.get("值班"), self._teacher_exists)
        self.out.errors += duty_errors
        self._cross_checks()
        return self.out

    # -- helpers -------------------------------------------------------------------------------
    def _each(self, sheet: str, parse: Callable[[Row], Any]) -> None:
        if sheet not in self.sheets:
            return
        for row in self.sheets[sheet].rows:
            try:
                parse(row)
            except f.FieldError as exc:
                self.out.errors.append(f"{sheet} 第{row.number}行: {exc}")

    @staticmethod
    def _required(row: Row, column: str) -> str:
        value = row.text(column)
        if value == "":
            raise f.FieldError(f"{column}不能为空")
        return value

    def _has_class(self, name: str) -> bool:
        return name in self._class_seen or name in self.known.classes

    def _staff_phones(self, name: str) -> set[str]:
        return self._teacher_phones.get(name) or self.known.staff_names.get(name, set())

    def _teacher_exists(self, name: str, what: str) -> None:
        phones = self._staff_phones(name)
        if not phones:
            raise f.FieldError(f'{what}"{name}"不在教师表中')
        if len(phones) > 1:
            raise f.FieldError(f'{what}"{name}"有{len(phones)}位同名教师,请在教师表中区分姓名')

    # -- sheets --------------------------------------------------------------------------------
    def _teacher(self, row: Row) -> None:
        name = self._required(row, "姓名")
        phone = f.phone(self._required(row, "手机"))
        role_text = self._required(row, "角色")
        role = ROLES.get(role_text)
        if role is None:
            raise f.FieldError(f'角色"{role_text}"应为 班主任、托管教师、校长 或 管理员')
        class_name = row.text("班级")
        if role in CLASS_ROLES and not class_name:
            raise f.FieldError(f"{role_text}需要填写班级")
        if role in {"principal", "admin"} and class_name:
            raise f.FieldError(f"{role_text}不属于某个班级,班级请留空")
        self.out.teachers.append(TeacherRec(name, phone, role, class_name, row.text("平台账号")))
        self._teacher_phones.setdefault(name, set()).add(phone)

    def _class(self, row: Row) -> None:
        name = self._required(row, "班级")
        if name in self._class_seen:
            raise f.FieldError(f'班级"{name}"重复')
        grade = f.grade(self._required(row, "年级"))
        head = row.text("班主任")
        head_phone = f.phone(row.text("班主任手机")) if row.text("班主任手机") else ""
        platform_text = row.text("平台")
        platform = PLATFORMS.get(platform_text.lower(), "") if platform_text else ""
        if platform_text and not platform:
            raise f.FieldError(f'平台"{platform_text}"应为 wecom 或 dingtalk')
        chat_id = row.text("群ID")
        if chat_id and not platform:
            raise f.FieldError("填写了群ID,请同时填写平台(wecom 或 dingtalk)")
        self._class_seen.add(name)
        self.out.classes.append(
            ClassRec(
                name, grade, head, head_phone, platform, chat_id, row.text("推送地址"), row.text("推送密钥")
            )
        )

    def _student(self, row: Row) -> None:
        number = self._required(row, "学籍号")
        if number in self._student_seen:
            raise f.FieldError(f'学籍号"{number}"重复')
        name = self._required(row, "姓名")
        class_name = self._required(row, "班级")
        if not self._has_class(class_name):
            raise f.FieldError(f'班级"{class_name}"不存在')
        gender = row.text("性别")
        if gender not in {"", "男", "女"}:
            raise f.FieldError(f'性别"{gender}"应为 男 或 女')
        birth = f.a_date(row.cells.get("出生日期"))
        basic_care = f.yes_no(row.text("基础托管"), default=True)
        lb_text = row.text("留守")
        if lb_text not in LEFT_BEHIND:
            raise f.FieldError(f'留守"{lb_text}"应为 无、父亲外出、母亲外出 或 双亲外出')
        paired = row.text("帮扶教师")
        if paired:
            self._teacher_exists(paired, "帮扶教师")
        self._student_seen.add(number)
        self.out.students.append(
            StudentRec(
                number,
                name,
                class_name,
                gender,
                birth,
                basic_care,
                LEFT_BEHIND[lb_text],
                row.text("外出务工地"),
                paired,
                row.text("备注"),
                self._archive(row),
            )
        )

    def _archive(self, row: Row) -> dict[str, Any]:
        """The staff-only archive columns given in the row (爱心妈妈 by name, checked like 帮扶教师)."""
        values = f.archive_fields(row.cells, row.text)
        mother = values.get("caring_mother", "")
        if mother:
            self._teacher_exists(mother, "爱心妈妈")
        return values

    def _guardian(self, row: Row) -> None:
        number = self._required(row, "学籍号")
        if number not in self._student_seen and number not in self.known.student_nos:
            raise f.FieldError(f'学籍号"{number}"不在学生表中')
        name = self._required(row, "姓名")
        relation = self._required(row, "关系")
        if relation not in RELATIONS:
            raise f.FieldError(f'关系"{relation}"应为 {"、".join(RELATIONS)} 之一')
        phone = f.phone(self._required(row, "手机"))
        if (number, phone) in self._guardian_seen:
            raise f.FieldError(f"学籍号{number}的家长手机{phone}重复")
        self._guardian_seen.add((number, phone))
        may_pickup = f.yes_no(row.text("可接送"), default=True)
        self.out.guardians.append(
            GuardianRec(number, name, relation, phone, row.text("平台账号"), may_pickup)
        )

    def _course(self, row: Row) -> None:
        name = self._required(row, "课程")
        if name in self._course_seen:
            raise f.FieldError(f'课程"{name}"重复')
        self._course_seen.add(name)
        category = self._required(row, "类别").upper()
        if category not in {"1", "X"}:
            raise f.FieldError(f'类别"{category}"应为 1(基础托管) 或 X(拓展课程)')
        days = f.weekdays(self._required(row, "星期"))
        start = f.a_time(row.cells.get("开始"))
        end = f.a_time(row.cells.get("结束"))
        if start >= end:
            raise f.FieldError(f"开始时间{start:%H:%M}应早于结束时间{end:%H:%M}")
        capacity = f.positive_int(self._required(row, "容量"), "容量")
        min_text = row.text("最少人数")
        min_size = f.positive_int(min_text, "最少人数", allow_zero=True) if min_text else min(15, capacity)
        if min_size > capacity:
            raise f.FieldError(f"最少人数{min_size}大于容量{capacity}")
        price = f.yuan_to_fen(row.text("单价"))
        teacher = row.text("教师")
        if teacher:
            self._teacher_exists(teacher, "教师")
        self.out.courses.append(
            CourseRec(
                name,
                category,
                days,
                start,
                end,
                capacity,
                min_size,
                price,
                f.grades(row.text("年级")),
                teacher,
            )
        )

    # -- across sheets -------------------------------------------------------------------------
    def _same_names(self) -> None:
        """Pupils sharing a name in one class are imported, with a warning: messages must tell them apart."""
        seen: dict[tuple[str, str], list[str]] = {}
        for st in self.out.students:
            seen.setdefault((st.class_name, st.name), []).append(st.student_no)
        for (class_name, name), numbers in seen.items():
            if len(numbers) > 1:
                self.out.warnings.append(
                    f'学生: {class_name}有 {len(numbers)} 名同名学生"{name}"(学籍号 {"、".join(numbers)}),'
                    f"消息中按姓名无法区分,请在姓名中加以区分(例如 {name}A、{name}B)后重新导入"
                )

    def _cross_checks(self) -> None:
        self._same_names()
        for cls in self.out.classes:
            if not cls.head_teacher:
                continue
            line = self._line_of("班级", "班级", cls.name)
            phones = self._staff_phones(cls.head_teacher)
            if not phones:
                self.out.errors.append(f'班级 第{line}行: 班主任"{cls.head_teacher}"不在教师表中')
            elif cls.head_phone and cls.head_phone not in phones:
                self.out.errors.append(f"班级 第{line}行: 班主任手机{cls.head_phone}与教师表不一致")
            elif len(phones) > 1 and not cls.head_phone:
                self.out.errors.append(
                    f'班级 第{line}行: 班主任"{cls.head_teacher}"有同名教师,请填写班主任手机'
                )
        for t in self.out.teachers:
            if t.class_name and not self._has_class(t.class_name):
                line = self._line_of("教师", "姓名", t.name, 班级=t.class_name)
                self.out.errors.append(f'教师 第{line}行: 班级"{t.class_name}"不存在')
        self._one_name_per_phone("教师", [(t.phone, t.name) for t in self.out.teachers])
        self._one_name_per_phone("家长", [(g.phone, g.name) for g in self.out.guardians])
        self._accounts_unique()

    def _line_of(self, sheet: str, column: str, value: str, **more: str) -> int:
        """The first row of `sheet` whose cells hold these values (for cross-sheet messages)."""
        wanted = {column: value, **more}
        for row in self.sheets.get(sheet, SheetData(sheet)).rows:
            if all(self._cell(row, col) == val for col, val in wanted.items()):
                return row.number
        return 0

    @staticmethod
    def _cell(row: Row, column: str) -> str:
        text = row.text(column)
        if column == "手机" and text:
            try:
                return f.phone(text)
            except f.FieldError:
                return text
        return text

    def _one_name_per_phone(self, sheet: str, entries: list[tuple[str, str]]) -> None:
        names: dict[str, str] = {}
        for phone, name in entries:
            if phone in names and names[phone] != name:
                line = self._line_of(sheet, "手机", phone, 姓名=name)
                self.out.errors.append(f'{sheet} 第{line}行: 手机{phone}同时登记为"{names[phone]}"和"{name}"')
            names.setdefault(phone, name)

    def _accounts_unique(self) -> None:
        owners: dict[str, str] = dict(self.known.accounts)
        # One person (one phone) may hold the account as a teacher and as a parent at once.
        people = [(t.account, t.phone, "教师", t.name) for t in self.out.teachers] + [
            (g.account, g.phone, "家长", g.name) for g in self.out.guardians
        ]
        for account, owner, sheet, name in people:
            if not account:
                continue
            if account in owners and owners[account] != owner:
                line = self._line_of(sheet, "平台账号", account, 姓名=name)
                self.out.errors.append(f'{sheet} 第{line}行: 平台账号"{account}"已属于另一人({name}重复使用)')
            owners.setdefault(account, owner)
