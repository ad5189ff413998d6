"""`tuoguan course list|window|cancel-session|priority`: thin commands over the enrollment use cases (add and
publish: bot/cli/course.py)."""

from __future__ import annotations

import argparse
from datetime import date, datetime

from bot.bootstrap import Services
from bot.cli import course as course_cli
from bot.domain import enrollment as rules
from bot.domain.course_board import price_text
from bot.domain.fees import yuan
from bot.services.enrollment import EnrollmentService
from bot.services.errors import NoSchool


def add_course_parser(
    sub: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser
) -> None:
    course = sub.add_parser("course", parents=[common], help="课程: 添加、发布、列表、报名时间")
    csub = course.add_subparsers(dest="course_command", required=True, metavar="ACTION")
    csub.add_parser("list", parents=[common], help="列出课程和报名人数")
    course_cli.add_parsers(csub, common)
    win = csub.add_parser("window", parents=[common], help="设置报名时间")
    win.add_argument("name")
    win.add_argument("opens", type=datetime.fromisoformat)
    win.add_argument("closes", type=datetime.fromisoformat)
    win.add_argument("--reserved", type=int, default=0, help="为优先群体保留的名额")
    win.add_argument("--priority-opens", type=datetime.fromisoformat, help="优先群体提前开始报名的时间")
    cancel = csub.add_parser("cancel-session", parents=[common], help="学校停课: 记录并为已缴费的学生退费")
    cancel.add_argument("name")
    cancel.add_argument("day", type=date.fromisoformat, help="2026-11-25")
    cancel.add_argument("--reason", default="", help="停课原因(如 运动会)")
    prio = csub.add_parser("priority", parents=[common], help="标记优先群体(困难家庭),仅教职工可见")
    prio.add_argument("student_no", help="学籍号")
    prio.add_argument("group", choices=sorted(rules.PRIORITY_GROUPS), help="hardship 困难家庭 / left_behind")
    prio.add_argument("--off", action="store_true", help="取消标记")


async def cmd_course(services: Services, args: argparse.Namespace) -> int:
    if args.course_command in course_cli.COMMANDS:
        return await course_cli.cmd_course(services, args)
    enrollment = services.use_cases.enrollment
    try:
        if args.course_command == "window":
            if not await enrollment.set_window(
                args.name, args.opens, args.closes, args.reserved, args.priority_opens
            ):
                print(f"没有课程 {args.name}")
                return 1
            print(f"{args.name} 报名时间 {args.opens} 至 {args.closes}")
        elif args.course_command == "cancel-session":
            return await cancel_session_cli(enrollment, args)
        elif args.course_command == "priority":
            return await mark_priority(enrollment, args)
        else:
            for c in await enrollment.courses():
                print(
                    f"{c.name}\t{c.state}\t{c.held}/{c.capacity}\t最少{c.min_size}\t{price_text(c.price_fen)}"
                )
    except NoSchool:
        print("还没有学校,请先导入花名册。")
        return 1
    return 0


async def cancel_session_cli(enrollment: EnrollmentService, args: argparse.Namespace) -> int:
    """A session the school cancels: recorded once, refunded per child already charged, families told."""
    done = await enrollment.cancel_session(args.name, args.day, args.reason)
    if done.refusal:
        print(done.refusal)
        return 1
    print(
        f"「{done.course}」{args.day} 停课{'已记录' if done.new else '(此前已记录)'}: "
        f"退费 {len(done.refunded)} 人 共 {yuan(sum(done.refunded))} 元,通知 {done.told} 位家长"
    )
    return 0


async def mark_priority(enrollment: EnrollmentService, args: argparse.Namespace) -> int:
    name = await enrollment.mark_priority(args.student_no, args.group, args.off)
    if name is None:
        print(f"没有学籍号 {args.student_no}")
        return 1
    label = rules.PRIORITY_GROUPS[args.group]
    print(f"{name}: {'已取消' if args.off else '已标记'}{label}")
    return 0
