"""`fee-notice`: when a term's charges are issued, and N days before they are due.

On the issue day (or the first school day after it) each class with charged children gets a group
notice that names no family and no amount, and each guardian of a family that owes gets a private
statement. N days before the due date, only the families still owing get a private reminder.
A family whose guardians have no platform account is counted, so the school can phone them.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta

from bot.domain.fees import Settlement, yuan
from bot.domain.messages import Push
from bot.domain.school_calendar import calendar_term
from bot.jobs.registry import JobContext, JobSpec, same_evening


def _statement(names: list[str], owed: list[Settlement], due: date, reminder: bool) -> str:
    charged, paid = sum(s.charged_fen for s in owed), sum(s.paid_fen for s in owed)
    refunded, balance = sum(s.refunded_fen for s in owed), sum(s.balance_fen for s in owed)
    head = "缴费提醒" if reminder else "本学期费用已出账"
    return (
        f"{head}({'、'.join(names)},仅您可见): 应缴 {yuan(charged)} 元,已缴 {yuan(paid)} 元,"
        f"退费 {yuan(refunded)} 元,尚需缴纳 {yuan(balance)} 元,请于 {due.month}月{due.day}日 前缴纳。"
        "发送「费用」可查看明细。"
    )


async def fee_notice(ctx: JobContext) -> str:
    fees = ctx.deps.settings.fees
    use_case = ctx.deps.use_cases.fees
    term_start, _ = calendar_term(ctx.calendar, ctx.day)
    issued = await use_case.issued_on(ctx.school_id, term_start)
    if issued is None:
        return "本学期尚未出账"
    due = issued + timedelta(days=fees.due_days)
    remind_on = due - timedelta(days=fees.remind_days_before_due)
    first_notice = issued <= ctx.day < remind_on
    if not (first_notice or ctx.day == remind_on):
        return f"今天无缴费通知(出账 {issued:%m-%d},截止 {due:%m-%d})"
    found = await use_case.owing(ctx.school_id, term_start)
    owing, students, contacts, chats = found.balances, found.students, found.contacts, found.chats
    tag = f"fee-notice:{term_start.isoformat()}:{'issued' if first_notice else 'reminder'}"
    per_guardian: dict[int, list[int]] = defaultdict(list)
    unreachable = 0
    for sid in owing:
        reachable = [g for g in contacts.get(sid, []) if g.user_ids]
        unreachable += not reachable
        for g in reachable:
            per_guardian[g.guardian_id].append(sid)
    for guardian_id, sids in per_guardian.items():
        ctx.push(
            Push(
                key=f"{tag}:g{guardian_id}",
                guardian_id=guardian_id,
                text=_statement(
                    [students[i][0] for i in sids], [owing[i] for i in sids], due, not first_notice
                ),
            )
        )
    groups = 0
    if first_notice:
        for class_id in sorted({class_id for _, class_id in students.values()}):
            if class_id in chats:
                ctx.push(
                    Push(
                        key=f"{tag}:class{class_id}",
                        chat_ref=chats[class_id],
                        text=f"各位家长好:本学期托管及课程费用已出账,各家明细已私信发送(只有您自己能看到)。"
                        f"请于 {due.month}月{due.day}日 前缴纳;发送「费用」可随时查看。",
                    )
                )
                groups += 1
    return (
        f"{'出账通知' if first_notice else '截止前提醒'}: 欠费 {len(owing)} 名学生,私信 {len(per_guardian)} 位家长,"
        f"群通知 {groups} 个班,无平台账号需电话联系 {unreachable} 名"
    )


JOBS = [
    JobSpec(
        "fee-notice",
        "缴费通知: 出账时群通知+私信账单,截止前提醒仍欠费的家庭",
        {"day_of_week": "mon-sun", "hour": 10, "minute": 0},
        fee_notice,
        still_useful=same_evening,
    ),
]
