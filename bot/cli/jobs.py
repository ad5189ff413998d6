"""CLI for scheduled jobs (`tuoguan jobs list|run`) and the school calendar (`tuoguan calendar ...`)."""

from __future__ import annotations

import argparse
from datetime import date, timedelta
from pathlib import Path

from bot.bootstrap import Services
from bot.cli import staff
from bot.jobs import build_jobs
from bot.jobs.runner import run_job
from bot.services.errors import NoSchool
from bot.store.calendar import KIND_LABELS, KINDS
from bot.store.uow import UnitOfWork


def add_parsers(
    sub: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser
) -> None:
    jobs = sub.add_parser("jobs", parents=[common], help="定时任务: 列表、手动执行")
    jobs_sub = jobs.add_subparsers(dest="jobs_command", required=True, metavar="ACTION")
    jobs_sub.add_parser("list", parents=[common], help="列出定时任务和下次执行时间")
    run = jobs_sub.add_parser("run", parents=[common], help="立即执行一个定时任务")
    run.add_argument("name", help="任务名,见 tuoguan jobs list")
    run.add_argument("--at", help="当作在此时间执行, ISO 格式 (默认现在)")

    report = sub.add_parser("report", parents=[common], help="报表")
    report_sub = report.add_subparsers(dest="report_command", required=True, metavar="KIND")
    daily = report_sub.add_parser("daily", parents=[common], help="校长日报(文字)")
    daily.add_argument("--date", type=date.fromisoformat, help="日期 2026-11-23 (默认今天)")
    daily.add_argument("--chart", metavar="FILE.png", help="另存近20个托管日出勤与晚接图 (PNG)")
    agreements = report_sub.add_parser("agreements", parents=[common], help="本学期协议和学平险(按班级)")
    agreements.add_argument("--date", type=date.fromisoformat, help="学期内任一天 (默认今天)")
    agreements.add_argument("--out", metavar="FILE.xlsx", type=Path, help="另存为 .xlsx (每班一个工作表)")
    survey = report_sub.add_parser(
        "survey", parents=[common], help="月度服务评价: 按班级、课程的平均分和意见"
    )
    survey.add_argument("--month", help="月份 2026-11 (默认最近一次评价的月份)")
    survey.add_argument("--out", metavar="FILE.xlsx", type=Path, help="另存为 .xlsx")
    staff.add_report_parsers(report_sub, common)
    incidents = report_sub.add_parser("incidents", parents=[common], help="安全事件登记簿(按月)")
    incidents.add_argument("--month", required=True, help="月份 2026-11")
    incidents.add_argument("--out", type=Path, metavar="FILE.xlsx", help="另存为 .xlsx")

    cal = sub.add_parser("calendar", parents=[common], help="校历: 学期、停课、补课日")
    cal_sub = cal.add_subparsers(dest="calendar_command", required=True, metavar="ACTION")
    cal_sub.add_parser("list", parents=[common], help="列出校历条目")
    add = cal_sub.add_parser("add", parents=[common], help="添加: 学期 / 停课 / 补课")
    add.add_argument("kind", choices=sorted(KINDS), help="学期 | 停课 | 补课")
    add.add_argument("start", type=date.fromisoformat, help="开始日期 2026-09-01")
    add.add_argument("end", type=date.fromisoformat, nargs="?", help="结束日期 (默认同开始)")
    add.add_argument("--name", default="", help="说明,如 2026秋季学期")
    add.add_argument("--no-notice", action="store_true", help="停课: 不通知家长(默认立即通知受影响的班级群)")
    rm = cal_sub.add_parser("remove", parents=[common], help="删除一条校历")
    rm.add_argument("id", type=int)


async def cmd_jobs(services: Services, args: argparse.Namespace) -> int:
    specs = {spec.name: spec for spec in build_jobs()}
    tz = services.settings.school.tz
    now = services.clock.now().astimezone(tz)
    if args.jobs_command == "list":
        if not specs:
            print("暂无定时任务")
        for spec in specs.values():
            nxt = spec.next_fire(now, tz)
            when = nxt.strftime("%Y-%m-%d %H:%M") if nxt else "-"
            print(f"{spec.name:<18} 下次 {when}  {spec.summary}")
        return 0
    chosen = specs.get(args.name)
    if chosen is None:
        print(f"没有任务「{args.name}」。可用: {', '.join(specs) or '(无)'}")
        return 2
    for result in await run_job(services.jobs, chosen, now):
        print(result.render())
    return 0


async def cmd_calendar(services: Services, args: argparse.Namespace) -> int:
    async with services.db.unit_of_work() as uow:
        schools = await uow.calendar.school_ids()
        if not schools:
            print("还没有学校数据: 请先 tuoguan roster import 或 tuoguan demo")
            return 1
        school_id = schools[0]
        if args.calendar_command == "add":
            end = args.end or args.start
            if end < args.start:
                print("结束日期不能早于开始日期")
                return 2
            closed = await _closed_care_days(services, uow, school_id, args.start, end, args.kind)
            entry_id = await uow.calendar.add(school_id, args.kind, args.start, end, args.name)
            print(
                f"已添加 #{entry_id}: {KIND_LABELS[KINDS[args.kind]]} {args.start} ~ {end} {args.name}".rstrip()
            )
            if closed and not args.no_notice:
                print(await _tell_closure(services, uow, school_id, closed, args.name))
            return 0
        if args.calendar_command == "remove":
            ok = await uow.calendar.remove(args.id)
            print(f"已删除 #{args.id}" if ok else f"没有校历条目 #{args.id}")
            return 0 if ok else 1
        entries = await uow.calendar.entries(school_id)
        if not entries:
            print("校历为空: 未设学期时,按法定工作日(含调休)安排托管")
        for e in entries:
            print(f"#{e.id} {KIND_LABELS[e.kind]} {e.start} ~ {e.end} {e.name}".rstrip())
        return 0


async def _closed_care_days(
    services: Services, uow: UnitOfWork, school_id: int, start: date, end: date, kind: str
) -> list[date]:
    """The care days from today on that a closure being added takes away (before it is added)."""
    if KINDS[kind] != "closure":
        return []
    calendar = await uow.calendar.of(school_id)
    today = services.clock.now().astimezone(services.settings.school.tz).date()
    days = [start + timedelta(days=i) for i in range((end - start).days + 1)]
    return [d for d in days if d >= today and calendar.is_care_day(d)]


async def _tell_closure(
    services: Services, uow: UnitOfWork, school_id: int, days: list[date], reason: str
) -> str:
    """A closure told at once: a notice (with confirmation) to every class group, in the same transaction."""
    from bot.domain.notices import closure_text, days_text
    from bot.notices import send_notice

    now = services.clock.now()
    sent = await send_notice(
        uow,
        services.settings,
        school_id=school_id,
        sender_staff_id=None,
        sender="学校",
        kind="closure",
        scope="全校",
        text=closure_text(days_text(days), reason),
        classes=await uow.notices.classes_with_pupils(school_id),
        now=now,
        closure_day=days[0],
    )
    await uow.outbox.add(sent.pushes, now)
    missing = f";没有可用班级群: {'、'.join(sent.no_chat)}" if sent.no_chat else ""
    return f"已通知 {len(sent.pushes)} 个班级群,应确认 {sent.reached} 名学生{missing}"


async def cmd_report(services: Services, args: argparse.Namespace) -> int:
    kind = getattr(args, "report_command", "daily")  # callers of the daily report may leave it out
    if kind == "incidents":
        return await report_incidents(services, args)
    if kind == "agreements":
        return await cmd_report_agreements(services, args)
    if kind == "survey":
        return await cmd_report_survey(services, args)
    if kind in staff.REPORTS:
        return await staff.cmd_report(services, args)
    reports = services.use_cases.reports
    day = args.date or reports.today()
    try:
        daily = await reports.daily(day, chart=bool(args.chart))
    except NoSchool:
        print("还没有学校数据: 请先 tuoguan roster import 或 tuoguan demo")
        return 1
    for school_id, text, png in daily:
        print(text)
        if png is not None:
            print(f"图表已保存: {write_chart(png, school_id, args.chart, len(daily) > 1)}")
    return 0


def write_chart(png: bytes, school_id: int, path: str, per_school: bool) -> str:
    target = Path(path)
    if per_school:
        target = target.with_name(f"{target.stem}-{school_id}{target.suffix}")
    target.write_bytes(png)
    return str(target)


async def cmd_report_agreements(services: Services, args: argparse.Namespace) -> int:
    """`tuoguan report agreements [--date D] [--out FILE.xlsx]`."""
    from bot.services import agreement_reports as reports

    tz = services.settings.school.tz
    day = args.date or services.clock.now().astimezone(tz).date()
    report = await reports.load_agreements(services.db, day, tz)
    if report is None:
        print("还没有学校数据: 请先 tuoguan roster import 或 tuoguan demo")
        return 1
    print(reports.render_agreements(report))
    if args.out:
        reports.write_agreements(args.out, report)
        print(f"已导出: {args.out}")
    return 0


async def cmd_report_survey(services: Services, args: argparse.Namespace) -> int:
    """`tuoguan report survey [--month YYYY-MM] [--out FILE.xlsx]`."""
    from bot.domain.survey import render
    from bot.services import agreement_reports as reports

    if args.month is not None and not reports.is_month(args.month):
        print(f"月份格式应为 YYYY-MM,例如 2026-11,而不是「{args.month}」")
        return 2
    today = services.clock.now().astimezone(services.settings.school.tz).date()
    summary = await reports.load_survey(services.db, args.month, today)
    if summary is None:
        print("还没有学校数据: 请先 tuoguan roster import 或 tuoguan demo")
        return 1
    print(render(summary))
    if args.out:
        reports.write_survey(args.out, summary)
        print(f"已导出: {args.out}")
    return 0


async def report_incidents(services: Services, args: argparse.Namespace) -> int:
    """The month's incident register on stdout, and as .xlsx with --out."""
    from bot.services.incident_report import incident_register, month_bounds, register_text, write_register

    bounds = month_bounds(args.month)
    if bounds is None:
        print(f"月份「{args.month}」格式不对,例如: tuoguan report incidents --month 2026-11")
        return 2
    tz = services.settings.school.tz
    rows = await incident_register(services.db, *bounds)
    print(register_text(rows, args.month, tz))
    if args.out:
        write_register(rows, args.month, tz, args.out)
        print(f"已导出 {args.out}")
    return 0
