"""`tuoguan report workload --month M [--out F]` and `tuoguan report family --term [--out F]`."""

from __future__ import annotations

import argparse
from datetime import date
from pathlib import Path

from bot.bootstrap import Services
from bot.domain.care import CareTimes
from bot.domain.school_calendar import calendar_term
from bot.domain.workload import Rates
from bot.services import family_report, workload

REPORTS = ("workload", "family")


def add_report_parsers(
    report_sub: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser
) -> None:
    wl = report_sub.add_parser("workload", parents=[common], help="教师到岗、课时、人时和课酬(按月)")
    wl.add_argument("--month", required=True, help="月份 2026-10")
    wl.add_argument("--out", type=Path, metavar="FILE.xlsx", help="另存为 .xlsx(含计算明细)")
    fam = report_sub.add_parser("family", parents=[common], help="留守儿童档案与关爱记录(按学期,每生一行)")
    fam.add_argument("--term", action="store_true", help="本学期(默认)")
    fam.add_argument("--date", type=date.fromisoformat, help="学期内任一天 (默认今天)")
    fam.add_argument("--out", type=Path, metavar="FILE.xlsx", help="另存为 .xlsx(含档案和每条记录)")


def rates(services: Services) -> Rates:
    pay = services.settings.pay
    return Rates(pay.basic_per_child_hour_fen, pay.x_per_session_fen)


async def month_workload(services: Services, month: str) -> list[workload.MonthWorkload] | None:
    """Each school's workload for the month (None: no school yet); the month checked by the caller."""
    settings = services.settings
    today = services.clock.now().astimezone(settings.school.tz).date()
    async with services.db.unit_of_work() as uow:
        schools = await uow.calendar.school_ids()
        if not schools:
            return None
        out = []
        for school_id in schools:
            calendar = await uow.calendar.of(school_id)
            out.append(
                await workload.month_workload(
                    uow,
                    school_id,
                    month,
                    today,
                    CareTimes.from_settings(settings.care),
                    calendar.is_care_day,
                    rates(services),
                    settings.school.tz,
                )
            )
        return out


def valid_month(month: str) -> bool:
    try:
        workload.month_bounds(month)
    except ValueError:
        return False
    return True


async def cmd_workload(services: Services, month: str, out: Path | None) -> int:
    if not valid_month(month):
        print(f"月份「{month}」不对,应如 2026-10")
        return 2
    found = await month_workload(services, month)
    if found is None:
        print("还没有学校数据: 请先 tuoguan roster import 或 tuoguan demo")
        return 1
    for index, result in enumerate(found):
        print("\n".join(result.lines()))
        if out is not None:
            path = out if len(found) == 1 else out.with_name(f"{out.stem}-{index + 1}{out.suffix}")
            workload.write_xlsx(result, path)
            print(f"已导出 {path}")
    return 0


async def cmd_family(services: Services, day: date | None, out: Path | None) -> int:
    day = day or services.clock.now().astimezone(services.settings.school.tz).date()
    async with services.db.unit_of_work() as uow:
        schools = await uow.calendar.school_ids()
        if not schools:
            print("还没有学校数据: 请先 tuoguan roster import 或 tuoguan demo")
            return 1
        for index, school_id in enumerate(schools):
            start, end = calendar_term(await uow.calendar.of(school_id), day)
            report = await family_report.term_report(uow, school_id, start, end)
            print("\n".join(report.lines()))
            if out is not None:
                path = out if len(schools) == 1 else out.with_name(f"{out.stem}-{index + 1}{out.suffix}")
                family_report.write_xlsx(report, path)
                print(f"已导出 {path}")
    return 0


async def cmd_report(services: Services, args: argparse.Namespace) -> int:
    if args.report_command == "workload":
        return await cmd_workload(services, args.month, args.out)
    return await cmd_family(services, args.date, args.out)
