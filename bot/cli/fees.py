"""`tuoguan fees bill|settle|pay|export|workload`: bill and settle a term, payments, ledger; workload .xlsx
(an alias of `tuoguan report workload`)."""

from __future__ import annotations

import argparse
from datetime import date
from decimal import Decimal
from pathlib import Path

from openpyxl import Workbook

from bot.bootstrap import Services
from bot.cli.staff import cmd_workload
from bot.domain import fees as rules
from bot.services.errors import NoSchool
from bot.services.fees import FeesService
from bot.spreadsheet import append_row


def add_fees_parser(
    sub: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser
) -> None:
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
    wl = fsub.add_parser(
        "workload", parents=[common], help="教师工作量和课酬 .xlsx (按月;同 report workload)"
    )
    wl.add_argument("month", help="2026-10")
    wl.add_argument("out", type=Path)


async def cmd_fees(services: Services, args: argparse.Namespace) -> int:
    if args.fees_command == "workload":  # kept as an alias of `tuoguan report workload --month M --out F`
        return await cmd_workload(services, args.month, args.out)
    fees = services.use_cases.fees
    day = getattr(args, "date", None) or fees.today()
    try:
        return await FEES_COMMANDS[args.fees_command](fees, args, day)
    except NoSchool:
        print("还没有学校,请先导入花名册。")
        return 1


async def bill(fees: FeesService, args: argparse.Namespace, day: date) -> int:
    b = await fees.bill(day)
    r = b.result
    print(
        f"{b.start}~{b.end}: 新增 {r.lines} 条,应缴 {rules.yuan(r.charged_fen)} 元,退费 {rules.yuan(r.refunded_fen)} 元"
    )
    return 0


async def settle(fees: FeesService, args: argparse.Namespace, day: date) -> int:
    s = await fees.settle(day)
    t = s.result
    print(
        f"{s.start}~{s.end} 期末结算: 新增 {t.lines} 条({t.families} 名学生),退还 {rules.yuan(t.paid_back_fen)} 元;"
        f"仍需补缴 {t.owing_families} 名学生 共 {rules.yuan(t.owing_fen)} 元"
    )
    return 0


async def pay(fees: FeesService, args: argparse.Namespace, day: date) -> int:
    fen = rules.parse_yuan(args.amount)
    name = await fees.pay(args.student_no, fen, day)
    if fen is None or name is None:
        print("金额或学籍号不对。例如: tuoguan fees pay S00001 160")
        return 1
    print(f"已登记 {name} 缴费 {rules.yuan(fen)} 元")
    return 0


async def export(fees: FeesService, args: argparse.Namespace, day: date) -> int:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "台账"
    ws.append(["学生", "类型", "金额(元)", "说明", "时间"])
    for e in await fees.ledger(day):
        # 元 as a number (sums and filters work in the sheet), exact: fen / 100 as a Decimal, shown with 2 places.
        append_row(ws, [e.student, e.kind, Decimal(e.fen) / 100, e.note, e.at.isoformat()])
        ws.cell(ws.max_row, 3).number_format = "0.00"
    wb.save(args.out)
    print(f"已导出 {args.out}")
    return 0


FEES_COMMANDS = {"bill": bill, "settle": settle, "pay": pay, "export": export}
