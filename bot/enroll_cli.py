"""`tuoguan course add|list|window` and the close-enrollment job (撤班 of under-filled courses, second round)."""

from __future__ import annotations

import argparse
from datetime import datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.bootstrap import Services
from bot.domain import enrollment as rules
from bot.domain.enrollment import State
from bot.domain.messages import Push
from bot.store import outbox
from bot.store.enroll_tables import CourseWindow, as_utc
from bot.store.enrollment import open_enrollments, set_state
from bot.store.tables import Course, School, Staff


def add_course_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser) -> None:
    course = sub.add_parser("course", parents=[common], help="课程: 添加、列表、报名时间")
    csub = course.add_subparsers(dest="course_command", required=True, metavar="ACTION")
    csub.add_parser("list", parents=[common], help="列出课程和报名人数")
    add = csub.add_parser("add", parents=[common], help="添加 X类 课程")
    add.add_argument("name")
    add.add_argument("--weekdays", required=True, help="星期几上课, 如 3,5")
    add.add_argument("--time", required=True, help="16:30-17:10")
    add.add_argument("--capacity", type=int, required=True)
    add.add_argument("--min-size", type=int, default=15)
    add.add_argument("--price-fen", type=int, default=2000, help="每课时价格(分)")
    add.add_argument("--grades", default="", help="1,2,3 (默认全部)")
    add.add_argument("--teacher", default="", help="教师姓名")
    win = csub.add_parser("window", parents=[common], help="设置报名时间")
    win.add_argument("name")
    win.add_argument("opens", type=datetime.fromisoformat)
    win.add_argument("closes", type=datetime.fromisoformat)
    win.add_argument("--reserved", type=int, default=0, help="为优先群体保留的名额")


async def cmd_course(services: Services, args: argparse.Namespace) -> int:
    async with services.db.transaction() as s:
        school_id = (await s.execute(select(School.id).order_by(School.id))).scalars().first()
        if school_id is None:
            print("还没有学校,请先导入花名册。")
            return 1
        if args.course_command == "add":
            start, _, end = args.time.partition("-")
            teacher = (await s.execute(select(Staff.id).where(Staff.school_id == school_id,
                                                              Staff.name == args.teacher))).scalars().first()
            s.add(Course(school_id=school_id, name=args.name, category="X", weekdays=args.weekdays,
                         start_time=time.fromisoformat(start), end_time=time.fromisoformat(end),
                         capacity=args.capacity, min_size=args.min_size, price_fen=args.price_fen,
                         grades=args.grades, teacher_id=teacher))
            print(f"已添加课程 {args.name}")
        elif args.course_command == "window":
            course = (await s.execute(select(Course).where(Course.school_id == school_id,
                                                           Course.name == args.name))).scalars().first()
            if course is None:
                print(f"没有课程 {args.name}")
                return 1
            await s.merge(CourseWindow(course_id=course.id, opens_at=_aware(services, args.opens),
                                       closes_at=_aware(services, args.closes), round=1,
                                       reserved_places=args.reserved))
            print(f"{args.name} 报名时间 {args.opens} 至 {args.closes}")
        else:
            for c in (await s.execute(select(Course).where(Course.school_id == school_id))).scalars():
                held = sum(1 for e in await open_enrollments(s, c.id) if State(e.state) in rules.HOLDS_PLACE)
                print(f"{c.name}\t{c.state}\t{held}/{c.capacity}\t最少{c.min_size}\t{c.price_fen}分/课时")
    return 0


def _aware(services: Services, at: datetime) -> datetime:
    return at if at.tzinfo else at.replace(tzinfo=services.settings.school.tz)


async def close_enrollment(services: Services, at: datetime) -> str:
    """Windows closed by `at`: courses under the minimum are cancelled and their families told; the others
    open a second round (round 2) for the children of the cancelled courses only."""
    days = services.settings.enrollment.second_round_days
    async with services.db.transaction() as s:
        return await close_windows(s, at, days)


async def close_windows(s: AsyncSession, at: datetime, second_round_days: int) -> str:
    at = as_utc(at) or at
    due = (await s.execute(
        select(Course, CourseWindow).join(CourseWindow, CourseWindow.course_id == Course.id)
        .where(CourseWindow.round == 1, CourseWindow.closes_at <= at, Course.state == "open")
        .with_for_update(of=Course)
    )).all()
    pushes: list[Push] = []
    cancelled: list[str] = []
    for course, window in due:
        rows = await open_enrollments(s, course.id)
        held = sum(1 for e in rows if State(e.state) in rules.HOLDS_PLACE)
        window.round = 2
        window.opens_at = at
        window.closes_at = at + timedelta(days=second_round_days)
        if not rules.under_filled(held, course.min_size):
            continue
        course.state = "cancelled"
        cancelled.append(f"{course.name}({held}/{course.min_size})")
        for e in rows:
            set_state(e, State.CANCELLED, at)
            if e.guardian_id is not None:
                pushes.append(Push(key=f"enroll:{e.id}:cancelled", guardian_id=e.guardian_id,
                                   text=f"「{course.name}」报名人数不足已撤班。二次报名已开放 {second_round_days} 天,"
                                        "请发送「报名 课程名」选择其他课程。"))
    await outbox.enqueue(s, pushes, at)
    if not due:
        return "没有到期的报名。"
    return f"报名截止 {len(due)} 门课程;撤班: {'、'.join(cancelled) or '无'};通知 {len(pushes)} 位家长。"
