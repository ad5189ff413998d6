"""`tuoguan` command line: the parser and the commands serve, db, roster, demo, say; the others live beside it
(jobs, calendar, report: `bot.cli.jobs`; course: `bot.cli.enroll`; fees: `bot.cli.fees`; check: `bot.cli.check`)."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bot.bootstrap import Services, bootstrap, configure_logging
from bot.cli import check, enroll, fees, jobs
from bot.clock import Clock, FixedClock, SystemClock, parse_at
from bot.domain.messages import IncomingMessage, Platform
from bot.settings import Settings, load_settings


def _common() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--config", metavar="FILE", default=argparse.SUPPRESS, help="额外的 TOML 配置文件")
    return common


def build_parser() -> argparse.ArgumentParser:
    common = _common()
    parser = argparse.ArgumentParser(
        prog="tuoguan", description="托管助手: 课后托管的班级群助手", parents=[common]
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    serve = sub.add_parser("serve", parents=[common], help="启动回调服务和定时任务")
    serve.add_argument("--host", help="监听地址 (默认取配置 server.host)")
    serve.add_argument("--port", type=int, help="端口 (默认取配置 server.port)")
    serve.add_argument("--demo", action="store_true", help="数据库为空时先载入演示学校")
    serve.add_argument("--sim", action="store_true", default=None, help="开启本地群聊模拟器 /sim")
    serve.add_argument("--workers", type=int, help="工作进程数 (默认取配置 server.workers, 即 1)")
    serve.add_argument("--secondary", action="store_true", help=argparse.SUPPRESS)  # started by --workers

    db = sub.add_parser("db", parents=[common], help="数据库")
    db_sub = db.add_subparsers(dest="db_command", required=True, metavar="ACTION")
    db_sub.add_parser("upgrade", parents=[common], help="创建或升级数据库 (Alembic)")

    roster = sub.add_parser("roster", parents=[common], help="花名册 (Excel/CSV)")
    roster_sub = roster.add_subparsers(dest="roster_command", required=True, metavar="ACTION")
    tpl = roster_sub.add_parser("template", parents=[common], help="生成花名册模板 .xlsx")
    tpl.add_argument("file", type=Path)
    imp = roster_sub.add_parser("import", parents=[common], help="导入花名册 .xlsx 或 .csv (每表一个 CSV)")
    imp.add_argument("files", type=Path, nargs="+")
    exp = roster_sub.add_parser("export", parents=[common], help="导出当前花名册 .xlsx")
    exp.add_argument("file", type=Path, nargs="?", default=Path("roster-export.xlsx"))

    sub.add_parser("demo", parents=[common], help="载入演示学校 (两个班、课程、家长、一名留守儿童)")

    say = sub.add_parser("say", parents=[common], help="以某人身份在某群发一条消息,打印回复")
    say.add_argument("--chat", required=True, help="群ID (花名册 班级.群ID)")
    say.add_argument("--user", required=True, help="发送人平台账号")
    say.add_argument("--at", help="消息时间 ISO 格式,如 2026-11-23T16:30 (默认现在)")
    say.add_argument("text", nargs="+", help="消息内容")
    jobs.add_parsers(sub, common)
    enroll.add_course_parser(sub, common)
    fees.add_fees_parser(sub, common)
    check.add_check_parser(sub, common)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        settings = load_settings(getattr(args, "config", None))
    except FileNotFoundError as exc:
        print(exc, file=sys.stderr)
        return 2
    configure_logging(settings)
    if args.command != "serve" and settings.log.level.upper() == "INFO":
        # One-shot commands print their own results; keep routine INFO lines off the console.
        logging.getLogger().setLevel(logging.WARNING)
    if args.command == "serve":
        from bot.serve import run_server

        return run_server(settings, args)
    if args.command == "check":
        return asyncio.run(check.run_check(settings))
    return asyncio.run(_run(settings, args))


async def _run(settings: Settings, args: argparse.Namespace) -> int:
    clock: Clock = SystemClock()
    if getattr(args, "at", None):
        clock = FixedClock(parse_at(args.at, settings.school.tz))
    services = bootstrap(settings, clock=clock)
    try:
        await services.db.upgrade()
        return await COMMANDS[args.command](services, args)
    finally:
        await services.close()


async def cmd_db(services: Services, args: argparse.Namespace) -> int:
    print(f"数据库已是最新版本: {await services.db.current_revision()}")
    return 0


async def cmd_roster(services: Services, args: argparse.Namespace) -> int:
    roster = services.use_cases.roster
    if args.roster_command == "template":
        roster.template(args.file)
        print(f"已生成花名册模板: {args.file}")
        return 0
    if args.roster_command == "export":
        await roster.export(args.file)
        print(f"已导出花名册: {args.file}")
        return 0
    result = await roster.import_files(args.files)
    print(result.render())
    return 0 if result.ok else 1


async def cmd_demo(services: Services, args: argparse.Namespace) -> int:
    from bot.demo import load_demo

    info = await load_demo(services.db, services.settings, services.clock)
    print(info.render())
    return 0


async def cmd_say(services: Services, args: argparse.Namespace) -> int:
    async with services.db.unit_of_work() as uow:
        chat = await uow.people.find_chat(None, args.chat)
    platform = Platform(chat.platform) if chat else Platform.SIM
    msg = IncomingMessage(
        platform=platform,
        chat_id=args.chat,
        sender_id=args.user,
        text=" ".join(args.text),
        message_id=f"cli-{uuid.uuid4().hex}",
        received_at=services.clock.now(),
    )
    outcome = await services.pipeline.handle_message(msg)
    label = "[私聊回复]" if outcome.reply.private else "[群回复]"
    print(f"{label} {outcome.reply.text}")
    for push in outcome.pushes:
        print(f"[推送 {push_target(push)}] {push.text}")
    return 0


def push_target(push: Any) -> str:
    if push.chat_ref is not None:
        return f"群#{push.chat_ref}"
    if push.staff_id is not None:
        return f"教师#{push.staff_id}"
    return f"家长#{push.guardian_id}"


COMMANDS = {
    "db": cmd_db,
    "roster": cmd_roster,
    "demo": cmd_demo,
    "say": cmd_say,
    "jobs": jobs.cmd_jobs,
    "calendar": jobs.cmd_calendar,
    "report": jobs.cmd_report,
    "course": enroll.cmd_course,
    "fees": fees.cmd_fees,
}


if __name__ == "__main__":
    raise SystemExit(main())
