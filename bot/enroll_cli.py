"""`tuoguan course list|window|cancel-session|priority` (add, publish: bot/course_cli.py) and the
close-enrollment job (撤班 of under-filled courses, second round, the 公示)."""

from __future__ import annotations

import argparse
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot import course_cli
from bot.bootstrap import Services
from bot.course_news import gongshi_pushes
from bot.domain import enrollment as rules
from bot.domain.course_board import price_text
from bot.domain.enrollment import State
from bot.domain.fees import yuan
from bot.domain.messages import Push
from bot.store import outbox
from bot.store.calendar import school_calendar
from bot.store.enroll_tables import CourseWindow, PriorityMark, as_utc
from bot.store.enrollment import held_counts, open_enrollments, promote_waitlist, set_state
from bot.store.fees import calendar_term, cancel_session
from bot.store.tables import Course, School, Student
from bot.store.term_facts import weekdays


def add_course_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser) -> None:
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
    async with services.db.transaction() as s:
        school_id = (await s.execute(select(School.id).order_by(School.id))).scalars().first()
        if school_id is None:
            print("还没有学校,请先导入花名册。")
            return 1
        if args.course_command == "add":
            return await course_cli.add_course(services, s, school_id, args)
        if args.course_command == "publish":
            return await course_cli.publish_course(services, s, school_id, args)
        if args.course_command == "window":
            course = (await s.execute(select(Course).where(Course.school_id == school_id,
                                                           Course.name == args.name))).scalars().first()
            if course is None:
                print(f"没有课程 {args.name}")
                return 1
            early = _aware(services, args.priority_opens) if args.priority_opens else None
            course.state = "open" if course.state == "draft" else course.state  # a window publishes it
            await s.merge(CourseWindow(course_id=course.id, opens_at=_aware(services, args.opens),
                                       closes_at=_aware(services, args.closes), round=1,
                                       reserved_places=args.reserved, priority_opens_at=early))
            print(f"{args.name} 报名时间 {args.opens} 至 {args.closes}")
        elif args.course_command == "cancel-session":
            return await cancel_session_cli(services, s, school_id, args)
        elif args.course_command == "priority":
            return await mark_priority(services, s, args)
        else:
            held = await held_counts(s, school_id)
            for c in (await s.execute(select(Course).where(Course.school_id == school_id))).scalars():
                print(f"{c.name}\t{c.state}\t{held.get(c.id, 0)}/{c.capacity}\t最少{c.min_size}\t{price_text(c.price_fen)}")
    return 0


async def cancel_session_cli(services: Services, s: AsyncSession, school_id: int, args: argparse.Namespace) -> int:
    """A session the school cancels: recorded once, refunded per child already charged, families told."""
    from bot.fees_cli import policy

    course = (await s.execute(select(Course).where(Course.school_id == school_id,
                                                   Course.name == args.name))).scalars().first()
    cal = await school_calendar(s, school_id)
    if course is None:
        print(f"没有课程 {args.name}")
        return 1
    if args.day.isoweekday() not in weekdays(course) or not cal.is_care_day(args.day):
        print(f"{args.day} 不是「{course.name}」的上课日({cal.why_not(args.day) or '星期不符'})")
        return 1
    start, _ = calendar_term(cal, args.day)
    now = services.clock.now()
    done = await cancel_session(s, course, args.day, args.reason, start, now, policy(services),
                                services.settings.school.tz)
    when = f"{args.day.month}月{args.day.day}日"
    pushes = [Push(key=f"session-cancel:{course.id}:{args.day}:{eid}", guardian_id=gid,
                   text=f"「{course.name}」{when}的课因学校安排停课"
                        + (",该课时费用将退还,发送「费用」可查看。" if fen else "。"))
              for eid, fen, gid in done.seats if gid is not None]
    await outbox.enqueue(s, pushes, now)
    refunded = [fen for _, fen, _ in done.seats if fen]
    print(f"「{course.name}」{args.day} 停课{'已记录' if done.new else '(此前已记录)'}: "
          f"退费 {len(refunded)} 人 共 {yuan(sum(refunded))} 元,通知 {len(pushes)} 位家长")
    return 0


async def mark_priority(services: Services, s: AsyncSession, args: argparse.Namespace) -> int:
    student = (await s.execute(select(Student).where(Student.student_no == args.student_no))).scalars().first()
    if student is None:
        print(f"没有学籍号 {args.student_no}")
        return 1
    mark = await s.get(PriorityMark, (student.id, args.group))
    if args.off and mark is not None:
        await s.delete(mark)
    elif not args.off and mark is None:
        s.add(PriorityMark(student_id=student.id, group=args.group, set_by="cli", set_at=services.clock.now()))
    label = rules.PRIORITY_GROUPS[args.group]
    print(f"{student.name}: {'已取消' if args.off else '已标记'}{label}")
    return 0


def _aware(services: Services, at: datetime) -> datetime:
    return at if at.tzinfo else at.replace(tzinfo=services.settings.school.tz)


async def close_enrollment(services: Services, at: datetime) -> str:
    """Windows closed by `at`: courses under the minimum are cancelled and their families told; the others
    open a second round (round 2) for the children of the cancelled courses only."""
    from bot.handlers.enroll import priority_policy

    days = services.settings.enrollment.second_round_days
    async with services.db.transaction() as s:
        return await close_windows(s, at, days, priority_policy(services.settings))


async def close_windows(
    s: AsyncSession, at: datetime, second_round_days: int, priority: rules.PriorityPolicy | None = None
) -> str:
    """See close_enrollment; courses that go ahead release their unused reserved places to the waitlist."""
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
            await s.flush()
            for e in await promote_waitlist(s, course, priority or rules.PriorityPolicy(), at):
                if e.guardian_id is not None:
                    pushes.append(Push(key=f"enroll:{e.id}:promoted", guardian_id=e.guardian_id,
                                       text=f"候补转正:「{course.name}」有空位了,已进入审核。"))
            continue
        course.state = "cancelled"
        cancelled.append(f"{course.name}({held}/{course.min_size})")
        for e in rows:
            set_state(e, State.CANCELLED, at)
            if e.guardian_id is not None:
                pushes.append(Push(key=f"enroll:{e.id}:cancelled", guardian_id=e.guardian_id,
                                   text=f"「{course.name}」报名人数不足已撤班。二次报名已开放 {second_round_days} 天,"
                                        "请发送「报名 课程名」选择其他课程。"))
    await s.flush()
    told = len(pushes)
    published = await gongshi_pushes(s, [course for course, _ in due])
    await outbox.enqueue(s, pushes + published, at)
    if not due:
        return "没有到期的报名。"
    return (f"报名截止 {len(due)} 门课程;撤班: {'、'.join(cancelled) or '无'};通知 {told} 位家长;"
            f"公示 {len(published)} 条。")
