"""The benchmark suite still runs: `python -m bench --size tiny` end to end, with no timing checked.

The figures of a tiny run mean nothing; what matters is that every row is measured, that no request
failed, and that the results land between the markers of the markdown file without touching the
notes written around them.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

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

    completed = run_bench("--storage", "sqlite", "--output", str(output))

    assert completed.returncode == 0, completed.stderr
    rows = [line for line in completed.stdout.splitlines() if line.startswith("| ") and "---" not in line]
    measured = "\n".join(rows)
    for expected in (
        "baseline: bare Starlette route",
        "GET a question page",
        "POST a valid page",
        "complete journeys",
        "weight: question page with its assets",
        "storage: count by answer",
    ):
        assert expected in measured
    errors_column = [row.split(" | ")[6].strip() for row in rows[1:]]
    assert all(errors in ("", "0") for errors in errors_column), measured


@pytest.mark.usefixtures("wrk")
def test_tiny_bench_replaces_only_its_own_section_of_the_markdown(tmp_path: Path) -> None:
    output = tmp_path / "BENCHMARKS.md"
    output.write_text(NOTES_BEFORE + OLD_SECTION + NOTES_AFTER, encoding="utf-8")

    completed = run_bench("--storage", "none", "--output", str(output))

    assert completed.returncode == 0, completed.stderr
    written = output.read_text(encoding="utf-8")
    assert written.startswith(NOTES_BEFORE)
    assert written.endswith(NOTES_AFTER)
    assert "an old table" not in written
    assert written.count("<!-- bench:begin -->") == 1
    for described in ("Machine:", "Disk under the databases:", "Durability: SQLite journal_mode=wal"):
        assert described in written
