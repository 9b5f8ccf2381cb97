"""Run the benchmarks of issue 9: every row, on SQLite, PostgreSQL or both, in one command.

    python -m bench                          # every row on both databases; writes BENCHMARKS.md
    python -m bench --rows 5,6 --database postgres   # only the exports and the summary page
    python -m bench --size tiny --output -   # a few requests and responses, to check it still works

Rows 1-4 and 7 serve coform under uvicorn against a bare Starlette route in the same run, each server
on a fresh database (a temporary SQLite file, or a PostgreSQL database created on COFORM_TEST_POSTGRES
and dropped afterwards). Load comes from separate processes: wrk for single URLs,
`python -m bench.journeys` for whole journeys. Every request figure is also given as a ratio to the
baseline's requests per second, because the shared machine's speed varies from run to run.

Rows 5 and 6 fill one database per engine with the bench survey's responses (bench.survey), fetch
the summary page and export at the smaller size, then grow the same database to the larger size
and export again (bench.exports, bench.summary_page).
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
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

from bench import exports, journeys, machine, report, server, summary_page, survey, weight, wrk
from bench.client import Client
from bench.databases import DATABASES, POSTGRES_SERVER
from bench.report import Check, Row
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
#: The rows of issue 9; 1 (the baseline) is measured whenever 2, 3, 4 or 7 is.
ROWS = ("1", "2", "3", "4", "5", "6", "7")
HTTP_ROWS = {"1", "2", "3", "4", "7"}


@dataclass(frozen=True)
class Size:
    seconds: float
    warmup_seconds: float
    connections: int
    respondents: int
    journey_seconds: float
    drafts: int
    #: Responses under the summary page and the first exports (row 6, row 5)...
    responses: int
    #: ...and under the second exports, the same database grown (row 5).
    many_responses: int
    #: Summary page requests after the first; the best is shown.
    summary_repeats: int


SIZES = {
    "tiny": Size(
        seconds=1,
        warmup_seconds=0,
        connections=2,
        respondents=2,
        journey_seconds=1,
        drafts=2,
        responses=300,
        many_responses=600,
        summary_repeats=1,
    ),
    "full": Size(
        seconds=10,
        warmup_seconds=2,
        connections=50,
        respondents=50,
        journey_seconds=30,
        drafts=50,
        responses=100_000,
        many_responses=1_000_000,
        summary_repeats=3,
    ),
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
    database: str, size: Size, rows: set[str], workers: int, baseline: Baseline, with_weight: bool, logs: Path
) -> list[Row]:
    """Those of rows 2, 3 and 4 asked for on one fresh database, and row 7 (no database changes it)."""
    measured: list[Row] = []
    async with DATABASES[database]() as database_url:
        await storage.migrate(database_url)
        env = coform_env(database_url)
        with server.serving("app:create_app", env, workers, log=logs / f"coform-{database}.log") as running:
            learner = Client.for_url(running.url)
            plan, _ = await journeys.learn(learner, f"/forms/{journeys.FORM_SLUG}")
            await learner.close()
            drafts = [await open_draft(running.url, plan) for _ in range(size.drafts)]
            pid = running.process.pid

            if "2" in rows:
                adjacent = baseline.measure()
                get = hammer(
                    running.url,
                    pid,
                    [wrk.WrkRequest("GET", drafts[0].path, {"Cookie": drafts[0].cookie})],
                    200,
                    size,
                )
                measured.append(
                    request_row(
                        "2", "GET a question page (existing draft)", database, get, adjacent, GET_TARGET
                    )
                )
            if "3" in rows:
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
                measured.append(
                    request_row(
                        "3", "POST a valid page (validate, save draft)", database, post, adjacent, POST_TARGET
                    )
                )
            if "4" in rows:
                adjacent = baseline.measure()
                before = server.cpu_seconds(pid)
                result = run_journeys(running.url, size)
                cpu_ms = cpu_ms_each(server.cpu_seconds(pid) - before, int(str(result["requests"])))
                measured.append(journeys_row(database, result, cpu_ms, adjacent, size))

            if with_weight and "7" in rows:
                measured.extend(await weight_rows(running.url, drafts[0], database))
    return measured


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
        checks=(Check(f"≥ {target:.0%} of baseline", ratio >= target),),
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
        checks=(
            Check(
                f"p99 < {P99_TARGET_MS:.0f} ms, 0 errors", p99 < P99_TARGET_MS and errors == 0 and done > 0
            ),
        ),
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
                    checks=(
                        (
                            Check(
                                f"≤ {WEIGHT_TARGET_BYTES // 1000} KB in ≤ {WEIGHT_TARGET_REQUESTS} requests",
                                measured.gzip_bytes <= WEIGHT_TARGET_BYTES
                                and measured.requests <= WEIGHT_TARGET_REQUESTS,
                            ),
                        )
                        if has_target
                        else ()
                    ),
                )
            )
        return rows
    finally:
        await client.close()


def progress(message: str) -> None:
    """A line on stderr as the run goes: a full run takes many minutes, the table comes at the end."""
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def fill_row(database: str, filled: survey.Filled, total: int) -> Row:
    return Row(
        "5",
        f"fill: storage.import_submissions of {filled.responses:,} responses "
        f"({total:,} in all), {filled.workers} processes",
        database,
        f"{filled.seconds:,.1f} s ({filled.responses / filled.seconds:,.0f} responses/s), "
        f"{filled.cpu_seconds:,.1f} s CPU in the importing processes",
    )


async def measure_data(
    database: str, size: Size, rows: set[str], formats: Sequence[str], fill_workers: int, logs: Path
) -> list[Row]:
    """Rows 5 and 6 on one database: fill it, fetch the summary and export, grow it, export again."""
    measured: list[Row] = []
    exported: list[exports.Exported] = []
    formats = formats if "5" in rows else []
    async with DATABASES[database]() as database_url:
        await survey.prepare(database_url)
        filled = 0
        for responses in (size.responses, size.many_responses) if formats else (size.responses,):
            progress(f"{database}: filling {filled:,} → {responses:,} responses")
            grown = await survey.fill(database_url, filled, responses, fill_workers)
            filled = responses
            measured.append(fill_row(database, grown, responses))
            progress(f"{database}: filled in {grown.seconds:,.1f} s")
            if responses == size.responses and "6" in rows:
                progress(f"{database}: summary page of {responses:,} responses")
                measured.extend(
                    await summary_page.summary_rows(
                        database,
                        database_url,
                        coform_env(database_url),
                        responses,
                        size.summary_repeats,
                        logs,
                    )
                )
            for name in formats:
                progress(f"{database}: export {responses:,} responses to {name}")
                exported.append(
                    await asyncio.to_thread(exports.export_in_child, database_url, database, responses, name)
                )
    return measured + exports.export_rows(exported, size.responses, size.many_responses)


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
    databases = ["sqlite", "postgres"] if args.database == "both" else [args.database]
    rows: list[Row] = []
    if args.rows & HTTP_ROWS:
        with server.serving("bench.baseline:create_app", {}, args.workers, log=logs / "baseline.log") as bare:
            baseline = Baseline(bare.url, bare.process.pid, size, [])
            for database in databases if args.rows & {"2", "3", "4", "7"} else []:
                progress(f"{database}: rows {', '.join(sorted(args.rows & HTTP_ROWS))} over HTTP")
                with_weight = database == databases[0]
                rows.extend(
                    await measure_coform(database, size, args.rows, args.workers, baseline, with_weight, logs)
                )
            if not baseline.loads:
                baseline.measure()
        rows.insert(0, baseline_row(baseline))
    if args.rows & {"5", "6"}:
        for database in databases:
            rows.extend(await measure_data(database, size, args.rows, args.formats, args.fill_workers, logs))
    # Row by row, so SQLite and PostgreSQL stand next to each other; stable within a row.
    return sorted(rows, key=lambda row: ROWS.index(row.number))


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench", description=__doc__.splitlines()[0] if __doc__ else None
    )
    parser.add_argument("--size", choices=sorted(SIZES), default="full")
    parser.add_argument(
        "--database",
        choices=["sqlite", "postgres", "both"],
        default="both",
        help="database under every row (default both)",
    )
    parser.add_argument(
        "--rows",
        type=_rows,
        default=set(ROWS),
        help="which rows of issue 9 to measure, as 2,3 or 5,6 (default every one)",
    )
    parser.add_argument(
        "--formats",
        type=_formats,
        default=sorted(exports.WRITERS),
        help="export formats for row 5, as csv or csv,xlsx (default both)",
    )
    parser.add_argument(
        "--fill-workers",
        type=int,
        default=2,
        help="processes importing responses for rows 5 and 6 (default 2)",
    )
    parser.add_argument("--workers", type=int, default=1, help="uvicorn workers for coform and the baseline")
    parser.add_argument(
        "--output",
        default=None,
        help="markdown file to update, '-' for none (default BENCHMARKS.md at full size with every row)",
    )
    return parser.parse_args(argv)


def _formats(text: str) -> list[str]:
    """ "xlsx,csv" -> ["csv", "xlsx"]; an unknown format is an argparse error."""
    chosen = {part.strip() for part in text.split(",") if part.strip()}
    if not chosen or chosen - set(exports.WRITERS):
        known = ",".join(sorted(exports.WRITERS))
        raise argparse.ArgumentTypeError(f"formats are some of {known}, not {text!r}")
    return sorted(chosen)


def _rows(text: str) -> set[str]:
    """ "5,6" -> {"5", "6"}; an unknown row is an argparse error."""
    chosen = {part.strip() for part in text.split(",") if part.strip()}
    unknown = chosen - set(ROWS)
    if unknown or not chosen:
        raise argparse.ArgumentTypeError(f"rows are some of {','.join(ROWS)}, not {text!r}")
    return chosen


def main(argv: Sequence[str] | None = None) -> None:
    args = parse_args(argv)
    if args.rows & HTTP_ROWS and not wrk.available():
        sys.exit("wrk is not installed: apt-get install -y wrk")
    logs = Path(tempfile.mkdtemp(prefix="coform-bench-"))
    load_before = os.getloadavg()[0]
    started = time.perf_counter()
    rows = asyncio.run(run(args, logs))
    seconds = time.perf_counter() - started
    load_after = os.getloadavg()[0]
    print(report.table(rows))
    tracebacks = server_log_summary(logs)
    print(f"\nServer logs in {logs}; tracebacks: {tracebacks}")
    print(f"The whole run took {seconds / 60:.1f} minutes ({seconds:,.0f} s)")
    every_row = args.rows == set(ROWS) and args.formats == sorted(exports.WRITERS)
    output = args.output or ("BENCHMARKS.md" if args.size == "full" and every_row else "-")
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
            f"(asyncio, uvloop, one process, {size.journey_seconds:.0f} s) for row 4; "
            f"rows 5 and 6 on {size.responses:,} then {size.many_responses:,} responses of the bench "
            f"survey, each export in a fresh process, the summary page fetched as a signed-in reviewer"
        ),
        seconds=seconds,
    )
    path = Path(output) if Path(output).is_absolute() else ROOT / output
    report.write(path, rows, context, dt.datetime.now(dt.UTC))
    print(f"\nWritten to {path}")
