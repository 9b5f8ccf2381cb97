"""Row 6: the summary page of the bench survey, fetched from a running coform server as a reviewer.

    rows = await summary_rows("sqlite", url, 100_000, repeats=3, logs=Path("/tmp/logs"))

The server reads its forms from a directory holding only the bench survey, so it serves the version
the database was filled with. The reviewer is signed in as the tests sign staff in: an account and a
session with the second factor done, made through engine.accounts on the same database, the session
sent as the staff cookie. The first request is the page's cold start (the template compiled, the
database's caches empty); the best of the next `repeats` is what a reviewer opening it again waits.
The filtered page (?answer.role=carer) and `summarise()` alone, in a fresh process, are shown beside
it without a target.
"""

from __future__ import annotations

import asyncio
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

from bench import server
from bench.client import Client
from bench.exports import SUMMARY, export_in_child
from bench.report import Check, Row
from bench.survey import FILE_NAME, FORM, survey
from engine import accounts, storage
from engine.web.staff import COOKIE
from engine.web.summary import SUMMARY_PATH

TARGET_MS = 1000.0
FILTER = ("answer.role", "carer")


@dataclass(frozen=True)
class Fetched:
    """One GET of the page: the wall time the client waited, the server's CPU time, and the status."""

    ms: float
    cpu_ms: float
    status: int


async def sign_in_reviewer(database_url: str) -> str:
    """A reviewer account and a fully signed-in session on `database_url`; returns the cookie value."""
    async with storage.connect(database_url):
        staff, _ = await accounts.add_user("bench-reviewer@example.org", "reviewer")
        return await accounts.start_session(staff.id, second_factor_done=True)


async def fetch(client: Client, path: str, pid: int) -> Fetched:
    cpu_before = server.cpu_seconds(pid)
    started = time.perf_counter()
    reply = await client.get(path)
    ms = (time.perf_counter() - started) * 1000
    return Fetched(ms, (server.cpu_seconds(pid) - cpu_before) * 1000, reply.status)


async def summary_rows(
    database: str, database_url: str, env: dict[str, str], responses: int, repeats: int, logs: Path
) -> list[Row]:
    """Serve coform on the filled database and fetch its summary page: cold, then `repeats` times."""
    path = SUMMARY_PATH.format(slug=survey().slug)
    token = await sign_in_reviewer(database_url)
    with tempfile.TemporaryDirectory(prefix="coform-bench-forms-") as forms_dir:
        (Path(forms_dir) / FILE_NAME).write_text(FORM, encoding="utf-8")
        served = {**env, "COFORM_FORMS_DIR": forms_dir}
        with server.serving("app:create_app", served, log=logs / f"summary-{database}.log") as running:
            client = Client.for_url(running.url)
            client.cookies[COOKIE] = token
            pid = running.process.pid
            try:
                first = await fetch(client, path, pid)
                again = [await fetch(client, path, pid) for _ in range(repeats)]
                filtered = [await fetch(client, f"{path}?{urlencode([FILTER])}", pid) for _ in range(repeats)]
            finally:
                await client.close()
    alone = await asyncio.to_thread(export_in_child, database_url, database, responses, SUMMARY)
    best = min(again, key=lambda f: f.ms)
    best_filtered = min(filtered, key=lambda f: f.ms)
    failed = sum(f.status != 200 for f in [first, *again])
    where = f"GET {path}, {responses:,} responses"
    return [
        Row(
            "6",
            f"summary page ({where}): first request, best of {repeats} after",
            database,
            f"first {first.ms:,.0f} ms ({first.cpu_ms:,.0f} ms server CPU), "
            f"best {best.ms:,.0f} ms ({best.cpu_ms:,.0f} ms server CPU)",
            errors=failed,
            checks=(
                Check(f"first < {TARGET_MS / 1000:g} s", first.ms < TARGET_MS and failed == 0),
                Check(f"best < {TARGET_MS / 1000:g} s", best.ms < TARGET_MS and failed == 0),
            ),
        ),
        Row(
            "6",
            f"summary page filtered by ?{FILTER[0]}={FILTER[1]}, best of {repeats}",
            database,
            f"{best_filtered.ms:,.0f} ms ({best_filtered.cpu_ms:,.0f} ms server CPU)",
            errors=sum(f.status != 200 for f in filtered),
        ),
        Row(
            "6",
            "summary figures alone: `summarise()` in a fresh process",
            database,
            f"{alone.seconds * 1000:,.0f} ms, {alone.cpu_seconds * 1000:,.0f} ms CPU; "
            f"peak RSS {alone.peak_rss_mb:.0f} MB",
        ),
    ]
