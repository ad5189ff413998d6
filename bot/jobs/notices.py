"""`notice-reminder`: once a notice is `notices.remind_after_hours` old and still open, each class group it
went to gets one reminder that @-mentions only the guardians of children not yet confirmed.

The reminder names no child and lists no one: the @-mentions are the only hint of who is meant. A class
whose families have all confirmed gets nothing. Keys are per notice and class: a notice is reminded once.
"""

from __future__ import annotations

from datetime import timedelta

from bot.domain import notices as rules
from bot.domain.messages import Push
from bot.jobs.registry import JobContext, JobSpec, same_evening


async def notice_reminder(ctx: JobContext) -> str:
    settings = ctx.deps.settings
    now = ctx.at
    sent_before = now - timedelta(hours=settings.notices.remind_after_hours)
    reminded, mentioned = 0, 0
    async with ctx.deps.db.unit_of_work() as uow:
        care = uow.care_jobs
        due = await care.notices_to_remind(ctx.school_id, now, sent_before)
        chats = await care.working_chats(ctx.school_id) if due else {}
        for notice in due:
            missing = await care.unconfirmed(notice.id)
            contacts = await care.guardian_contacts([sid for sid, _, _, _ in missing])
            per_class: dict[int, tuple[list[str], list[str]]] = {}
            for sid, _, class_id, _ in missing:
                users, phones = per_class.setdefault(class_id, ([], []))
                for g in contacts.get(sid, []):
                    if g.user_ids:
                        users.extend(u for u in g.user_ids if u not in users)
                    elif g.phone and g.phone not in phones:
                        phones.append(g.phone)
            sent = notice.sent_at.astimezone(settings.school.tz)
            for class_id, (users, phones) in per_class.items():
                if class_id not in chats or not (users or phones):
                    continue
                ctx.push(
                    Push(
                        key=f"notice-reminder:{notice.id}:class{class_id}",
                        chat_ref=chats[class_id],
                        text=rules.reminder_text(notice.text, sent),
                        mention_user_ids=tuple(users),
                        mention_phones=tuple(phones),
                    )
                )
                reminded += 1
                mentioned += len(users) + len(phones)
    return f"未结束通知 {len(due)} 条,提醒 {reminded} 个班群,@ {mentioned} 位家长"


JOBS = [
    JobSpec(
        "notice-reminder",
        "通知发出一段时间后,在班级群 @ 还未确认的家长(每条通知一次)",
        {"day_of_week": "mon-sun", "hour": "8-20", "minute": 0},
        notice_reminder,
        still_useful=same_evening,
    ),
]
