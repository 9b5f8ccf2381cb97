"""Row 5: exports of the bench survey to CSV and XLSX, each in a fresh process, timed and weighed.

    measured = export_in_child(url, "sqlite", 100_000, "csv")   # Exported(seconds=2.3, cpu=2.1, ...)
    rows = export_rows(every_measurement, small=100_000, large=1_000_000)

The child (`python -m bench.exports URL TASK`) opens the database, builds the layout, then streams
`engine.export.csv_stream` or `xlsx_stream` over `storage.export_batches` to nowhere, as the export
download does. Starting fresh makes its peak RSS (ru_maxrss) the export's own, not left over from
filling. It reports wall and CPU time (`time.process_time`: every thread of the process, SQLite's
included; the PostgreSQL server's CPU is not counted). The task "summary" times `summarise()` the same
way, for row 6.

Peak RSS is the process's high-water mark from the moment the export starts: Linux resets it when
"5" is written to /proc/self/clear_refs. Without the reset, the peak of importing the engine and
opening the database (about 70 MB) hides anything an export below it does.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import resource
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from bench.report import Check, Row
from bench.survey import survey
from engine import storage
from engine.export import ExportLayout, Writer, csv_stream, form_history, xlsx_stream
from engine.storage import Criteria
from engine.summary import summarise

ROOT = Path(__file__).resolve().parent.parent
WRITERS: dict[str, Writer] = {"csv": csv_stream, "xlsx": xlsx_stream}
#: Not an export: the summary page's figures for the whole form, timed the same way (row 6).
SUMMARY = "summary"
CSV_TARGET_PER_SECOND = 50_000
#: Peak RSS exporting the large size may be at most this times the peak for the small size.
RSS_GROWTH_TARGET = 1.2


@dataclass(frozen=True)
class Exported:
    """One task in a fresh process: how long it took and the process's memory before and at its peak."""

    database: str
    responses: int
    task: str
    seconds: float
    cpu_seconds: float
    bytes: int
    rss_before_mb: float
    peak_rss_mb: float

    @property
    def per_second(self) -> float:
        return self.responses / self.seconds if self.seconds else 0.0


async def run_task(database_url: str, task: str) -> dict[str, float]:
    """In the child: export every response to nowhere (or compute the summary's figures)."""
    form = survey()
    async with storage.connect(database_url):
        history = await form_history(form)
        before = _reset_peak_rss_mb()
        started = time.perf_counter()
        cpu_started = time.process_time()
        size = 0
        if task == SUMMARY:
            await summarise(history, Criteria(), board=False)
        else:
            layout = ExportLayout.of(history, personal=True)
            batches = storage.export_batches(form.slug, Criteria())
            stream: AsyncIterator[bytes] = WRITERS[task](layout, batches)
            async for chunk in stream:
                size += len(chunk)
        cpu_seconds = time.process_time() - cpu_started
        seconds = time.perf_counter() - started
    return {
        "seconds": seconds,
        "cpu_seconds": cpu_seconds,
        "bytes": size,
        "rss_before_mb": before,
        "peak_rss_mb": _peak_rss_mb(),
    }


def _reset_peak_rss_mb() -> float:
    """Set the high-water mark to the RSS now and return it; the process's peak so far elsewhere."""
    with contextlib.suppress(OSError):  # not Linux, or no /proc: the peak stays the process's own
        Path("/proc/self/clear_refs").write_text("5")
    return _peak_rss_mb()


def _peak_rss_mb() -> float:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    # ru_maxrss (kilobytes on Linux) cannot be reset: the peak since the process started.
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def export_in_child(database_url: str, database: str, responses: int, task: str) -> Exported:
    completed = subprocess.run(
        [sys.executable, "-m", "bench.exports", database_url, task],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    if completed.returncode != 0:
        raise RuntimeError(f"the {task} child failed on {database}:\n{completed.stderr}")
    found = json.loads(completed.stdout.strip().splitlines()[-1])
    return Exported(
        database,
        responses,
        task,
        float(found["seconds"]),
        float(found["cpu_seconds"]),
        int(found["bytes"]),
        float(found["rss_before_mb"]),
        float(found["peak_rss_mb"]),
    )


def export_rows(measured: Sequence[Exported], small: int, large: int) -> list[Row]:
    """Row 5 for every export measured; the large size's row also compares its peak with the small's."""
    peaks = {(m.database, m.task, m.responses): m.peak_rss_mb for m in measured}
    rows = []
    for m in measured:
        checks: list[Check] = []
        if m.task == "csv":
            checks.append(Check(f"≥ {CSV_TARGET_PER_SECOND:,}/s", m.per_second >= CSV_TARGET_PER_SECOND))
        if m.responses == large:
            small_peak = peaks.get((m.database, m.task, small))
            checks.append(
                Check(
                    f"peak RSS ≤ {RSS_GROWTH_TARGET:g} × at {small:,}",
                    None if small_peak is None else m.peak_rss_mb <= RSS_GROWTH_TARGET * small_peak,
                )
            )
        rows.append(
            Row(
                "5",
                f"export {m.responses:,} responses to {m.task.upper()}",
                m.database,
                f"{m.per_second:,.0f} responses/s: {m.seconds:.1f} s, {m.cpu_seconds:.1f} s CPU; "
                f"peak RSS {m.peak_rss_mb:.0f} MB ({m.rss_before_mb:.0f} MB before); "
                f"{m.bytes / 1e6:.1f} MB written",
                checks=tuple(checks),
            )
        )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("database_url")
    parser.add_argument("task", choices=[*sorted(WRITERS), SUMMARY])
    args = parser.parse_args()
    print(json.dumps(asyncio.run(run_task(args.database_url, args.task))))


if __name__ == "__main__":
    main()
