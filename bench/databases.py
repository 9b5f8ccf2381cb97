"""Fresh databases for one benchmark: a temporary SQLite file, or a PostgreSQL database that is dropped.

    async with DATABASES["postgres"]() as url:   # postgres://postgres@127.0.0.1:5432/coform_bench_1a2b...
        ...

PostgreSQL databases are created on COFORM_TEST_POSTGRES (default postgres://postgres@127.0.0.1:5432)
and dropped WITH (FORCE) when the block ends, also when it raises.
"""

from __future__ import annotations

import os
import tempfile
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path

import asyncpg  # type: ignore[import-untyped]

POSTGRES_SERVER = os.environ.get("COFORM_TEST_POSTGRES", "postgres://postgres@127.0.0.1:5432")


@asynccontextmanager
async def sqlite_database() -> AsyncIterator[str]:
    with tempfile.TemporaryDirectory(prefix="coform-bench-") as directory:
        yield f"sqlite://{Path(directory) / 'bench.sqlite3'}"


@asynccontextmanager
async def postgres_database() -> AsyncIterator[str]:
    name = f"coform_bench_{uuid.uuid4().hex[:12]}"
    await on_server(f'CREATE DATABASE "{name}"')
    try:
        yield f"{POSTGRES_SERVER}/{name}"
    finally:
        await on_server(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


DATABASES: dict[str, Callable[[], AbstractAsyncContextManager[str]]] = {
    "sqlite": sqlite_database,
    "postgres": postgres_database,
}


async def on_server(statement: str) -> None:
    connection = await asyncpg.connect(f"{POSTGRES_SERVER}/postgres", timeout=5)
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


async def analyze(database_url: str) -> None:
    """What autovacuum does within a minute of a bulk load. This server runs with autovacuum off, and
    without statistics the planner expects one row and picks nested loops and on-disk sorts."""
    connection = await asyncpg.connect(database_url, timeout=5)
    try:
        await connection.execute("ANALYZE")
    finally:
        await connection.close()
