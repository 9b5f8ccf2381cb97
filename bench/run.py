"""Run the benchmarks: coform under uvicorn against a bare Starlette route, in the same run.

    python -m bench                          # full size, SQLite; writes BENCHMARKS.md
    python -m bench --database both          # the HTTP rows on SQLite and on PostgreSQL
    python -m bench --size tiny --output -   # a few requests, to check the bench still works

Each server gets a fresh database (a temporary SQLite file, or a PostgreSQL database created on
COFORM_TEST_POSTGRES and dropped afterwards). Load comes from separate processes: wrk for single
URLs, `python -m bench.journeys` for whole journeys. Every request figure is also given as a ratio
to the baseline's requests per second, because the shared machine's speed varies from run to run.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import re
import subprocess
import sys
import tempfile
from collections import Counter
from collections.abc import Callable, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

from bench import journeys, machine, report, server, weight, wrk
from bench.client import Client
from bench.report import Row
from bench.storage_summary import POSTGRES_SERVER, postgres_database, sqlite_database
from engine import storage

ROOT = Path(__file__).resolve().parent.parent
#: The question page measured on its own: ten checkboxes with an "other" box, hint and error wording.
QUESTION_FIELD = "young_person_what_matters"
SECRET_KEY = "coform-benchmarks-only"

GET_TARGET = 0.10
POST_TARGET = 0.05
P99_TARGET_MS = 100.0
WEIGHT_TARGET_BYTES = 40_000
WEIGHT_TARGET_REQUESTS = 4
SUMMARY_TARGET_MS = 1000.0


@dataclass(frozen=True)
class Size:
    seconds: float
    warmup_seconds: float
    connections: int
    respondents: int
    journey_seconds: float
    drafts: int
    responses: int


SIZES = {
    "tiny": Size(
        seconds=1, warmup_seconds=0, connections=2, respondents=2, journey_seconds=1, drafts=2, responses=300
    ),
    "full": Size(
        seconds=10,
        warmup_seconds=2,
        connections=50,
        respondents=50,
        journey_seconds=30,
        drafts=50,
        responses=100_000,
    ),
}

DATABASES: dict[str, Callable[[], AbstractAsyncContextManager[str]]] = {
    "sqlite": sqlite_database,
    "postgres": postgres_database,
}


@dataclass
class Baseline:
    """The bare route, kept running all through the run and measured again just before each coform
    row: other work on a shared machine comes and goes within minutes, so each ratio compares
    figures taken under the same conditions."""

    url: str
    pid: int
    size: Size
    loads: list[Measured]

    def measure(self) -> Measured:
        measured = hammer(self.url, self.pid, [wrk.WrkRequest("GET", "/", {})], 200, self.size)
        self.loads.append(measured)
        return measured


@dataclass(frozen=True)
class Measured:
    """What wrk measured, and the server's CPU time (user + system, every worker) per request.

    Requests per second fall when other work on the shared machine takes the cores; CPU per
    request hardly moves, so it says what a request costs whatever else was running.
    """

    load: wrk.Load
    cpu_ms: float


def hammer(base_url: str, pid: int, requests: Sequence[wrk.WrkRequest], status: int, size: Size) -> Measured:
    """Warm up, then measure: the first requests pay for imports, template compiling and caches."""
    if size.warmup_seconds:
        wrk.run(
            base_url,
            requests,
            expected_status=status,
            seconds=size.warmup_seconds,
            connections=size.connections,
        )
    before = server.cpu_seconds(pid)
    load = wrk.run(
        base_url, requests, expected_status=status, seconds=size.seconds, connections=size.connections
    )
    return Measured(load, cpu_ms_each(server.cpu_seconds(pid) - before, load.requests))


def cpu_ms_each(cpu_seconds: float, requests: int) -> float:
    return 1000 * cpu_seconds / requests if requests else 0.0


def coform_env(database_url: str) -> dict[str, str]:
    return {
        "DATABASE_URL": database_url,
        "COFORM_SECURE_COOKIES": "false",
        "COFORM_SECRET_KEY": SECRET_KEY,
        "COFORM_FORMS_DIR": str(ROOT / "forms"),
    }


@dataclass(frozen=True)
class OpenDraft:
    """A draft standing on the measured question page: its cookies, the page, and a valid POST."""

    cookie: str
    path: str
    action: str
    body: str


async def open_draft(base_url: str, plan: journeys.Plan) -> OpenDraft:
    """Start a draft and answer pages until the measured question page comes up."""
    client = Client.for_url(base_url)
    try:
        path = plan.start_path
        for step in plan.steps:
            page = await journeys.expect_page(client, path)
            action, token = journeys.action_and_token(page.text, step.form_index, path)
            body = urlencode([(journeys.CSRF_FIELD, token), *step.fields])
            if f'name="{QUESTION_FIELD}"' in page.text:
                # Sent once here, so the bench knows the page saves (a redirect) before measuring it.
                await journeys.expect_redirect(client, action, body)
                cookie = "; ".join(f"{k}={v}" for k, v in client.cookies.items())
                return OpenDraft(cookie, path, action, body)
            path = await journeys.expect_redirect(client, action, body)
        raise journeys.JourneyError(f"the journey never showed the question {QUESTION_FIELD}")
    finally:
        await client.close()


def run_journeys(base_url: str, size: Size) -> dict[str, object]:
    completed = subprocess.run(
        [
            sys.executable,
            "-m",
            "bench.journeys",
            base_url,
            "--start",
            f"/forms/{journeys.FORM_SLUG}",
            "--respondents",
            str(size.respondents),
            "--seconds",
            str(size.journey_seconds),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    result: dict[str, object] = json.loads(completed.stdout.strip().splitlines()[-1])
    return result


async def measure_coform(
    database: str, size: Size, workers: int, baseline: Baseline, with_weight: bool, logs: Path
) -> list[Row]:
    """Rows 2, 3 and 4 on one fresh database, and row 7 (which no database changes) if asked."""
    rows: list[Row] = []
    async with DATABASES[database]() as database_url:
        await storage.migrate(database_url)
        env = coform_env(database_url)
        with server.serving("app:create_app", env, workers, log=logs / f"coform-{database}.log") as running:
            learner = Client.for_url(running.url)
            plan, _ = await journeys.learn(learner, f"/forms/{journeys.FORM_SLUG}")
            await learner.close()
            drafts = [await open_draft(running.url, plan) for _ in range(size.drafts)]

            adjacent = baseline.measure()
            pid = running.process.pid
            get = hammer(
                running.url,
                pid,
                [wrk.WrkRequest("GET", drafts[0].path, {"Cookie": drafts[0].cookie})],
                200,
                size,
            )
            rows.append(
                request_row("2", "GET a question page (existing draft)", database, get, adjacent, GET_TARGET)
            )
            posts = [
                wrk.WrkRequest(
                    "POST",
                    d.action,
                    {"Cookie": d.cookie, "Content-Type": "application/x-www-form-urlencoded"},
                    d.body,
                )
                for d in drafts
            ]
            adjacent = baseline.measure()
            post = hammer(running.url, pid, posts, 303, size)
            rows.append(
                request_row(
                    "3", "POST a valid page (validate, save draft)", database, post, adjacent, POST_TARGET
                )
            )

            adjacent = baseline.measure()
            before = server.cpu_seconds(pid)
            result = run_journeys(running.url, size)
            cpu_ms = cpu_ms_each(server.cpu_seconds(pid) - before, int(str(result["requests"])))
            rows.append(journeys_row(database, result, cpu_ms, adjacent, size))

            if with_weight:
                rows.extend(await weight_rows(running.url, drafts[0], database))
    return rows


def request_row(
    number: str, what: str, database: str, measured: Measured, baseline: Measured, target: float
) -> Row:
    load = measured.load
    ratio = load.per_second / baseline.load.per_second
    return Row(
        number,
        what,
        database,
        f"{load.per_second:,.0f} req/s, {measured.cpu_ms:.2f} ms CPU each",
        load.p50_ms,
        load.p99_ms,
        load.errors,
        ratio,
        target=f"≥ {target:.0%} of baseline",
        met=ratio >= target,
    )


def journeys_row(
    database: str, result: dict[str, object], cpu_ms: float, baseline: Measured, size: Size
) -> Row:
    seconds = float(str(result["seconds"]))
    done = int(str(result["journeys"]))
    requests = int(str(result["requests"]))
    errors = int(str(result["errors"]))
    p99 = float(str(result["p99_ms"]))
    per_second = requests / seconds
    return Row(
        "4",
        f"complete journeys, {size.respondents} concurrent respondents "
        f"({result['requests_per_journey']} requests each)",
        database,
        f"{done / seconds:,.1f} journeys/s ({per_second:,.0f} req/s, {cpu_ms:.2f} ms CPU each)",
        float(str(result["p50_ms"])),
        p99,
        errors,
        per_second / baseline.load.per_second,
        target=f"p99 < {P99_TARGET_MS:.0f} ms, 0 errors",
        met=p99 < P99_TARGET_MS and errors == 0 and done > 0,
    )


async def weight_rows(base_url: str, draft: OpenDraft, database: str) -> list[Row]:
    client = Client.for_url(base_url)
    client.cookies.update(dict(pair.split("=", 1) for pair in draft.cookie.split("; ")))
    try:
        pages = [
            ("list of forms /", "/", False),
            ("preview of every page", f"/forms/{journeys.FORM_SLUG}/preview", False),
            ("question page with its assets", draft.path, True),
        ]
        rows = []
        for what, path, has_target in pages:
            measured = await weight.page_weight(client, path)
            gzip_note = "" if measured.server_compressed else " (gzipped by the bench)"
            rows.append(
                Row(
                    "7",
                    f"weight: {what}",
                    database,
                    f"{measured.gzip_bytes / 1000:.1f} KB gzipped{gzip_note}, {measured.requests} requests, "
                    f"{measured.raw_bytes / 1000:.1f} KB uncompressed",
                    target=(
                        f"≤ {WEIGHT_TARGET_BYTES // 1000} KB in ≤ {WEIGHT_TARGET_REQUESTS} requests"
                        if has_target
                        else ""
                    ),
                    met=(
                        measured.gzip_bytes <= WEIGHT_TARGET_BYTES
                        and measured.requests <= WEIGHT_TARGET_REQUESTS
                        if has_target
                        else None
                    ),
                )
            )
        return rows
    finally:
        await client.close()


_SUMMARY_LINE = re.compile(r"^(sqlite|postgres): (.+): (\d+) ms  ->  (.*)$")


def storage_summary_rows(database: str, responses: int) -> list[Row]:
    """bench/storage_summary.py on one database: count and filter `responses` submissions."""
    completed = subprocess.run(
        [
            sys.executable,
            str(ROOT / "bench" / "storage_summary.py"),
            "--responses",
            str(responses),
            "--only",
            database,
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    rows = []
    for line in completed.stdout.splitlines():
        found = _SUMMARY_LINE.match(line)
        if found is None:
            continue
        milliseconds = float(found.group(3))
        is_summary = found.group(2).startswith("count by answer")
        rows.append(
            Row(
                "6s",
                f"storage: {found.group(2)}, {responses:,} responses",
                database,
                f"{milliseconds:,.0f} ms",
                target=f"< {SUMMARY_TARGET_MS / 1000:.0f} s" if is_summary else "",
                met=milliseconds < SUMMARY_TARGET_MS if is_summary else None,
            )
        )
    if not rows:
        raise RuntimeError(
            f"bench/storage_summary.py printed no figures:\n{completed.stdout}{completed.stderr}"
        )
    return rows


async def durability(databases: Sequence[str]) -> list[str]:
    lines = []
    if "sqlite" in databases:
        with tempfile.TemporaryDirectory() as directory:
            lines.append(await machine.sqlite_durability(f"sqlite://{Path(directory) / 'probe.sqlite3'}"))
    if "postgres" in databases:
        lines.append(await machine.postgres_durability(POSTGRES_SERVER))
    return lines


def baseline_row(baseline: Baseline) -> Row:
    loads = [measured.load for measured in baseline.loads]
    rates = [load.per_second for load in loads]
    cpu_ms = sum(measured.cpu_ms for measured in baseline.loads) / len(baseline.loads)
    return Row(
        "1",
        'baseline: bare Starlette route returning "ok" (measured before each row)',
        "–",
        f"{sum(rates) / len(rates):,.0f} req/s (mean of {len(rates)}: {min(rates):,.0f}–{max(rates):,.0f}), "
        f"{cpu_ms:.2f} ms CPU each",
        max(load.p50_ms for load in loads),
        max(load.p99_ms for load in loads),
        sum(load.errors for load in loads),
        1.0,
    )


_EXCEPTION_LINE = re.compile(r"^[A-Za-z_][\w.]*(?::|$)")


def server_log_summary(logs: Path) -> str:
    """What the servers logged as tracebacks, by exception: "none", or "2 × ClientDisconnect"."""
    found: Counter[str] = Counter()
    for log in sorted(logs.glob("*.log")):
        in_traceback = False
        for line in log.read_text(encoding="utf-8", errors="replace").splitlines():
            if line.startswith("Traceback"):
                in_traceback = True
            elif in_traceback and _EXCEPTION_LINE.match(line):
                found[line.split(":")[0].rsplit(".", 1)[-1]] += 1
                in_traceback = False
    return ", ".join(f"{count} × {name}" for name, count in found.most_common()) or "none"


async def run(args: argparse.Namespace, logs: Path) -> list[Row]:
    size = SIZES[args.size]
    http_databases = ["sqlite", "postgres"] if args.database == "both" else [args.database]
    summary_databases = {"both": ["sqlite", "postgres"], "none": []}.get(args.storage, [args.storage])

    coform_rows: list[Row] = []
    with server.serving("bench.baseline:create_app", {}, args.workers, log=logs / "baseline.log") as bare:
        baseline = Baseline(bare.url, bare.process.pid, size, [])
        for database in http_databases:
            with_weight = database == http_databases[0]
            coform_rows.extend(
                await measure_coform(database, size, args.workers, baseline, with_weight, logs)
            )
    rows = [baseline_row(baseline), *coform_rows]
    for database in summary_databases:
        rows.extend(storage_summary_rows(database, size.responses))
    return rows


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench", description=__doc__.splitlines()[0] if __doc__ else None
    )
    parser.add_argument("--size", choices=sorted(SIZES), default="full")
    parser.add_argument(
        "--database",
        choices=["sqlite", "postgres", "both"],
        default="sqlite",
        help="database under the HTTP rows (default sqlite)",
    )
    parser.add_argument(
        "--storage",
        choices=["sqlite", "postgres", "both", "none"],
        default="both",
        help="databases for the storage-level summary row (default both)",
    )
    parser.add_argument("--workers", type=int, default=1, help="uvicorn workers for coform and the baseline")
    parser.add_argument(
        "--output",
        default=None,
        help="markdown file to update, '-' for none (default BENCHMARKS.md at full size)",
    )
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> None:
    args = parse_args(argv)
    if not wrk.available():
        sys.exit("wrk is not installed: apt-get install -y wrk")
    logs = Path(tempfile.mkdtemp(prefix="coform-bench-"))
    load_before = os.getloadavg()[0]
    rows = asyncio.run(run(args, logs))
    load_after = os.getloadavg()[0]
    print(report.table(rows))
    tracebacks = server_log_summary(logs)
    print(f"\nServer logs in {logs}; tracebacks: {tracebacks}")
    output = args.output or ("BENCHMARKS.md" if args.size == "full" else "-")
    if output == "-":
        return
    databases = sorted({r.database for r in rows if r.database in DATABASES}, reverse=True)
    database_dir = Path(tempfile.gettempdir())
    size = SIZES[args.size]
    context = report.Context(
        size=args.size,
        command="python -m bench " + " ".join(sys.argv[1:] if argv is None else argv),
        machine=machine.describe(database_dir),
        durability=asyncio.run(durability(databases)),
        server=f"uvicorn, {args.workers} worker(s), uvloop + httptools, access log off, loopback",
        load_average=(load_before, load_after),
        server_errors=tracebacks,
        load_generator=(
            f"wrk (1 thread, {size.connections} connections, {size.seconds:.0f} s after "
            f"{size.warmup_seconds:.0f} s warm-up) for rows 1–3; `python -m bench.journeys` "
            f"(asyncio, uvloop, one process, {size.journey_seconds:.0f} s) for row 4"
        ),
    )
    path = Path(output) if Path(output).is_absolute() else ROOT / output
    report.write(path, rows, context, dt.datetime.now(dt.UTC))
    print(f"\nWritten to {path}")
