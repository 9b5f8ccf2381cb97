"""How fast exports run and whether their memory stays flat, for CSV and XLSX on SQLite and PostgreSQL.

    python -m bench.export_memory                              # 100,000 responses, both databases
    python -m bench.export_memory --responses 100000 1000000   # and a million, to compare peaks
    python -m bench.export_memory --responses 200 --databases sqlite   # smoke size

For each database and size a new database is filled with submissions of a survey with choices,
checkboxes, numbers, text that looks like formulas and a repeating page. Each export then runs in
a fresh Python process that writes the download to nowhere, so its peak RSS (ru_maxrss) is the
export's own and not left over from loading. Printed per row: responses per second, wall and CPU
seconds, the RSS before the export began, and the peak. The "summary" row times the summary page's
figures (all but the template) for the same responses.

Databases are removed afterwards (a temporary SQLite file; a PostgreSQL database created on
COFORM_TEST_POSTGRES, default postgres://postgres@127.0.0.1:5432, then dropped).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import resource
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass

from bench.storage_summary import analyze, postgres_database, sqlite_database
from engine import storage
from engine.definition import Form
from engine.export import ExportLayout, Writer, csv_stream, form_history, xlsx_stream
from engine.loader import load_form_text
from engine.storage import Criteria
from engine.summary import summarise

FORM = """
title: Bench survey
reference_prefix: BS
pages:
  - id: about
    title: About you
    questions:
      - {id: name, type: name, label: Your name, personal: true}
      - id: role
        type: radios
        label: Your role
        options:
          - {value: carer, label: Carer}
          - {value: young_person, label: Young person}
          - {value: parent, label: Parent}
          - {value: other, label: Something else, other: true}
      - id: activities
        type: checkboxes
        label: What do you do?
        optional: true
        options:
          - {value: art, label: Art}
          - {value: sport, label: Sport}
          - {value: music, label: Music}
          - {value: games, label: Games}
      - {id: age, type: number, label: "How old are you?"}
      - {id: why, type: long_text, label: "Why do you want to take part?"}
  - id: trips
    repeat: {item_name: trip, min: 0, max: 5}
    title: Your trips
    questions:
      - {id: destination, type: text, label: "Where did you go?"}
      - {id: cost, type: money, label: "What did it cost?"}
"""
WRITERS: dict[str, Writer] = {"csv": csv_stream, "xlsx": xlsx_stream}
DATABASES: dict[str, Callable[[], AbstractAsyncContextManager[str]]] = {
    "sqlite": sqlite_database,
    "postgres": postgres_database,
}
LOAD_BATCH = 5_000
#: Not an export: the summary page's figures for the whole form (issue 9, row 6), timed the same way.
SUMMARY = "summary"


@dataclass(frozen=True)
class Measurement:
    database: str
    responses: int
    format: str
    seconds: float
    cpu_seconds: float
    bytes: int
    rss_before_mb: float
    peak_rss_mb: float

    @property
    def per_second(self) -> float:
        return self.responses / self.seconds if self.seconds else 0.0


def respondent(rng: random.Random) -> dict[str, storage.JSONInput]:
    return {
        "name": f"Person {rng.randint(1, 10**6)}",
        "role": rng.choice(["carer", "young_person", "parent"]),
        "activities": sorted(rng.sample(["art", "sport", "music", "games"], rng.randint(0, 3))),
        "age": rng.randint(14, 90),
        "why": rng.choice(["=SUM(A1)", "+44 7700 900123", "Because services should listen. " * 3]),
        "trips": [{"destination": "Oxford", "cost": "12.50"}] * rng.randint(0, 2),
    }


async def fill(database_url: str, responses: int) -> Form:
    form = load_form_text(FORM, "bench-survey.yaml")
    await storage.migrate(database_url)
    async with storage.connect(database_url):
        await storage.record_form_version(form.slug, form.version, {"yaml": FORM})
        rng = random.Random(8)
        for start in range(0, responses, LOAD_BATCH):
            count = min(LOAD_BATCH, responses - start)
            answers = [respondent(rng) for _ in range(count)]
            await storage.import_submissions(form.slug, form.version, "en", answers, "BS")
    if database_url.startswith("postgres"):
        # What autovacuum does within a minute of a bulk load: without statistics the planner
        # guesses, and the summary row would time a plan no live server keeps for long.
        await analyze(database_url)
    return form


async def export_once(database_url: str, writer_name: str) -> dict[str, float]:
    """Run in its own process: export every response to nowhere (or, for "summary", compute the
    summary page's figures) and report time and memory."""
    form = load_form_text(FORM, "bench-survey.yaml")
    async with storage.connect(database_url):
        history = await form_history(form)
        before = _rss_mb()
        started = time.perf_counter()
        # CPU time as well as wall time: on a shared machine only the CPU figure compares runs.
        cpu_started = time.process_time()
        size = 0
        if writer_name == SUMMARY:
            await summarise(history, Criteria(), board=True)
        else:
            layout = ExportLayout.of(history, personal=True)
            batches = storage.export_batches(form.slug, Criteria())
            stream: AsyncIterator[bytes] = WRITERS[writer_name](layout, batches)
            async for chunk in stream:
                size += len(chunk)
        seconds = time.perf_counter() - started
        cpu_seconds = time.process_time() - cpu_started
    return {
        "seconds": seconds,
        "cpu_seconds": cpu_seconds,
        "bytes": size,
        "rss_before_mb": before,
        "peak_rss_mb": _rss_mb(),
    }


def _rss_mb() -> float:
    # ru_maxrss is in kilobytes on Linux.
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def measure_in_child(database_url: str, writer_name: str) -> dict[str, float]:
    command = [sys.executable, "-m", "bench.export_memory", "--child", database_url, writer_name]
    result = subprocess.run(command, capture_output=True, text=True, check=True)
    found: dict[str, float] = json.loads(result.stdout.strip().splitlines()[-1])
    return found


async def run(sizes: list[int], databases: list[str], formats: list[str]) -> list[Measurement]:
    measurements: list[Measurement] = []
    for database in databases:
        for size in sizes:
            async with DATABASES[database]() as url:
                await fill(url, size)
                for name in formats:
                    found = await asyncio.to_thread(measure_in_child, url, name)
                    measurements.append(
                        Measurement(
                            database,
                            size,
                            name,
                            found["seconds"],
                            found["cpu_seconds"],
                            int(found["bytes"]),
                            found["rss_before_mb"],
                            found["peak_rss_mb"],
                        )
                    )
                    print(table_row(measurements[-1]), flush=True)
    return measurements


def table_row(m: Measurement) -> str:
    return (
        f"| {m.database} | {m.responses:,} | {m.format} | {m.per_second:,.0f} "
        f"| {m.seconds:.1f} s | {m.cpu_seconds:.1f} s | {m.bytes / 1e6:.1f} MB | {m.rss_before_mb:.0f} MB "
        f"| {m.peak_rss_mb:.0f} MB |"
    )


TABLE_HEADER = (
    "| database | responses | format | responses/s | time | CPU | file | RSS before | peak RSS |\n"
    "|---|---:|---|---:|---:|---:|---:|---:|---:|"
)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--responses", type=int, nargs="+", default=[100_000])
    parser.add_argument("--databases", nargs="+", choices=sorted(DATABASES), default=sorted(DATABASES))
    tasks = [*sorted(WRITERS), SUMMARY]
    parser.add_argument("--formats", nargs="+", choices=tasks, default=tasks)
    parser.add_argument("--child", nargs=2, metavar=("DATABASE_URL", "FORMAT"), help=argparse.SUPPRESS)
    arguments = parser.parse_args(argv)
    if arguments.child:
        url, name = arguments.child
        print(json.dumps(asyncio.run(export_once(url, name))))
        return
    print(TABLE_HEADER, flush=True)
    asyncio.run(run(arguments.responses, arguments.databases, arguments.formats))


if __name__ == "__main__":
    main()
