"""Parsing one roster cell: phones, dates, times, yes/no, weekdays, grades, money in fen."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import date, datetime, time
from decimal import Decimal, InvalidOperation
from typing import Any

PHONE = re.compile(r"^1[3-9]\d{9}$")
WEEKDAY_WORDS = {"一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "日": 7, "天": 7}
YES = {"是", "y", "yes", "1", "true", "√", "可以", "可"}
NO = {"否", "n", "no", "0", "false", "×", "不可", "不"}


class FieldError(ValueError):
    """A cell's value is not acceptable; the message is the Chinese reason."""


def phone(value: str) -> str:
    digits = re.sub(r"[\s\-()（）]", "", value)
    if digits.startswith("+86"):
        digits = digits[3:]
    elif digits.startswith("86") and len(digits) == 13:
        digits = digits[2:]
    if not PHONE.match(digits):
        raise FieldError(f'手机号"{value}"格式不对(应为11位手机号)')
    return digits


def yes_no(value: str, default: bool) -> bool:
    if value == "":
        return default
    lowered = value.lower()
    if lowered in YES:
        return True
    if lowered in NO:
        return False
    raise FieldError(f'"{value}"应填 是 或 否')


_DATE_PATTERNS = (
    re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})$"),
    re.compile(r"^(\d{4})年(\d{1,2})月(\d{1,2})日?$"),
    re.compile(r"^(\d{4})(\d{2})(\d{2})$"),
)


def a_date(raw: Any) -> date | None:
    if raw is None or (isinstance(raw, str) and raw.strip() == ""):
        return None
    if isinstance(raw, datetime):
        return raw.date()
    if isinstance(raw, date):
        return raw
    text = str(raw).strip()
    if text.endswith(" 00:00:00"):
        text = text[:-9]
    for pattern in _DATE_PATTERNS:
        match = pattern.match(text)
        if match:
            try:
                return date(int(match[1]), int(match[2]), int(match[3]))
            except ValueError:
                break
    raise FieldError(f'日期"{text}"无法识别(应如 2016-03-05)')


def a_time(raw: Any) -> time:
    if isinstance(raw, time):
        return raw.replace(second=0, microsecond=0)
    if isinstance(raw, datetime):
        return raw.time().replace(second=0, microsecond=0)
    text = str(raw if raw is not None else "").strip().replace("：", ":")
    match = re.match(r"^(\d{1,2}):(\d{2})(?::\d{2})?$", text)
    if not match or int(match[1]) > 23 or int(match[2]) > 59:
        raise FieldError(f'时间"{text}"格式不对(应如 16:00)')
    return time(int(match[1]), int(match[2]))


def weekdays(value: str) -> str:
    parts = [p for p in re.split(r"[,，、\s/]+", value.replace("周", "").replace("星期", "")) if p]
    days: list[int] = []
    for part in parts:
        if part in WEEKDAY_WORDS:
            days.append(WEEKDAY_WORDS[part])
        elif part.isdigit() and 1 <= int(part) <= 7:
            days.append(int(part))
        else:
            raise FieldError(f'星期"{value}"无法识别(应如 三,五)')
    if not days:
        raise FieldError("星期不能为空(应如 三,五)")
    return ",".join(str(d) for d in sorted(set(days)))


def grades(value: str) -> str:
    if value == "":
        return ""
    found: set[int] = set()
    for part in re.split(r"[,，、\s]+", value.replace("年级", "")):
        if not part:
            continue
        span = re.match(r"^(\d)\s*[-~至到]\s*(\d)$", part)
        numbers = (
            list(range(int(span[1]), int(span[2]) + 1)) if span else [int(part)] if part.isdigit() else []
        )
        if not numbers or any(not 1 <= n <= 6 for n in numbers):
            raise FieldError(f'年级"{value}"应为 1-6,如 3,4 或 3-4')
        found.update(numbers)
    return ",".join(str(g) for g in sorted(found))


def grade(value: str) -> int:
    text = value.replace("年级", "")
    cn = {"一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6}
    number = cn.get(text) or (int(text) if text.isdigit() else 0)
    if not 1 <= number <= 6:
        raise FieldError(f'年级"{value}"应为 1-6')
    return number


def positive_int(value: str, label: str, *, allow_zero: bool = False) -> int:
    try:
        number = int(Decimal(value))
        if Decimal(value) != number:
            raise InvalidOperation
    except (InvalidOperation, ValueError):
        raise FieldError(f'{label}"{value}"应为整数') from None
    if number < 0 or (number == 0 and not allow_zero):
        raise FieldError(f'{label}"{value}"应大于0')
    return number


def yuan_to_fen(value: str) -> int:
    """Money as integer fen, parsed with Decimal (never float)."""
    if value == "":
        return 0
    try:
        amount = Decimal(value.replace("元", "").replace(",", ""))
    except InvalidOperation:
        raise FieldError(f'单价"{value}"应为金额,如 20 或 20.50') from None
    if amount < 0 or amount.as_tuple().exponent < -2:  # type: ignore[operator]
        raise FieldError(f'单价"{value}"应为不小于0、最多两位小数的金额')
    return int(amount * 100)


# The 学生 sheet's staff-only archive columns of a left-behind child, by field name.
ARCHIVE_COLUMNS = {
    "爱心妈妈": "caring_mother",
    "务工单位": "employer",
    "务工单位电话": "employer_phone",
    "监护人职业": "guardian_job",
    "监护人年龄": "guardian_age",
    "监护人健康": "guardian_health",
}
_ARCHIVE_MAX = {"employer": 200, "guardian_health": 100}
_ANY_PHONE = re.compile(r"^\+?[0-9][0-9\-\s()（）转]{4,24}$")


def age(value: str) -> int | None:
    """A guardian's age: a whole number of years (16-110), "65岁" accepted; "" = unknown."""
    text = value.removesuffix("岁").strip()
    if text == "":
        return None
    if not text.isdigit() or not 16 <= int(text) <= 110:
        raise FieldError(f'监护人年龄"{value}"应为 16-110 的整数')
    return int(text)


def any_phone(value: str) -> str:
    """A work-unit phone: a mobile or a landline with area code (0769-12345678), spaces dropped."""
    if value == "":
        return ""
    if not _ANY_PHONE.match(value):
        raise FieldError(f'务工单位电话"{value}"格式不对(如 0769-12345678 或 11位手机号)')
    return re.sub(r"\s", "", value)


def archive_fields(cells: Mapping[str, Any], text: Callable[[str], str]) -> dict[str, Any]:
    """The archive columns present in a row, parsed (absent columns are left out, not emptied)."""
    values: dict[str, Any] = {}
    for column, key in ARCHIVE_COLUMNS.items():
        if column not in cells:
            continue
        raw = text(column)
        if len(raw) > _ARCHIVE_MAX.get(key, 50):
            raise FieldError(f"{column}太长(最多 {_ARCHIVE_MAX.get(key, 50)} 字)")
        values[key] = (
            age(raw) if key == "guardian_age" else any_phone(raw) if key == "employer_phone" else raw
        )
    return values
