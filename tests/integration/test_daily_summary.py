"""The principal's daily summary: the job, the 日报 command and `tuoguan report daily` share one text."""

from __future__ import annotations

from sqlalchemy import select

from bot.jobs.runner import run_job
from bot.jobs.summary import JOBS
from bot.reports import as_markdown, daily_summary
from bot.store.db import Database
from bot.store.outbox_tables import OutboxMessage
from tests.conftest import shanghai
from tests.integration.care_day import demo_services, sayer


async def test_summary_numbers_and_privacy(db: Database) -> None:
    services = await demo_services(db)
    say = sayer(services)
    await say("parent-li", "请假 今天 发烧", (9, 0))
    await say("teacher-li", "刘洋没来", (16, 30))
    await say("teacher-li", "陈思远 已接走", (17, 50))  # 20 minutes late
    await say("teacher-li", "全部已接走", (17, 55))  # confirmed late: the bot asks when they left
    await say("teacher-li", "17:50", (17, 56))
    out = await say("principal-zhao", "日报", (18, 31))
    lines = out.reply.text.splitlines()
    assert lines[0] == "全校 应到 19 实到 17 请假 1 缺席 1 晚接 7 未接 10"
    assert lines[2] == "三年级2班 应到 9 实到 7 请假 1 缺席 1 晚接 7 未接 0"
    for word in ("李华", "刘洋", "陈思远", "发烧"):
        assert word not in out.reply.text
    assert "只有" in (await say("parent-wang", "日报", (18, 31))).reply.text

    services.clock.instant = shanghai(2026, 11, 23, 18, 30)
    results = await run_job(services, JOBS[0], shanghai(2026, 11, 23, 18, 30))
    assert results[0].status == "done"
    async with db.transaction() as s:
        pushes = (
            await s.scalars(select(OutboxMessage).where(OutboxMessage.key.startswith("daily-summary")))
        ).all()
    async with db.unit_of_work() as uow:
        text = await daily_summary(uow, 1, shanghai(2026, 11, 23, 18).date())
    assert len(pushes) == 1 and pushes[0].staff_id is not None and pushes[0].state == "private"
    assert pushes[0].markdown and pushes[0].text == as_markdown(text)
    assert pushes[0].text.startswith("### 托管日报 11月23日(周一)\n**全校 应到 19")
    assert pushes[0].image is not None and pushes[0].image.startswith(b"\x89PNG")  # the 20-day chart follows


async def test_summary_extra_lines_and_chart_history(db: Database) -> None:
    import io

    from matplotlib import image

    from bot.chart import attendance_chart
    from bot.reports import attendance_history

    services = await demo_services(db)
    say = sayer(services)
    await say("parent-li", "请假 今天 发烧", (9, 0))
    await say("teacher-li", "刘洋没来", (16, 30))
    await say("teacher-li", "陈思远 已接走", (17, 50))
    await say("parent-zhang-dad", "已通话", (20, 0))
    out = await say("principal-zhao", "日报", (20, 5))
    assert out.reply.private
    lines = out.reply.text.splitlines()
    assert "报名待审核: 班主任审核 0 条,校长复核 0 条,退出申请 0 条" in lines
    assert "留守儿童本月: 亲情通话 1/1,谈心 0/1" in lines and "本学期欠费: 无" in lines
    async with db.unit_of_work() as uow:
        calendar = await uow.calendar.of(1)
        history = await attendance_history(uow, 1, shanghai(2026, 11, 23).date(), calendar.is_care_day)
    assert len(history) == 20 and history[-1].day == shanghai(2026, 11, 23).date()
    assert history[0].day == shanghai(2026, 10, 27).date()  # 20 care days back, weekends skipped
    assert (history[-1].expected, history[-1].present, history[-1].late) == (19, 17, 1)
    assert all((p.present, p.late) == (19, 0) for p in history[:-1])
    png = attendance_chart(history, "示范小学")
    assert png.startswith(b"\x89PNG") and len(png) < 2 * 1024 * 1024
    assert image.imread(io.BytesIO(png), format="png").shape[:2] == (360, 800)
