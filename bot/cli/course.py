"""`tuoguan course add` and `tuoguan course publish NAME`: a course is added unpublished (browsable in 课程), and
publishing opens its first-round window of `enrollment.window_hours` (24) from that moment."""

from __future__ import annotations

import argparse
from datetime import time

from bot.bootstrap import Services
from bot.domain import course_board as rules
from bot.domain.course_board import CourseLine
from bot.domain.fees import parse_yuan
from bot.store.courses import CoursesRepo

COMMANDS = ("add", "publish")


def add_parsers(
    csub: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser
) -> None:
    add = csub.add_parser("add", parents=[common], help="添加 X类 课程(发布后开放报名)")
    add.add_argument("name")
    add.add_argument("--weekdays", required=True, help="星期几上课, 如 3,5")
    add.add_argument("--time", required=True, help="16:30-17:10")
    add.add_argument("--capacity", type=int, required=True)
    add.add_argument("--min-size", type=int, default=15)
    add.add_argument("--price", help="每课时价格(元), 如 20 (默认 20)")
    add.add_argument("--price-fen", type=int, help=argparse.SUPPRESS)  # older scripts: the price in fen
    add.add_argument("--grades", default="", help="1,2,3 (默认全部)")
    add.add_argument("--teacher", default="", help="教师姓名")
    add.add_argument("--publish", action="store_true", help="添加后立即发布,开放报名")
    pub = csub.add_parser("publish", parents=[common], help="发布课程: 开放报名 (默认 24 小时后截止)")
    pub.add_argument("name")
    pub.add_argument("--hours", type=int, help="报名开放多少小时 (默认取配置 enrollment.window_hours)")


async def cmd_course(services: Services, args: argparse.Namespace) -> int:
    """`course add` or `course publish`, in one unit of work."""
    async with services.db.unit_of_work() as uow:
        school_id = await uow.roster.first_school()
        if school_id is None:
            print("还没有学校,请先导入花名册。")
            return 1
        if args.course_command == "add":
            return await add_course(services, uow.courses, school_id, args)
        return await publish_course(services, uow.courses, school_id, args)


def _price_fen(args: argparse.Namespace) -> int | None:
    if args.price is not None:
        return parse_yuan(args.price) if args.price.strip() not in ("0", "0元") else 0
    return args.price_fen if args.price_fen is not None else 2000


async def add_course(
    services: Services, courses: CoursesRepo, school_id: int, args: argparse.Namespace
) -> int:
    start, _, end = args.time.partition("-")
    price = _price_fen(args)
    if price is None:
        print(f"价格「{args.price}」不对,请写元,如 --price 20")
        return 1
    try:
        times = time.fromisoformat(start.strip()), time.fromisoformat(end.strip())
    except ValueError:
        print(f"时间「{args.time}」不对,请写成 16:30-17:10")
        return 1
    course = await courses.add(
        school_id,
        args.name,
        weekdays=args.weekdays,
        start=times[0],
        end=times[1],
        capacity=args.capacity,
        min_size=args.min_size,
        price_fen=price,
        grades=args.grades,
        teacher=args.teacher,
        state="draft",
    )
    if course is None:
        print(f"已有课程 {args.name}")
        return 1
    print(f"已添加课程 {args.name}({rules.price_text(price)})")
    if args.publish:
        return await _publish(services, courses, course, None)
    print(f"发布后开放报名: tuoguan course publish {args.name}")
    return 0


async def publish_course(
    services: Services, courses: CoursesRepo, school_id: int, args: argparse.Namespace
) -> int:
    course = await courses.named(school_id, args.name, lock=True)
    if course is None:
        print(f"没有课程 {args.name}")
        return 1
    return await _publish(services, courses, course, args.hours)


async def _publish(services: Services, courses: CoursesRepo, course: CourseLine, hours: int | None) -> int:
    """Open the course's window now (a window already running or over is left as it is)."""
    now = services.clock.now()
    tz = services.settings.school.tz
    window = await courses.window(course.id)
    phase = rules.phase(course.state, window, now)
    if phase is rules.Phase.CANCELLED:
        print(f"{course.name} 已撤班,不能发布")
        return 1
    if course.state == "open" and window is not None and phase is not rules.Phase.UPCOMING:
        print(f"{course.name} 已发布: {rules.window_text(phase, window, tz)}")
        return 0
    fresh = rules.default_window(now, services.settings.enrollment.window_hours if hours is None else hours)
    await courses.publish(course.id, fresh)
    if fresh is None:
        print(f"已发布 {course.name}: 报名中(不限时间)")
        return 0
    assert fresh.opens_at is not None and fresh.closes_at is not None
    print(
        f"已发布 {course.name}: 报名 {rules.when_text(fresh.opens_at, tz)} 开放,"
        f"{rules.when_text(fresh.closes_at, tz)} 截止"
    )
    return 0
