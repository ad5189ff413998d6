"""`archive-update`: in the term's first week, each head teacher is asked privately to check and update the
archives of their class's left-behind children (missing fields listed), within a month of the term's start."""

from __future__ import annotations

from collections import defaultdict

from bot.domain import archives as rules
from bot.domain.messages import Push
from bot.domain.school_calendar import calendar_term
from bot.jobs.registry import JobContext, JobSpec, same_evening
from bot.store.archives import Archive
from bot.store.family import LeftBehind


def _prompt(children: list[LeftBehind], archives: dict[int, Archive]) -> str:
    lines = [f"新学期开始了,请在开学后一个月内核对、更新班上留守儿童的档案(共 {len(children)} 名,仅您可见):"]
    for child in children:
        missing = archives.get(child.id, Archive(child.id)).missing()
        todo = f"待补 {'、'.join(missing)}" if missing else "档案齐全,请核对有无变化"
        lines.append(f"· {child.name}({child.status_label}): {todo}")
    lines.append(
        "在花名册 学生 表填写 务工单位、务工单位电话、监护人职业/年龄/健康、爱心妈妈 后重新导入;"
        "家访后可发「家访 姓名 内容」登记。"
    )
    return "\n".join(lines)


async def archive_update(ctx: JobContext) -> str:
    start, _ = calendar_term(ctx.calendar, ctx.day)
    week = rules.first_week(start, ctx.calendar.is_care_day)
    if week is None or not week[0] <= ctx.day <= week[1]:
        return "不在学期第一周"
    async with ctx.deps.db.unit_of_work() as uow:
        children = await uow.family.left_behind(ctx.school_id)
        archives = await uow.archives.archives_of([c.id for c in children])
    by_head: dict[int, list[LeftBehind]] = defaultdict(list)
    for child in children:
        if child.head_teacher_id is not None:
            by_head[child.head_teacher_id].append(child)
    for head, kids in by_head.items():
        # One prompt per head teacher and term, whichever day of the week first runs it.
        ctx.push(
            Push(
                key=f"archive-update:{start.isoformat()}:t{head}", staff_id=head, text=_prompt(kids, archives)
            )
        )
    return f"提醒 {len(by_head)} 位班主任更新留守儿童档案(每学期一次)"


JOBS = [
    JobSpec(
        "archive-update",
        "学期第一周: 私信提醒班主任核对、更新留守儿童档案",
        {"day_of_week": "mon-fri", "hour": 8, "minute": 30},
        archive_update,
        still_useful=same_evening,
    ),
]
