"""`pickup-reminder` and `late-pickup`: pushes into class groups around the end of care.

Both run every five minutes in the afternoon and decide per class what is due at that moment, so
per-grade end times and the summer schedule need no cron of their own. Push keys are per class and
day (and agreed time), so a re-run (another instance, a restart, a misfire catch-up) never sends twice.
The whole school is read in a fixed number of queries, however many classes it has.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta

from bot.domain.care import CareTimes, expected_pickup
from bot.domain.messages import Push
from bot.jobs.registry import JobContext, JobSpec, same_evening
from bot.store.care import GuardianContact
from bot.store.care_jobs import SchoolAfternoon
from bot.store.care_scan import WaitingChild

WINDOW = timedelta(minutes=5)  # the jobs' period: each fire covers (at - WINDOW, at]
AFTERNOON = {"day_of_week": "mon-sun", "hour": "14-20", "minute": "*/5"}


async def _load(ctx: JobContext) -> SchoolAfternoon:
    async with ctx.deps.db.unit_of_work() as uow:
        return await uow.care_jobs.afternoon(ctx.school_id, ctx.day)


def _mentions(contacts: list[GuardianContact]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    users = [u for g in contacts if g.may_pickup for u in g.user_ids]
    phones = [g.phone for g in contacts if g.may_pickup and not g.user_ids]
    return tuple(dict.fromkeys(users)), tuple(dict.fromkeys(phones))


def _late_notice_covers(kid: WaitingChild, end: datetime) -> bool:
    return bool(kid.expected_time and kid.expected_time > end.time())


async def pickup_reminder(ctx: JobContext) -> str:
    """N minutes before care ends, one message per class mentioning the guardians of children still in care."""
    times = CareTimes.from_settings(ctx.deps.settings.care)
    lead = timedelta(minutes=ctx.deps.settings.care.reminder_minutes)
    end = datetime.combine(ctx.day, times.end_for(ctx.day), tzinfo=ctx.at.tzinfo)
    if not (ctx.at - WINDOW < end - lead <= ctx.at):
        return "未到提醒时间"
    school = await _load(ctx)
    waiting: dict[int, list[GuardianContact]] = {}
    for kid in school.waiting:
        if (
            kid.class_group_id in school.chats
            and not kid.claimed
            and not _late_notice_covers(kid, end)
            and kid.id not in school.missing
        ):  # their guardians were told one-to-one at departure
            waiting.setdefault(kid.class_group_id, []).extend(kid.guardians)
    for class_id, contacts in waiting.items():
        users, phones = _mentions(contacts)
        ctx.push(
            Push(
                key=f"pickup-reminder:{class_id}:{ctx.day.isoformat()}",
                chat_ref=school.chats[class_id],
                text=f"{school.names[class_id]}托管将于 {end:%H:%M} 结束,请还没接孩子的家长按时来接。已告知晚接的家长无需回复。",
                mention_user_ids=users,
                mention_phones=phones,
            )
        )
    return f"提醒 {len(waiting)} 个班"


async def late_pickup(ctx: JobContext) -> str:
    """After the expected time plus grace: tell the group (mentioning the guardians) and the care teachers;
    after the escalation delay, the principal gets every child still unaccounted for, with phones.
    A child a guardian said they took but no teacher confirmed stays on the teachers' and the principal's
    lists, marked 待确认; their guardians are not called on in the group."""
    settings = ctx.deps.settings.care
    end = CareTimes.from_settings(settings).end_for(ctx.day)
    grace, escalate = (
        timedelta(minutes=settings.pickup_grace_minutes),
        timedelta(minutes=settings.escalate_minutes),
    )
    school = await _load(ctx)
    late: list[tuple[WaitingChild, datetime]] = []
    for kid in school.waiting:
        expected = _agreed(ctx, school, kid, end)
        if ctx.at >= expected + grace:
            late.append((kid, expected))
    escalations = []
    batches: dict[tuple[int, datetime], list[WaitingChild]] = {}
    for kid, expected in late:
        batches.setdefault((kid.class_group_id, expected), []).append(kid)
        if ctx.at >= expected + escalate:
            escalations.append(kid)
    for (class_id, expected), kids in batches.items():
        _alert_class(ctx, school, class_id, expected, kids)
    if escalations:
        lines = [f"仍未接走 {len(escalations)} 人({ctx.at:%H:%M}):"]
        for kid in escalations:
            numbers = "、".join(f"{g.relation}{g.name} {g.phone}" for g in kid.guardians)
            pending = ("(待确认)" if kid.claimed else "") + _bus_note(school, kid)
            lines.append(f"· {school.names[kid.class_group_id]} {kid.name}{pending}: {numbers or '无联系人'}")
        ids = "-".join(str(k.id) for k in escalations)
        for principal in school.principals:
            ctx.push(
                Push(
                    key=f"late-escalation:{ctx.day.isoformat()}:{ids}:p{principal}"[:200],
                    staff_id=principal,
                    text="\n".join(lines),
                )
            )
    return f"晚接提醒 {len(late)} 人,上报 {len(escalations)} 人"


def _agreed(ctx: JobContext, school: SchoolAfternoon, kid: WaitingChild, end: time) -> datetime:
    """When the child is due to leave: care end, or a late notice's time; a rider missing from their bus at
    departure (no pickup plan of their guardians that day) was due on the bus: the departure, escalated like a
    late pickup from then on."""
    bus = school.missing.get(kid.id)
    if bus is not None:
        return bus.departed_at.astimezone(ctx.at.tzinfo)
    return datetime.combine(ctx.day, expected_pickup(end, kid.expected_time), tzinfo=ctx.at.tzinfo)


def _bus_note(school: SchoolAfternoon, kid: WaitingChild) -> str:
    bus = school.missing.get(kid.id)
    return f"(未上校车 {bus.line})" if bus is not None else ""


def _alert_class(
    ctx: JobContext, school: SchoolAfternoon, class_id: int, expected: datetime, kids: list[WaitingChild]
) -> None:
    """One group message per class and agreed time, @-mentioning the guardians and naming no child (who is
    late is not for the class to read); the class's teachers get the names privately."""
    batch_key = f"{class_id}:{ctx.day.isoformat()}:{expected:%H%M}"
    calling = [
        k for k in kids if not k.claimed and k.id not in school.missing
    ]  # a rider's guardians: told 1:1
    if class_id in school.chats and calling:
        users, phones = _mentions([g for k in calling for g in k.guardians])
        ctx.push(
            Push(
                key=f"late-pickup:{batch_key}:group",
                chat_ref=school.chats[class_id],
                text=f"{school.names[class_id]}托管已过约定接孩子的时间({expected:%H:%M}),"
                "被提到的家长请尽快来接,谢谢!",
                mention_user_ids=users,
                mention_phones=phones,
            )
        )
    names = "、".join(
        f"{k.name}{'(家长称已接走,待确认)' if k.claimed else ''}{_bus_note(school, k)}" for k in kids
    )
    for teacher in school.teachers.get(class_id, []):
        ctx.push(
            Push(
                key=f"late-pickup:{batch_key}:t{teacher}",
                staff_id=teacher,
                text=f"{school.names[class_id]} 超过 {expected:%H:%M} 仍未确认接走 {len(kids)} 人: {names}。"
                "请核实并联系家长。",
            )
        )


JOBS = [
    JobSpec("pickup-reminder", "托管结束前提醒家长接孩子", AFTERNOON, pickup_reminder),
    JobSpec(
        "late-pickup",
        "超时未接: 群内提醒家长、告知托管教师,超时上报校长",
        AFTERNOON,
        late_pickup,
        still_useful=same_evening,
    ),
]
