"""`tuoguan fees bill|settle|pay|export|workload`: bill and settle a term, payments, ledger; workload .xlsx
(an alias of `tuoguan report workload`)."""

from __future__ import annotations

import argparse
from datetime import date
from pathlib import Path

from openpyxl import Workbook
from sqlalchemy import select

from bot.bootstrap import Services
from bot.domain import fees as rules
from bot.spreadsheet import append_row
from bot.staff_cli import cmd_workload
from bot.store import fees as store
from bot.store.calendar import school_calendar
from bot.store.settlement import settle_term
from bot.store.tables import School, Student


def add_fees_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser) -> None:
    fees = sub.add_parser("fees", parents=[common], help="费用: 计费、缴费、导出")
    fsub = fees.add_subparsers(dest="fees_command", required=True, metavar="ACTION")
    bill = fsub.add_parser("bill", parents=[common], help="按学期生成费用(可重复执行,不会重复计费)")
    bill.add_argument("--date", type=date.fromisoformat, help="学期内任一天 (默认今天)")
    settle = fsub.add_parser("settle", parents=[common], help="期末结算(多退少补),可重复执行,不会重复结算")
    settle.add_argument("--date", type=date.fromisoformat, help="学期内任一天 (默认今天)")
    pay = fsub.add_parser("pay", parents=[common], help="登记缴费")
    pay.add_argument("student_no", help="学籍号")
    pay.add_argument("amount", help="金额(元),如 160 或 16.50")
    exp = fsub.add_parser("export", parents=[common], help="导出本学期台账 .xlsx")
    exp.add_argument("out", type=Path)
    exp.add_argument("--date", type=date.fromisoformat)
    wl = fsub.add_parser("workload", parents=[common], help="教师工作量和课酬 .xlsx (按月;同 report workload)")
    wl.add_argument("month", help="2026-10")
    wl.add_argument("out", type=Path)


def policy(services: Services) -> rules.FeePolicy:
    f = services.settings.fees
    return rules.FeePolicy(basic_monthly_fen=f.basic_monthly_fen, basic_billing=f.basic_billing,
                           refund_school_cancelled=f.refund_school_cancelled,
                           refund_personal_leave=f.refund_personal_leave, basic_daily_fen=f.basic_daily_fen)


async def cmd_fees(services: Services, args: argparse.Namespace) -> int:
    if args.fees_command == "workload":  # kept as an alias of `tuoguan report workload --month M --out F`
        return await cmd_workload(services, args.month, args.out)
    now = services.clock.now()
    today = getattr(args, "date", None) or now.astimezone(services.settings.school.tz).date()
    async with services.db.transaction() as s:
        school_id = (await s.execute(select(School.id).order_by(School.id))).scalars().first()
        if school_id is None:
            print("还没有学校,请先导入花名册。")
            return 1
        cal = await school_calendar(s, school_id)
        start, end = store.calendar_term(cal, today)
        if args.fees_command == "bill":
            r = await store.bill_term(s, school_id, start, end, now, policy(services), cal.is_care_day,
                                      tz=services.settings.school.tz, through=today)
            print(f"{start}~{end}: 新增 {r.lines} 条,应缴 {rules.yuan(r.charged_fen)} 元,退费 {rules.yuan(r.refunded_fen)} 元")
        elif args.fees_command == "settle":
            t = await settle_term(s, school_id, start, end, now, policy(services), cal.is_care_day,
                                  tz=services.settings.school.tz)
            print(f"{start}~{end} 期末结算: 新增 {t.lines} 条({t.families} 名学生),退还 {rules.yuan(t.paid_back_fen)} 元;"
                  f"仍需补缴 {t.owing_families} 名学生 共 {rules.yuan(t.owing_fen)} 元")
        elif args.fees_command == "pay":
            fen = rules.parse_yuan(args.amount)
            student = (await s.execute(select(Student).where(Student.student_no == args.student_no))).scalars().first()
            if fen is None or student is None:
                print("金额或学籍号不对。例如: tuoguan fees pay S00001 160")
                return 1
            await store.record_payment(s, school_id, student.id, fen, start, now, key=f"pay:cli:{now.isoformat()}:{student.id}")
            print(f"已登记 {student.name} 缴费 {rules.yuan(fen)} 元")
        else:
            wb = Workbook()
            ws = wb.active
            assert ws is not None
            ws.title = "台账"
            ws.append(["学生", "类型", "金额(元)", "金额(分)", "说明", "时间"])
            for e, name in await store.school_ledger(s, school_id, start):
                append_row(ws, [name, e.kind, rules.yuan(e.fen), e.fen, e.note, e.at.isoformat()])
            wb.save(args.out)
            print(f"已导出 {args.out}")
    return 0
