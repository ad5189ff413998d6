"""Dates: bot/domain/dates.py against JioNLP's time parser on the corpus's dated leave messages.

JioNLP is large (16.5 MB wheel plus numpy, jiojio) and is not a dependency: install it in a separate venv.
  python bench/dates_vs_jionlp.py --export /tmp/rows.json          (this project's venv: our reading)
  /tmp/jio/bin/python bench/dates_vs_jionlp.py --jionlp /tmp/rows.json   (a venv with `pip install jionlp`)
A row is right when the care days read equal the corpus's expected days (no date named: today).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def export(path: Path) -> None:
    from bench.understanding import CORPUS, read_corpus
    from bot.domain.dates import find_dates
    from bot.domain.school_calendar import national_workday
    from bot.domain.text import normalise

    rows = []
    for corpus in sorted(CORPUS.glob("*.tsv")):
        for r in read_corpus(corpus):
            text = normalise(r.message)
            if (
                not r.expected.startswith(("请假", "销假"))
                or ";" in r.expected
                or len(text) <= 3
                or text == "销假"
            ):
                continue  # answers to a proposal and bare 销假 name no date of their own
            today = r.sent_at.date()
            found = find_dates(text, today, national_workday)
            ours = [d.isoformat() for d in found.days] if found else [today.isoformat()]
            rows.append(
                {
                    "message": text,
                    "sent_at": r.sent_at.isoformat(),
                    "expected": r.expected.split()[2:],
                    "ours": ours,
                }
            )
    path.write_text(json.dumps(rows, ensure_ascii=False), encoding="utf-8")
    right = sum(r["ours"] == r["expected"] for r in rows)
    print(f"rows {len(rows)}: bot/domain/dates.py {right} right ({right / len(rows):.1%})")


def with_jionlp(path: Path) -> None:
    import jionlp as jio

    rows: list[dict[str, Any]] = json.loads(path.read_text(encoding="utf-8"))
    right, started = 0, time.perf_counter()
    for r in rows:
        base = dt.datetime.fromisoformat(r["sent_at"]).replace(tzinfo=None)
        days: set[dt.date] = set()
        for entity in jio.ner.extract_time(r["message"], time_base=base, with_parsing=True):
            detail = entity.get("detail", {})
            span = detail.get("time")
            if not span or detail.get("type") not in ("time_point", "time_span") or "inf" in span:
                continue
            start, end = (dt.datetime.fromisoformat(t).date() for t in span)
            days |= (
                {start + dt.timedelta(days=i) for i in range((end - start).days + 1)}
                if (end - start).days <= 62
                else set()
            )
        # Mon-Fri are the care days of the corpus's weeks (no public holiday from 2026-11-20 to 2026-12-10).
        picked = sorted(d for d in days if len(days) == 1 or d.weekday() < 5) or [base.date()]
        ok = [d.isoformat() for d in picked] == r["expected"]
        right += ok
        if not ok:
            print("  jionlp", r["message"], r["expected"], [d.isoformat() for d in picked])
    ours = sum(r["ours"] == r["expected"] for r in rows)
    per = (time.perf_counter() - started) / len(rows) * 1000
    print(
        f"rows {len(rows)}: jionlp {right} right ({right / len(rows):.1%}), "
        f"bot/domain/dates.py {ours} right ({ours / len(rows):.1%}); jionlp {per:.1f} ms/message"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    group = parser.add_mutually_exclusive_group(required=True)
    group.add_argument("--export", type=Path)
    group.add_argument("--jionlp", type=Path)
    args = parser.parse_args()
    export(args.export) if args.export else with_jionlp(args.jionlp)


if __name__ == "__main__":
    main()
