"""Load: a school afternoon replayed on loopback through signed WeCom and DingTalk callbacks, jobs firing.

Run: python bench/afternoon.py [--students 2000] [--classes 60] [--speed 10] [--concurrency 64]
                               [--pg-url postgresql+asyncpg://postgres@127.0.0.1:5432/bench_afternoon]

The school (bench/afternoon_school.py): 2,000 children in 60 classes, one guardian each and a head teacher per
class, all bound to platform accounts through the roster import (`import_sheets`, the same validation and
upsert as `tuoguan roster import`); a third of the classes on the WeCom AI bot (JSON callbacks), a third on
the WeCom group robot (XML callbacks), a third on DingTalk (signed headers), each chat with a robot webhook on
the local FakePlatforms server, and the WeCom/DingTalk apps for one-to-one pushes on the local FakeApps.

The afternoon, Tuesday 24 November 2026, care ending 17:30: between 17:05 and 17:35 about five messages per
child (查询, 请假 明天 发烧 and other days and reasons, 销假, 今天晚点接 17:50, 孩子我接走了 / 已接走, 费用,
teachers' `张三 李四 已接走` batches, 点名, 未接走) and 2% platform retries (the same msgid 5 s or 60 s
later). The jobs fire at their real times: the 17:15 pickup reminder, the late-pickup checks every five
minutes from 17:40 (escalation to the principal at 18:00); the run ends after the 18:05 check.

The bot runs in its own process (bench/afternoon_bot.py): what `tuoguan serve` runs, create_app plus the
scheduler and the outbox worker contexts, on a compressed clock (`--speed`: afternoon seconds per wall
second; the real APScheduler reads that clock and waits 1/speed of every interval, so jobs fire at their
cron times). A separate process keeps the generator's CPU out of the bot's event loop and gives the bot's
own peak RSS. The outbox worker delivers to the fakes at 20 messages per (afternoon) minute per robot.

Reported per database (SQLite always, PostgreSQL with --pg-url): messages/s, p50/p99/max latency from each
message's due time to its reply, errors (non-200, no reply, or an error reply), peak RSS of the bot, pushes
delivered; and a bare aiohttp hello-world process replayed at the same schedule and concurrency in the same
run. Then the nothing-lost checks (bench/afternoon_checks.py) as PASS/FAIL lines; the exit code is non-zero
on any FAIL.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import aiohttp
from aiohttp import web
from sqlalchemy import func, select

from bench.afternoon_bot import ScaledClock
from bench.afternoon_checks import Report, check_outbox, check_replies, check_store, expected_keys, job_fires
from bench.afternoon_load import (
    DING_APP_KEY,
    DING_APP_SECRET,
    WECOM_KEY,
    WECOM_TOKEN,
    Fakes,
    Request,
    Result,
    attach_late_replies,
    build_requests,
    is_error_reply,
    replay,
)
from bench.afternoon_school import (
    DAY,
    MESSAGES_FROM,
    Expected,
    Message,
    School,
    at,
    build_school,
    build_script,
)
from bot.clock import FixedClock
from bot.roster.importer import import_sheets
from bot.settings import Settings, load_settings
from bot.store.calendar import add_entry
from bot.store.calendar_tables import JobRun
from bot.store.db import Database
from bot.store.outbox_tables import OutboxMessage
from bot.store.schema import truncate_all
from bot.store.tables import School as SchoolRow

SIM_START = at(17, 2)  # the afternoon clock reads this when the wall clock reaches wall_start
LAST_FIRE, HARD_STOP = at(18, 5), at(18, 9, 30)  # wait for the 18:05 check; stop before the 18:10 one
BOOT_SECONDS = 5.0  # wall seconds the bot gets to start before the afternoon clock reaches SIM_START


@dataclass
class Leg:
    name: str
    results: list[Result]
    elapsed: float
    rss_mb: float
    pushes: int = 0
    late_replies: int = 0

    @property
    def latencies(self) -> list[float]:
        return sorted(r.latency * 1000 for r in self.results if r.reply is not None or not r.error)

    @property
    def p50(self) -> float:
        return statistics.median(self.latencies or [0.0])

    def summary(self) -> str:
        lat = self.latencies
        errors = sum(1 for r in self.results if r.error or (r.reply is not None and is_error_reply(r.reply)))
        if self.name != "aiohttp hello world":
            errors += sum(1 for r in self.results if not r.error and r.reply is None)
        p99 = lat[max(0, int(len(lat) * 0.99) - 1)] if lat else 0.0
        line = (
            f"{self.name:<22} {len(self.results) / self.elapsed:7.1f} msg/s  p50 {statistics.median(lat or [0]):7.1f} ms"
            f"  p99 {p99:7.1f} ms  max {max(lat or [0]):7.1f} ms  errors {errors}  peak RSS {self.rss_mb:5.0f} MB"
        )
        if self.name != "aiohttp hello world":
            line += f"  pushes delivered {self.pushes}  replies posted later {self.late_replies}"
        return line

    @property
    def throughput(self) -> float:
        return len(self.results) / self.elapsed


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def bot_settings(db_url: str, fake_base: str) -> dict[str, str]:
    """The bot's configuration, as TUOGUAN_* environment variables (what `tuoguan serve` reads)."""
    return {
        "TUOGUAN_DATABASE__URL": db_url,
        "TUOGUAN_WECOM__TOKEN": WECOM_TOKEN,
        "TUOGUAN_WECOM__ENCODING_AES_KEY": WECOM_KEY,
        "TUOGUAN_WECOM__API_BASE": fake_base,
        "TUOGUAN_WECOM__CORP_ID": "corp-1",
        "TUOGUAN_WECOM__AGENT_ID": "1000002",
        "TUOGUAN_WECOM__CORP_SECRET": "corp-SECRET",
        "TUOGUAN_DINGTALK__APP_SECRET": DING_APP_SECRET,
        "TUOGUAN_DINGTALK__APP_KEY": DING_APP_KEY,
        "TUOGUAN_DINGTALK__API_BASE": fake_base,
        "TUOGUAN_DINGTALK__OPENAPI_BASE": fake_base,
        # Callbacks over HTTP, as the school in this bench receives them: no stream connection to open.
        "TUOGUAN_DINGTALK__MODE": "http",
    }


async def prepare(db_url: str, school: School, settings: Settings) -> None:
    """A fresh database holding the school, loaded through the roster import, with the term entered."""
    from bench.afternoon_school import roster_sheets

    db = Database(db_url)
    await db.upgrade()
    if not db.is_sqlite:
        await truncate_all(db.engine)
    result = await import_sheets(
        db,
        roster_sheets(school),
        source="afternoon",
        school_name=settings.school.name,
        clock=FixedClock(at(8, 0) - timedelta(days=60)),
    )
    if not result.ok:
        raise SystemExit(result.render())
    async with db.transaction() as s:
        school_id = await s.scalar(select(SchoolRow.id))
        assert school_id is not None
        await add_entry(
            s,
            school_id,
            "term",
            DAY.replace(month=9, day=1),
            DAY.replace(year=2027, month=1, day=20),
            "2026秋季学期",
        )
    await db.dispose()


def spawn(args: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    here = Path(__file__).resolve().parent
    with log.open("ab") as out:  # the child keeps its own descriptor
        return subprocess.Popen(
            [sys.executable, str(here / "afternoon_bot.py"), *args],
            env={**os.environ, **env},
            stdout=out,
            stderr=subprocess.STDOUT,
        )


async def wait_healthy(url: str, proc: subprocess.Popen[bytes], seconds: float = 30.0) -> None:
    async with aiohttp.ClientSession() as http:
        for _ in range(int(seconds * 10)):
            if proc.poll() is not None:
                raise SystemExit(f"process exited with {proc.returncode} before answering")
            try:
                async with http.get(f"{url}/healthz", timeout=aiohttp.ClientTimeout(total=1)) as resp:
                    if resp.status == 200:
                        return
            except (aiohttp.ClientError, TimeoutError):
                pass
            await asyncio.sleep(0.1)
    raise SystemExit(f"{url} did not answer within {seconds} s")


def peak_rss_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def stop(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    try:
        proc.wait(30)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(10)


async def _last_fire_done(db: Database) -> bool:
    async with db.transaction() as s:
        runs = (
            await s.scalars(
                select(JobRun).where(JobRun.job == "late-pickup", JobRun.finished_at.is_not(None))
            )
        ).all()
    # PostgreSQL gives the fire time back aware; SQLite keeps the school-local wall time without offset.
    return any(
        r.fire_time == (LAST_FIRE if r.fire_time.tzinfo else LAST_FIRE.replace(tzinfo=None)) for r in runs
    )


async def _outbox_open(db: Database) -> int:
    async with db.transaction() as s:
        return int(
            await s.scalar(
                select(func.count())
                .select_from(OutboxMessage)
                .where(OutboxMessage.state.in_(("queued", "private", "sending")))
            )
            or 0
        )


async def wait_for_jobs(db_url: str, clock: ScaledClock) -> None:
    """Until the 18:05 late-pickup check is done and the outbox empty, or the afternoon clock reaches HARD_STOP."""
    db = Database(db_url)
    try:
        while clock.now() < HARD_STOP:
            if clock.now() > LAST_FIRE and await _last_fire_done(db) and not await _outbox_open(db):
                return
            await asyncio.sleep(0.2)
    finally:
        await db.dispose()


async def afternoon_leg(
    name: str,
    db_url: str,
    school: School,
    messages: list[Message],
    sent: list[Message],
    expected: Expected,
    args: argparse.Namespace,
    tmp: Path,
    report: Report,
) -> Leg:
    """One database: fresh school, the bot started, the afternoon replayed (`sent`), then the checks against
    the whole script (`messages`) and `expected`."""
    settings = load_settings(
        database={"url": db_url},
        wecom={"corp_id": "corp-1", "agent_id": 1000002},
        dingtalk={"app_key": DING_APP_KEY, "app_secret": DING_APP_SECRET},
    )
    await prepare(db_url, school, settings)
    clock = ScaledClock(SIM_START, 0.0, args.speed)  # anchored just before the bot starts
    fakes = Fakes(clock)
    fakes.platforms.wecom_keys = {c.webhook for c in school.classes if c.platform == "wecom"}
    fakes.platforms.dingtalk_secrets = {
        c.webhook: c.secret for c in school.classes if c.platform == "dingtalk"
    }
    for platform, users in (("wecom", fakes.apps.wecom_users), ("dingtalk", fakes.apps.dingtalk_users)):
        users |= {k.account for k in school.children if k.klass.platform == platform}
        users |= {c.teacher_account for c in school.classes if c.platform == platform}
    fakes.apps.wecom_users.add(school.principal_account)
    runner = web.AppRunner(fakes.app(), access_log=None)
    await runner.setup()
    fake_port = free_port()
    await web.TCPSite(runner, "127.0.0.1", fake_port).start()
    fakes.base = f"http://127.0.0.1:{fake_port}"
    requests: list[Request] = build_requests(sent, fakes.base)
    # Both processes compute the afternoon time from the same anchor: SIM_START, BOOT_SECONDS from now.
    clock.wall_start = time.time() + args.boot_seconds
    port = free_port()
    proc = spawn(
        [
            "--port",
            str(port),
            "--sim-start",
            SIM_START.isoformat(),
            "--wall-start",
            repr(clock.wall_start),
            "--speed",
            repr(args.speed),
        ],
        bot_settings(db_url, fakes.base),
        tmp / f"bot-{name}.log",
    )
    try:
        url = f"http://127.0.0.1:{port}"
        await wait_healthy(url, proc)
        if clock.now() >= MESSAGES_FROM:
            raise SystemExit(f"the bot took too long to start at speed {args.speed}: raise --boot-seconds")
        started = time.time()
        results = await replay(url, requests, clock, args.concurrency)
        elapsed = max(r.finished for r in results) - clock.wall_at(sent[0].send_at)
        await wait_for_jobs(db_url, clock)
        rss = peak_rss_mb(proc.pid)
        print(
            f"  {name}: {len(requests)} callbacks in {time.time() - started:.0f} s wall "
            f"(afternoon now {clock.now():%H:%M:%S}); bot log {tmp / f'bot-{name}.log'}"
        )
    finally:
        stop(proc)
        await runner.cleanup()
    leg = Leg(name, results, elapsed, rss, late_replies=attach_late_replies(results, fakes.late))
    report.lines.append(f"-- {name}")
    first_check = clock.wall_at(at(17, 40))
    behind = [
        r
        for r in results
        if r.request.message.send_at <= at(17, 30) and (r.replied or r.finished) > first_check
    ]
    if behind:
        report.lines.append(
            f"note: {len(behind)} messages sent by 17:30 were answered only after the 17:40 late-pickup "
            f"check (the bot up to {max(r.latency for r in behind):.0f} s behind the schedule): "
            "children picked up in them get late alerts the script does not expect"
        )
    db = Database(db_url)
    try:
        ids = await check_store(db, expected, messages, report)
        keys = await expected_keys(db, expected, ids, [c.name for c in school.classes])
        leg.pushes = await check_outbox(db, settings, fakes, keys, report)
        report.lines.append(await job_fires(db))
    finally:
        await db.dispose()
    check_replies(results, fakes.late, report)
    return leg


async def hello_leg(messages: list[Message], args: argparse.Namespace, tmp: Path) -> Leg:
    port = free_port()
    proc = spawn(["--hello", "--port", str(port)], {}, tmp / "hello.log")
    try:
        url = f"http://127.0.0.1:{port}"
        await wait_healthy(url, proc)
        clock = ScaledClock(
            SIM_START,
            time.time() + 1.0 - (MESSAGES_FROM - SIM_START).total_seconds() / args.speed,
            args.speed,
        )
        requests = build_requests(messages, "http://127.0.0.1:9")
        results = await replay(url, requests, clock, args.concurrency)
        elapsed = max(r.finished for r in results) - clock.wall_at(messages[0].send_at)
        rss = peak_rss_mb(proc.pid)
    finally:
        stop(proc)
    return Leg("aiohttp hello world", results, elapsed, rss)


def script(args: argparse.Namespace) -> tuple[School, list[Message], list[Message], Expected]:
    """The school, the whole script, what is actually sent (all of it unless --drop), and the expectations."""
    school = build_school(args.students, args.classes)
    messages, expected = build_script(school)
    sent = list(messages)
    if (
        args.drop
    ):  # self-test of the checks: one leave is never sent, the expectations still count it: must FAIL
        retried = {m.retry_of for m in messages}
        sent.remove(next(m for m in messages if m.text.startswith("请假") and m.msg_id not in retried))
    return school, messages, sent, expected


async def one_database(db_url: str, args: argparse.Namespace, tmp: Path) -> tuple[Leg, Report]:
    """One database leg without the baseline (the smoke test's entry: the same code path as the bench)."""
    school, messages, sent, expected = script(args)
    report = Report()
    leg = await afternoon_leg("db", db_url, school, messages, sent, expected, args, tmp, report)
    return leg, report


async def run(args: argparse.Namespace) -> int:
    school, messages, sent, expected = script(args)
    print(
        f"afternoon {DAY}: {len(school.children)} children, {len(school.classes)} classes, {len(sent)} callbacks "
        f"17:05-17:35 at speed {args.speed:g} (~{len(sent) * args.speed / 1800:.0f} msg/s offered), "
        f"concurrency {args.concurrency}"
    )
    report = Report()
    legs: list[Leg] = []
    tmp, finished = Path(tempfile.mkdtemp(prefix="tuoguan-afternoon-")), False
    try:
        base = await hello_leg(sent, args, tmp) if not args.no_baseline else None
        targets = [("sqlite", f"sqlite+aiosqlite:///{tmp / 'afternoon.db'}")]
        if args.pg_url:
            targets.append(("postgresql", args.pg_url))
        for leg_name, url in targets:
            legs.append(
                await afternoon_leg(leg_name, url, school, messages, sent, expected, args, tmp, report)
            )
        print()
        if base is not None:
            print(base.summary())
        for leg in legs:
            print(leg.summary())
            if base is not None:
                print(
                    f"{'':<22} ratio to hello world: throughput {leg.throughput / base.throughput:.2f}, "
                    f"p50 latency x{leg.p50 / max(base.p50, 0.001):.0f}"
                )
        print()
        print("\n".join(report.lines))
        finished = True
    finally:
        if finished and not report.failed:
            shutil.rmtree(tmp, ignore_errors=True)
        else:
            print(f"logs kept in {tmp}")
    print(f"\n{'FAIL' if report.failed else 'PASS'}: {report.failed} check(s) failed")
    return 1 if report.failed else 0


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    parser.add_argument("--students", type=int, default=2000)
    parser.add_argument("--classes", type=int, default=60)
    parser.add_argument("--speed", type=float, default=10.0, help="afternoon seconds per wall second")
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument(
        "--boot-seconds",
        type=float,
        default=BOOT_SECONDS,
        help="wall seconds the bot gets to start (more on a loaded machine)",
    )
    parser.add_argument("--pg-url", default="")
    parser.add_argument("--no-baseline", action="store_true")
    parser.add_argument("--drop", action="store_true", help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    return asyncio.run(run(parse_args(argv)))


if __name__ == "__main__":
    sys.exit(main())
