"""`agreement-check` (head teachers hear who in care still lacks the term's agreement or insurance) and
`survey-monthly` (families asked for the month's rating; the principal gets the results).

agreement-check fires every morning and acts on the last working day before a term's first care day, then on
the first care day of each later week of the term (Monday, or the day after a Monday holiday). Each head
teacher gets their class's list privately; a class with everything done gets nothing.
survey-monthly acts on the month's last school day (families asked privately, one guardian per family) and on
the third school day of the next month (last month's results to each principal, privately, no family named).
"""

from __future__ import annotations

from collections import defaultdict

from bot.domain import agreements as rules
from bot.domain import survey
from bot.domain.messages import Push
from bot.domain.school_calendar import national_workday
from bot.jobs.registry import JobContext, JobSpec, same_evening
from bot.store.agreements import Marks


async def agreement_check(ctx: JobContext) -> str:
    terms = [(t.start, t.end) for t in ctx.calendar.terms]
    due = rules.check_due(ctx.day, terms, ctx.calendar.is_care_day, national_workday)
    if due is None:
        return "今天不是协议和学平险检查日"
    async with ctx.deps.db.unit_of_work() as uow:
        children = await uow.agreements.children_in_care(ctx.school_id)
        marks = await uow.agreements.marks_of([c.id for c in children], due.term[0])
    in_care: dict[int, int] = defaultdict(int)
    missing: dict[int, list[tuple[str, str]]] = defaultdict(list)
    for child in children:
        in_care[child.class_group_id] += 1
        mark = marks.get(child.id, Marks())
        label = rules.missing_label(mark.agreed_at is not None, mark.insured_at is not None)
        if label:
            missing[child.class_group_id].append((child.name, label))
    heads = {c.class_group_id: (c.class_name, c.head_teacher_id) for c in children}
    told, no_head = 0, []
    for class_id, rows in missing.items():
        name, head = heads[class_id]
        if head is None:
            no_head.append(name)
            continue
        ctx.push(
            Push(
                key=f"agreement-check:{due.term[0].isoformat()}:{ctx.day.isoformat()}:class{class_id}",
                staff_id=head,
                text=rules.check_text(name, due.term, rows, in_care[class_id], due.before_term),
            )
        )
        told += 1
    left = sum(len(rows) for rows in missing.values())
    without = f";无班主任: {'、'.join(no_head)}" if no_head else ""
    return f"{rules.term_label(due.term)}: 未办齐 {left} 名,提醒 {told} 位班主任{without}"


async def _ask_families(ctx: JobContext) -> str:
    """One private request per family: the first guardian with a platform account of each child in care."""
    month = f"{ctx.day.year:04d}-{ctx.day.month:02d}"
    async with ctx.deps.db.unit_of_work() as uow:
        children = await uow.agreements.children_in_care(ctx.school_id)
        contacts = await uow.care_jobs.guardian_contacts([c.id for c in children])
    asked: set[int] = set()
    unreachable = 0
    for child in children:
        reachable = [g for g in contacts.get(child.id, []) if g.user_ids]
        if not reachable:
            unreachable += 1
            continue
        asked.add(reachable[0].guardian_id)
    for guardian_id in sorted(asked):
        ctx.push(
            Push(
                key=f"survey:{month}:g{guardian_id}",
                guardian_id=guardian_id,
                text=survey.ASK.format(month=ctx.day.month),
            )
        )
    return f"评价邀请 私信 {len(asked)} 个家庭,无平台账号 {unreachable} 名学生"


async def _send_results(ctx: JobContext) -> str:
    month = survey.previous_month(ctx.day)
    async with ctx.deps.db.unit_of_work() as uow:
        summary = await uow.survey.month_summary(ctx.school_id, month)
        principals = await uow.people.staff_with_role(ctx.school_id, ("principal",))
    for principal in principals:
        ctx.push(
            Push(key=f"survey-results:{month}:p{principal}", staff_id=principal, text=survey.render(summary))
        )
    return f"{month} 评价结果({summary.families} 个家庭)发给 {len(principals)} 位校长"


async def survey_monthly(ctx: JobContext) -> str:
    done = []
    if survey.survey_day(ctx.day, ctx.calendar.is_care_day):
        done.append(await _ask_families(ctx))
    if survey.results_day(ctx.day, ctx.calendar.is_care_day):
        done.append(await _send_results(ctx))
    return ";".join(done) or "今天不是评价邀请或结果汇总的日子"


JOBS = [
    JobSpec(
        "agreement-check",
        "协议和学平险: 开学前最后一个工作日和之后每周,私信班主任未办齐的名单",
        {"day_of_week": "mon-sun", "hour": 8, "minute": 10},
        agreement_check,
        still_useful=same_evening,
        care_days_only=False,
    ),
    JobSpec(
        "survey-monthly",
        "服务评价: 每月最后一个上学日私信家长评价,次月第3个上学日结果私信校长",
        {"day_of_week": "mon-sun", "hour": 16, "minute": 0},
        survey_monthly,
        still_useful=same_evening,
    ),
]
