"""The benchmark suite still runs: `python -m bench --size tiny` end to end, with no timing checked.

The figures of a tiny run mean nothing; what matters is that every row is measured, that no request
failed, and that the results land between the markers of the markdown file without touching the
notes written around them.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import sys
from pathlib import Path

import asyncpg  # type: ignore[import-untyped]
import pytest

from bench.databases import POSTGRES_SERVER

ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.slow

NOTES_BEFORE = "# Benchmarks\n\nHow to read these figures: by hand, kept.\n\n"
NOTES_AFTER = "\n\n## What limits it\n\nWritten by a person, kept.\n"
OLD_SECTION = "<!-- bench:begin -->\nan old table\n<!-- bench:end -->"


@pytest.fixture
def wrk() -> None:
    if shutil.which("wrk") is None:
        if os.environ.get("CI") == "true":
            pytest.fail("wrk is not installed (apt-get install -y wrk); CI must keep the bench working")
        pytest.skip("wrk is not installed (apt-get install -y wrk)")


@pytest.fixture(params=["sqlite", "postgres"])
def database(request: pytest.FixtureRequest) -> str:
    """The engine under rows 5 and 6; PostgreSQL must be reachable under CI, else it is skipped."""
    if request.param == "postgres":
        try:
            asyncio.run(_reach_postgres())
        except (OSError, asyncpg.PostgresError) as error:
            reason = f"PostgreSQL is not reachable at {POSTGRES_SERVER} ({error})"
            if os.environ.get("CI") == "true":
                pytest.fail(f"{reason}; CI must run every test against PostgreSQL")
            pytest.skip(reason)
    return str(request.param)


async def _reach_postgres() -> None:
    connection = await asyncpg.connect(f"{POSTGRES_SERVER}/postgres", timeout=5)
    await connection.close()


def table_rows(stdout: str) -> list[str]:
    return [line for line in stdout.splitlines() if line.startswith("| ") and "---" not in line][1:]


def run_bench(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bench", "--size", "tiny", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


@pytest.mark.usefixtures("wrk")
def test_tiny_bench_measures_every_row_without_a_failed_request(tmp_path: Path) -> None:
    output = tmp_path / "BENCHMARKS.md"
    output.write_text(NOTES_BEFORE + OLD_SECTION + NOTES_AFTER, encoding="utf-8")

    completed = run_bench("--database", "sqlite", "--output", str(output))

    assert completed.returncode == 0, completed.stderr
    rows = table_rows(completed.stdout)
    measured = "\n".join(rows)
    for expected in (
        "| 1 | baseline: bare Starlette route",
        "| 2 | GET a question page",
        "| 3 | POST a valid page",
        "| 4 | complete journeys",
        "| 5 | export 300 responses to CSV",
        "| 5 | export 600 responses to XLSX",
        "| 6 | summary page",
        "| 7 | weight: question page with its assets",
    ):
        assert expected in measured
    errors_column = [row.split(" | ")[6].strip() for row in rows]
    assert all(errors in ("", "0") for errors in errors_column), measured
    assert "The whole run took" in completed.stdout


@pytest.mark.usefixtures("wrk")
def test_tiny_bench_replaces_only_its_own_section_of_the_markdown(tmp_path: Path) -> None:
    output = tmp_path / "BENCHMARKS.md"
    output.write_text(NOTES_BEFORE + OLD_SECTION + NOTES_AFTER, encoding="utf-8")

    completed = run_bench("--rows", "7", "--database", "sqlite", "--output", str(output))

    assert completed.returncode == 0, completed.stderr
    written = output.read_text(encoding="utf-8")
    assert written.startswith(NOTES_BEFORE)
    assert written.endswith(NOTES_AFTER)
    assert "an old table" not in written
    assert written.count("<!-- bench:begin -->") == 1
    for described in ("Machine:", "Disk under the databases:", "Durability: SQLite journal_mode=wal"):
        assert described in written


def test_tiny_bench_fills_exports_and_fetches_the_summary_page(database: str) -> None:
    completed = run_bench("--rows", "5,6", "--database", database, "--output", "-")

    assert completed.returncode == 0, completed.stderr
    rows = table_rows(completed.stdout)
    assert {row.split(" | ")[2] for row in rows} == {database}
    measured = "\n".join(rows)
    for size in ("300", "600"):
        assert f"fill: storage.import_submissions of 300 responses ({size} in all)" in measured
        for format in ("CSV", "XLSX"):
            assert f"| 5 | export {size} responses to {format} |" in measured
    [csv_large] = [row for row in rows if "export 600 responses to CSV" in row]
    assert "≥ 50,000/s:" in csv_large
    assert "peak RSS ≤ 1.2 × at 300: met" in csv_large or "peak RSS ≤ 1.2 × at 300: **missed**" in csv_large
    [page] = [row for row in rows if "| 6 | summary page (GET /staff/forms/bench-survey/summary" in row]
    assert page.split(" | ")[6].strip() == "0"
    assert "first < 1 s:" in page
    assert "best < 1 s:" in page
    assert "summary page filtered by ?answer.role=carer" in measured
    assert "`summarise()` in a fresh process" in measured
    assert "not measured" not in measured
