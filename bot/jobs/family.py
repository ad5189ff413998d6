"""`family-call` and `birthday-note`: the monthly rhythm of care for left-behind children.

On the month's first school day (morning fire) the parents away get a warm prompt, one-to-one when they
have a platform account, else one group notice per class that names no child and no status; each paired
teacher gets their list and each head teacher the pastoral-talk reminder. On the first school day from
the 15th, a follow-up for those not done. On the last school day (evening fire) the principal gets the
month's completion table. Everything about a named child goes to staff or to the family only.
"""

from __future__ import annotations

from collections import defaultdict

from bot.domain import family as rules
from bot.domain.messages import Push
from bot.jobs.registry import JobContext, JobSpec, same_evening
from bot.store.care import GuardianContact
from bot.store.care_jobs import CareJobsRepo
from bot.store.family import LeftBehind

EVENING_FROM = 13  # fires from this hour on close the month; earlier ones prompt and follow up

GROUP_NOTICE = (
    "各位家长好:本月亲情通话提醒——在外工作的家长,请抽空和孩子通个电话或视频,聊聊学习和生活。"
    "通话后请私聊托管助手回复「已通话」(视频回复「已通话 视频」),不必在群里说,记录只有老师能看到。"
)


def _prompt_text(names: list[str], follow_up: bool) -> str:
    who = "、".join(names)
    if follow_up:
        return (
            f"您好!本月过半,还没有收到您和{who}的亲情通话记录。孩子很想念您,请抽空打个电话或视频。"
            "通话后回复「已通话」,谢谢!"
        )
    return (
        f"您好!新的一个月到了,请抽空和{who}通个电话或视频,聊聊学习和生活,孩子在学校有老师照看。"
        "通话后回复「已通话」(视频回复「已通话 视频」),老师会记下。谢谢!"
    )


def _away(child: LeftBehind, contacts: list[GuardianContact]) -> list[GuardianContact]:
    """The parents away from home; when the roster names none of them, every guardian passes it on."""
    away = [g for g in contacts if rules.away_relation(child.status, g.relation)]
    return away or contacts


async def _prompt_families(
    ctx: JobContext, care: CareJobsRepo, children: list[LeftBehind], tag: str
) -> tuple[int, int]:
    """Prompt the parents away of `children`: privately where possible, else one neutral notice per class."""
    contacts = await care.guardian_contacts([c.id for c in children])
    chats = await care.working_chats(ctx.school_id)
    per_guardian: dict[int, list[str]] = defaultdict(list)
    classes_without_account: set[int] = set()
    for child in children:
        for g in _away(child, contacts.get(child.id, [])):
            if g.user_ids:
                per_guardian[g.guardian_id].append(child.name)
            else:
                classes_without_account.add(child.class_group_id)
    month = rules.month_key(ctx.day)
    for guardian_id, names in per_guardian.items():
        ctx.push(
            Push(
                key=f"family-call:{month}:{tag}:g{guardian_id}",
                guardian_id=guardian_id,
                text=_prompt_text(names, follow_up=tag == "follow-up"),
            )
        )
    groups = 0
    for class_id in sorted(classes_without_account):
        if class_id in chats:
            ctx.push(
                Push(
                    key=f"family-call:{month}:{tag}:class{class_id}",
                    chat_ref=chats[class_id],
                    text=GROUP_NOTICE,
                )
            )
            groups += 1
    return len(per_guardian), groups


def _teacher_lists(ctx: JobContext, children: list[LeftBehind], tag: str) -> int:
    by_carer: dict[int, list[LeftBehind]] = defaultdict(list)
    for child in children:
        if child.carer_id is not None:
            by_carer[child.carer_id].append(child)
    head = (
        "本月过半,以下结对留守儿童还没有亲情通话记录"
        if tag == "follow-up"
        else "本月亲情通话,您结对的留守儿童"
    )
    for carer, kids in by_carer.items():
        lines = [f"{head}({len(kids)} 名,仅您可见):"]
        lines += [
            f"· {k.class_name} {k.name}({k.status_label}{',' + k.away_place if k.away_place else ''})"
            for k in kids
        ]
        lines.append("家长会回复「已通话」;您也可以登记「通话 王小明 视频」。")
        ctx.push(
            Push(
                key=f"family-call:{rules.month_key(ctx.day)}:{tag}:t{carer}",
                staff_id=carer,
                text="\n".join(lines),
            )
        )
    return len(by_carer)


def _talk_reminders(ctx: JobContext, children: list[LeftBehind]) -> int:
    by_head: dict[int, list[str]] = defaultdict(list)
    for child in children:
        if child.head_teacher_id is not None:
            by_head[child.head_teacher_id].append(child.name)
    for head, names in by_head.items():
        ctx.push(
            Push(
                key=f"pastoral-talk:{rules.month_key(ctx.day)}:t{head}",
                staff_id=head,
                text=f"本月谈心提醒(仅您可见):请与班上留守儿童 {'、'.join(names)} 各谈心一次,"
                "完成后发送「谈心 姓名 内容」登记。",
            )
        )
    return len(by_head)


async def _completion(ctx: JobContext, care: CareJobsRepo, children: list[LeftBehind]) -> int:
    month = rules.month_key(ctx.day)
    ids = [c.id for c in children]
    calls, talks = await care.calls_in_month(ids, month), await care.talks_in_month(ids, month)
    at_home = await care.calls_in_month(ids, month, by_parent_away=False)
    names = await care.staff_names([c.carer_id for c in children])
    principals = await care.staff_with_role(ctx.school_id, ("principal",))
    lines = [
        f"{ctx.day.month}月留守儿童关爱完成情况: 通话 {sum(1 for i in ids if i in calls)}/{len(ids)} "
        f"谈心 {sum(1 for i in ids if i in talks)}/{len(ids)}"
    ]
    for c in children:
        kinds = "、".join(rules.KIND_LABELS[k] for k in dict.fromkeys(calls.get(c.id, [])))
        call = f"通话 {len(calls[c.id])} 次({kinds})" if c.id in calls else "通话 未完成"
        talk = "谈心 ✓" if c.id in talks else "谈心 未完成"
        home = f" 家中监护人联系 {len(at_home[c.id])} 次(不计入通话)" if c.id in at_home else ""
        lines.append(
            f"· {c.class_name} {c.name}(帮扶 {names.get(c.carer_id or 0, '未指定')}): {call} {talk}{home}"
        )
    for principal in principals:
        ctx.push(
            Push(
                key=f"family-call:{month}:completion:p{principal}", staff_id=principal, text="\n".join(lines)
            )
        )
    return len(principals)


async def family_call(ctx: JobContext) -> str:
    plan = rules.plan_for(ctx.day, ctx.calendar.is_care_day)
    evening = ctx.at.hour >= EVENING_FROM
    if not (plan.close if evening else plan.prompt or plan.follow_up):
        return "今天不是本月通话提醒、跟进或汇总的日子"
    async with ctx.deps.db.unit_of_work() as uow:
        care = uow.care_jobs
        children = await care.left_behind(ctx.school_id)
        if not children:
            return "没有留守儿童"
        if evening:
            return f"本月完成情况发给 {await _completion(ctx, care, children)} 位校长"
        done: list[str] = []
        if plan.prompt:
            private, groups = await _prompt_families(ctx, care, children, "prompt")
            done.append(
                f"通话提醒 私信 {private} 位家长、群通知 {groups} 个班,"
                f"教师名单 {_teacher_lists(ctx, children, 'prompt')} 位,谈心提醒 {_talk_reminders(ctx, children)} 位"
            )
        if plan.follow_up:
            calls = await care.calls_in_month([c.id for c in children], rules.month_key(ctx.day))
            pending = [c for c in children if c.id not in calls]
            if pending:
                private, groups = await _prompt_families(ctx, care, pending, "follow-up")
                done.append(
                    f"跟进 {len(pending)} 名未通话: 私信 {private} 位家长、群通知 {groups} 个班,"
                    f"教师 {_teacher_lists(ctx, pending, 'follow-up')} 位"
                )
            else:
                done.append("本月通话已全部完成,无需跟进")
    return ";".join(done)


async def birthday_note(ctx: JobContext) -> str:
    """On a school day, the paired teacher hears of a left-behind child's birthday today or before the next school day."""
    days = rules.birthdays_to_tell(ctx.day, ctx.calendar.is_care_day)
    async with ctx.deps.db.unit_of_work() as uow:
        children = await uow.care_jobs.left_behind(ctx.school_id)
    sent = 0
    for child in children:
        day = rules.is_birthday_on(child.birth_date, days)
        if day is None or child.carer_id is None or child.birth_date is None:
            continue
        when = "今天" if day == ctx.day else f"{day.month}月{day.day}日"
        age = day.year - child.birth_date.year
        ctx.push(
            Push(
                key=f"birthday:{child.id}:{day.isoformat()}",
                staff_id=child.carer_id,
                text=f"{when}是 {child.class_name} {child.name} 的 {age} 岁生日。孩子的父母在外地,"
                "请代表学校送上一句祝福,也可以提醒家长打个电话。",
            )
        )
        sent += 1
    return f"生日提醒 {sent} 条"


JOBS = [
    JobSpec(
        "family-call",
        "留守儿童: 月初亲情通话提醒、15日跟进、月末完成情况汇总给校长",
        {"day_of_week": "mon-sun", "hour": "9,17", "minute": 0},
        family_call,
        still_useful=same_evening,
        coalesce=False,
    ),
    JobSpec(
        "birthday-note",
        "留守儿童生日提醒结对教师",
        {"day_of_week": "mon-sun", "hour": 8, "minute": 0},
        birthday_note,
        still_useful=same_evening,
    ),
]
