"""Benchmark: parsing messages (normalise + command table) on one core. Target >= 5,000 messages/s.

Run: python bench/parse.py [--seconds 3]
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.domain.dates import find_dates
from bot.domain.school_calendar import national_workday
from bot.domain.text import normalise
from bot.handlers.table import build_table
from tests.unit.test_care_parse import CASES

CHATTER = ["谢谢老师", "收到", "好的", "今天天气不错", "👍👍", "@托管助手 孩子今天表现怎么样"]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=3.0)
    args = parser.parse_args()
    table = build_table()
    messages = [text for text, _ in CASES] + CHATTER
    today = date(2026, 11, 23)
    count, started = 0, time.perf_counter()
    while time.perf_counter() - started < args.seconds:
        for text in messages:
            normalised = normalise(text)
            table.parse(normalised)
            find_dates(normalised, today, national_workday)  # handlers resolve dates too
        count += len(messages)
    elapsed = time.perf_counter() - started
    print(
        f"parsed {count} messages in {elapsed:.2f} s: {count / elapsed:,.0f} messages/s "
        f"(normalise + command table + date lookup, one core, {len(messages)} distinct phrasings)"
    )


if __name__ == "__main__":
    main()
