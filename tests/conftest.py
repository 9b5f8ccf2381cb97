"""Fixtures shared by every test: a fresh, empty database per test, on SQLite and on PostgreSQL.

`database_url` alone gives a URL (for tests that start the app); `storage` also migrates that
database and opens it for this process, for tests that call engine.storage directly.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import os
import uuid
from collections.abc import AsyncIterator, Coroutine, Iterator
from pathlib import Path
from typing import Any

import asyncpg  # type: ignore[import-untyped]
import pytest

import engine.storage

#: Where the test PostgreSQL server listens (trust auth); each test gets its own database there.
POSTGRES_SERVER = os.environ.get("COFORM_TEST_POSTGRES", "postgres://postgres@127.0.0.1:5432")


@pytest.fixture(params=["sqlite", "postgres"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite://{tmp_path / 'coform.sqlite3'}"
        return
    name = f"coform_test_{uuid.uuid4().hex[:16]}"
    try:
        _run_aside(_on_postgres_server(f'CREATE DATABASE "{name}"'))
    except (OSError, asyncpg.PostgresError) as error:
        reason = f"PostgreSQL is not reachable at {POSTGRES_SERVER} ({error})"
        if os.environ.get("CI") == "true":
            pytest.fail(f"{reason}; CI must run every test against PostgreSQL")
        pytest.skip(reason)
    try:
        yield f"{POSTGRES_SERVER}/{name}"
    finally:
        # WITH (FORCE) ends connections a failed test may have left open, so nothing is left behind.
        _run_aside(_on_postgres_server(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture
async def storage(database_url: str) -> AsyncIterator[str]:
    await engine.storage.migrate(database_url)
    async with engine.storage.connect(database_url):
        yield database_url


def _run_aside(coroutine: Coroutine[Any, Any, None]) -> None:
    """Run `coroutine` on its own loop in a worker thread: the browser tests' Playwright keeps an
    event loop running in this thread, where asyncio.run would refuse to start."""
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(asyncio.run, coroutine).result()


async def _on_postgres_server(statement: str) -> None:
    connection = await asyncpg.connect(f"{POSTGRES_SERVER}/postgres", timeout=5)
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


BROWSER_TESTS = Path(__file__).parent / "browser"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Run the browser tests last.

    Playwright's sync API keeps an event loop running on the main thread while its session-wide
    browser is open; every async test and asyncio.run() after it would fail with "cannot be called
    from a running event loop". Run last, the browser tests leave nothing behind them.
    """
    items.sort(key=lambda item: item.path.is_relative_to(BROWSER_TESTS))
