"""The bench survey and its responses, loaded through `storage.import_submissions` by parallel processes.

    filled = await fill(url, 0, 100_000, workers=2)          # the first 100,000 responses
    filled = await fill(url, 100_000, 1_000_000, workers=2)  # grown to a million, same database

Responses come in chunks of 5,000, each from a random generator seeded with the chunk's first
number, so a database holds the same answers whatever the number of processes. Each process is
`python -m bench.survey URL FIRST STOP WORKER WORKERS` and imports every WORKERS-th chunk. On
PostgreSQL the processes' transactions overlap (the bench's Python and the server share the cores);
on SQLite they take the write lock in turn, and a second process prepares its next chunk while the
first one writes. PostgreSQL is ANALYZEd after each fill (see bench.databases.analyze).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import sys
import time
from dataclasses import dataclass

from tortoise.exceptions import IntegrityError

from bench.databases import analyze
from engine import storage
from engine.definition import Form
from engine.loader import load_form_text

FILE_NAME = "bench-survey.yaml"
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
CHUNK = 5_000
#: import_submissions gives each response a random reference (30**8 choices) and does not retry a
#: clash, so across a million responses one chunk in two runs meets one; that chunk is rolled back
#: whole and imported again with new references.
ATTEMPTS = 3


@dataclass(frozen=True)
class Filled:
    """How long adding `responses` took: wall time and the importing processes' CPU time."""

    responses: int
    workers: int
    seconds: float
    cpu_seconds: float


def survey() -> Form:
    return load_form_text(FORM, FILE_NAME)


def respondent(rng: random.Random) -> dict[str, storage.JSONInput]:
    return {
        "name": f"Person {rng.randint(1, 10**6)}",
        "role": rng.choice(["carer", "young_person", "parent"]),
        "activities": sorted(rng.sample(["art", "sport", "music", "games"], rng.randint(0, 3))),
        "age": rng.randint(14, 90),
        "why": rng.choice(["=SUM(A1)", "+44 7700 900123", "Because services should listen. " * 3]),
        "trips": [{"destination": "Oxford", "cost": "12.50"}] * rng.randint(0, 2),
    }


async def prepare(database_url: str) -> Form:
    """Migrate a new database and record the survey's version, as a server reading FORM would."""
    form = survey()
    await storage.migrate(database_url)
    async with storage.connect(database_url):
        await storage.record_form_version(form.slug, form.version, {"yaml": FORM})
    return form


async def fill(database_url: str, first: int, stop: int, workers: int) -> Filled:
    """Add responses number `first` to `stop` - 1 from `workers` processes, then ANALYZE PostgreSQL."""
    started = time.perf_counter()
    before = os.times()
    processes = [
        await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bench.survey",
            database_url,
            str(first),
            str(stop),
            str(worker),
            str(workers),
        )
        for worker in range(workers)
    ]
    try:
        codes = [await process.wait() for process in processes]
    finally:
        for process in processes:
            if process.returncode is None:
                process.kill()
                await process.wait()
    if any(codes):
        raise RuntimeError(f"filling {database_url} failed: the importing processes exited with {codes}")
    after = os.times()
    if database_url.startswith("postgres"):
        await analyze(database_url)
    cpu = after.children_user + after.children_system - before.children_user - before.children_system
    return Filled(stop - first, workers, time.perf_counter() - started, cpu)


async def import_share(database_url: str, first: int, stop: int, worker: int, workers: int) -> None:
    """One filling process: import every `workers`-th chunk of 5,000, starting with chunk `worker`."""
    form = survey()
    async with storage.connect(database_url):
        for start in range(first + worker * CHUNK, stop, workers * CHUNK):
            rng = random.Random(start)
            answers = [respondent(rng) for _ in range(min(CHUNK, stop - start))]
            for attempt in range(1, ATTEMPTS + 1):
                try:
                    await storage.import_submissions(form.slug, form.version, "en", answers, "BS")
                    break
                except IntegrityError:
                    if attempt == ATTEMPTS:
                        raise


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("database_url")
    for name in ("first", "stop", "worker", "workers"):
        parser.add_argument(name, type=int)
    args = parser.parse_args()
    asyncio.run(import_share(args.database_url, args.first, args.stop, args.worker, args.workers))


if __name__ == "__main__":
    main()
