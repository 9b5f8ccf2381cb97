"""How long reviewers wait to count and filter a form's submissions, on SQLite and PostgreSQL.

    python bench/storage_summary.py                  # 100,000 responses on both databases
    python bench/storage_summary.py --responses 2000 # smoke size, for CI

Each database is new and is removed afterwards (a temporary file; a PostgreSQL database created
on COFORM_TEST_POSTGRES, default postgres://postgres@127.0.0.1:5432, and dropped).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import asyncpg  # type: ignore[import-untyped]

from engine import storage

POSTGRES_SERVER = os.environ.get("COFORM_TEST_POSTGRES", "postgres://postgres@127.0.0.1:5432")
ROLES = ["carer", "young_person", "parent", "professional", "other"]
ACTIVITIES = ["art", "sport", "music", "cooking", "gardening", "games"]
BATCH = 5_000


def respondent(rng: random.Random) -> dict[str, storage.JSONInput]:
    return {
        "role": rng.choice(ROLES),
        "activities": sorted(rng.sample(ACTIVITIES, rng.randint(0, 3))),
        "over_18": rng.random() < 0.7,
        "postcode": f"OX{rng.randint(1, 29)} {rng.randint(1, 9)}AB",
        "why": "Because I want services to listen. " * rng.randint(1, 4),
    }


@asynccontextmanager
async def sqlite_database() -> AsyncIterator[str]:
    with tempfile.TemporaryDirectory() as directory:
        yield f"sqlite://{Path(directory) / 'bench.sqlite3'}"


@asynccontextmanager
async def postgres_database() -> AsyncIterator[str]:
    name = f"coform_bench_{uuid.uuid4().hex[:12]}"
    await on_server(f'CREATE DATABASE "{name}"')
    try:
        yield f"{POSTGRES_SERVER}/{name}"
    finally:
        await on_server(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


async def on_server(statement: str) -> None:
    connection = await asyncpg.connect(f"{POSTGRES_SERVER}/postgres", timeout=5)
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


async def analyze(database_url: str) -> None:
    connection = await asyncpg.connect(database_url, timeout=5)
    try:
        await connection.execute("ANALYZE")
    finally:
        await connection.close()


async def best_of_three(action: Callable[[], Awaitable[Any]]) -> tuple[float, Any]:
    timings = []
    for _ in range(3):
        started = time.perf_counter()
        result = await action()
        timings.append(time.perf_counter() - started)
    return min(timings), result


async def measure(name: str, database_url: str, responses: int) -> None:
    await storage.migrate(database_url)
    async with storage.connect(database_url):
        await storage.record_form_version("board", "v1", {"title": "Join the board"})
        rng = random.Random(7)
        started = time.perf_counter()
        for first in range(0, responses, BATCH):
            batch = [respondent(rng) for _ in range(min(BATCH, responses - first))]
            await storage.import_submissions("board", "v1", "en", batch, "CPB")
        print(f"{name}: loaded {responses:,} submissions in {time.perf_counter() - started:.1f} s")
        if name == "postgres":
            # What autovacuum does within a minute of a bulk load; without statistics the planner
            # guesses a nested loop over the whole answer_value table.
            await analyze(database_url)

        checks: list[tuple[str, Callable[[], Awaitable[Any]]]] = [
            ("count by answer, radios (role)", lambda: storage.count_by_answer("board", "role")),
            (
                "count by answer, checkboxes (activities)",
                lambda: storage.count_by_answer("board", "activities"),
            ),
            (
                "count submissions where role = carer",
                lambda: storage.count_submissions("board", answer=("role", "carer")),
            ),
            (
                "first 50 where activities has art",
                lambda: storage.find_submissions("board", answer=("activities", "art")),
            ),
            (
                "page 100 (offset 4,950) where role = carer",
                lambda: storage.find_submissions("board", answer=("role", "carer"), offset=4_950),
            ),
        ]
        for label, action in checks:
            seconds, result = await best_of_three(action)
            shown = result if isinstance(result, dict | int) else f"{len(result)} submissions"
            print(f"{name}: {label}: {seconds * 1000:.0f} ms  ->  {shown}")


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--responses", type=int, default=100_000)
    parser.add_argument("--only", choices=["sqlite", "postgres"])
    args = parser.parse_args()
    databases = {"sqlite": sqlite_database, "postgres": postgres_database}
    for name, database in databases.items():
        if args.only in (None, name):
            async with database() as database_url:
                await measure(name, database_url, args.responses)


if __name__ == "__main__":
    asyncio.run(main())
