"""`pickup-reminder` and `late-pickup`: pushes into class groups around the end of care.

Both run every five minutes in the afternoon and decide per class what is due at that moment, so
per-grade end times and the summer schedule need no cron of their own. Push keys are per child and day,
so a re-run (another instance, a restart, a misfire catch-up) never sends anything twice.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select

from bot.domain.care import CareTimes, expected_pickup
from bot.domain.messages import Push
from bot.jobs.registry import JobContext, JobSpec, same_evening
from bot.store.care import ClassDay, Kid, class_day, guardians_of
from bot.store.tables import Chat, ClassGroup, Staff, StaffRole, Student

WINDOW = timedelta(minutes=5)  # the jobs' period: each fire covers (at - WINDOW, at]
AFTERNOON = {"day_of_week": "mon-sun", "hour": "14-20", "minute": "*/5"}


async def _classes(ctx: JobContext) -> list[tuple[int, str, int, int | None]]:
    async with ctx.services.db.transaction() as s:
        rows = await s.execute(
            select(ClassGroup.id, ClassGroup.name, ClassGroup.grade, Chat.id)
            .outerjoin(Chat, (Chat.class_group_id == ClassGroup.id) & Chat.broken_reason.is_(None))
            .where(ClassGroup.school_id == ctx.school_id)
            .order_by(ClassGroup.id)
        )
        seen: dict[int, tuple[int, str, int, int | None]] = {}
        for class_id, name, grade, chat in rows.all():
            seen.setdefault(class_id, (class_id, name, grade, chat))
        return list(seen.values())


async def _mentions(ctx: JobContext, kids: list[Kid]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    users: list[str] = []
    phones: list[str] = []
    async with ctx.services.db.transaction() as s:
        for kid in kids:
            for guardian in await guardians_of(s, kid.id):
                if not guardian.may_pickup:
                    continue
                if guardian.user_ids:
                    users.extend(guardian.user_ids)
                else:
                    phones.append(guardian.phone)
    return tuple(dict.fromkeys(users)), tuple(dict.fromkeys(phones))


def _local(ctx: JobContext, moment: datetime) -> datetime:
    return moment.astimezone(ctx.services.settings.school.tz)


async def pickup_reminder(ctx: JobContext) -> str:
    """N minutes before care ends, one message per class mentioning the guardians of children still in care."""
    times = CareTimes.from_settings(ctx.services.settings.care)
    lead = timedelta(minutes=ctx.services.settings.care.reminder_minutes)
    end = datetime.combine(ctx.day, times.end_for(ctx.day), tzinfo=ctx.at.tzinfo)
    if not (ctx.at - WINDOW < end - lead <= ctx.at):
        return "未到提醒时间"
    sent = 0
    for class_id, name, _grade, chat in await _classes(ctx):
        if chat is None:
            continue
        async with ctx.services.db.transaction() as s:
            kids = list((await s.execute(
                select(Student.id, Student.name, Student.class_group_id, ClassGroup.grade, Student.basic_care)
                .join(ClassGroup, ClassGroup.id == Student.class_group_id)
                .where(Student.class_group_id == class_id, Student.active.is_(True))
            )).all())
            day = await class_day(s, [Kid(*k) for k in kids], ctx.day)
        waiting = [k for k in day.waiting() if k.id not in day.pickups and not _late_notice_covers(day, k, end)]
        if not waiting:
            continue
        users, phones = await _mentions(ctx, waiting)
        ctx.push(Push(
            key=f"pickup-reminder:{class_id}:{ctx.day.isoformat()}", chat_ref=chat,
            text=f"{name}托管将于 {end:%H:%M} 结束,请还没接孩子的家长按时来接。已告知晚接的家长无需回复。",
            mention_user_ids=users, mention_phones=phones,
        ))
        sent += 1
    return f"提醒 {sent} 个班"


def _late_notice_covers(day: ClassDay, kid: Kid, end: datetime) -> bool:
    plan = day.plans.get(kid.id)
    return bool(plan and plan.expected_time and plan.expected_time > end.time())


async def late_pickup(ctx: JobContext) -> str:
    """After the expected time plus grace: tell the group (mentioning the guardians) and the care teacher;
    after the escalation delay, the principal gets every child still unaccounted for, with phones."""
    settings = ctx.services.settings.care
    times = CareTimes.from_settings(settings)
    end = times.end_for(ctx.day)
    grace, escalate = timedelta(minutes=settings.late_grace_minutes), timedelta(minutes=settings.escalate_minutes)
    alerts, escalations = 0, []
    for class_id, name, _grade, chat in await _classes(ctx):
        async with ctx.services.db.transaction() as s:
            kids = [Kid(*k) for k in (await s.execute(
                select(Student.id, Student.name, Student.class_group_id, ClassGroup.grade, Student.basic_care)
                .join(ClassGroup, ClassGroup.id == Student.class_group_id)
                .where(Student.class_group_id == class_id, Student.active.is_(True))
            )).all()]
            day = await class_day(s, kids, ctx.day)
            teachers = list((await s.scalars(select(StaffRole.staff_id).where(
                StaffRole.class_group_id == class_id, StaffRole.role.in_(("care_teacher", "head_teacher"))
            ).distinct())).all())
        for kid in day.waiting():
            if kid.id in day.pickups:
                continue  # a guardian said they took the child; the teacher confirms, no alarm
            plan = day.plans.get(kid.id)
            expected = datetime.combine(ctx.day, expected_pickup(end, plan.expected_time if plan else None),
                                        tzinfo=ctx.at.tzinfo)
            if ctx.at < expected + grace:
                continue
            users, phones = await _mentions(ctx, [kid])
            if chat is not None:
                ctx.push(Push(key=f"late-pickup:{kid.id}:{ctx.day.isoformat()}:group", chat_ref=chat,
                              text=f"{kid.name}还在托管班等候(约定 {expected:%H:%M}),请家长尽快来接,谢谢!",
                              mention_user_ids=users, mention_phones=phones))
            for teacher in teachers:
                ctx.push(Push(key=f"late-pickup:{kid.id}:{ctx.day.isoformat()}:t{teacher}", staff_id=teacher,
                              text=f"{name} {kid.name} 超过 {expected:%H:%M} 仍未接走,请留意并联系家长。"))
            alerts += 1
            if ctx.at >= expected + escalate:
                escalations.append((name, kid))
    if escalations:
        await _escalate(ctx, escalations)
    return f"晚接提醒 {alerts} 人,上报 {len(escalations)} 人"


async def _escalate(ctx: JobContext, escalations: list[tuple[str, Kid]]) -> None:
    lines = [f"仍未接走 {len(escalations)} 人({ctx.at:%H:%M}):"]
    async with ctx.services.db.transaction() as s:
        for class_name, kid in escalations:
            phones = "、".join(f"{g.relation}{g.name} {g.phone}" for g in await guardians_of(s, kid.id))
            lines.append(f"· {class_name} {kid.name}: {phones or '无联系人'}")
        principals = list((await s.scalars(
            select(StaffRole.staff_id).join(Staff, Staff.id == StaffRole.staff_id)
            .where(Staff.school_id == ctx.school_id, StaffRole.role == "principal").distinct()
        )).all())
    ids = "-".join(str(k.id) for _, k in escalations)
    for principal in principals:
        ctx.push(Push(key=f"late-escalation:{ctx.day.isoformat()}:{ids}:p{principal}", staff_id=principal,
                      text="\n".join(lines)))


JOBS = [
    JobSpec("pickup-reminder", "托管结束前提醒家长接孩子", AFTERNOON, pickup_reminder),
    JobSpec("late-pickup", "超时未接: 群内提醒家长、告知托管教师,超时上报校长", AFTERNOON, late_pickup,
            still_useful=same_evening),
]
