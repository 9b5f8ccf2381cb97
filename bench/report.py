"""The results table, printed and written into BENCHMARKS.md between two markers.

Only the part between `<!-- bench:begin -->` and `<!-- bench:end -->` is replaced, so what people
write around it (how to read the figures, what limits them) survives each run.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from bench.machine import Machine

BEGIN = "<!-- bench:begin -->"
END = "<!-- bench:end -->"


@dataclass(frozen=True)
class Check:
    """A target and whether the row met it: ("≥ 50,000/s", False); None when it was not measured."""

    target: str
    met: bool | None


@dataclass(frozen=True)
class Row:
    """One line of the table, with the targets of issue 9 it is checked against (none for most)."""

    number: str
    measurement: str
    database: str
    result: str
    p50_ms: float | None = None
    p99_ms: float | None = None
    errors: int | None = None
    ratio: float | None = None
    checks: tuple[Check, ...] = ()


@dataclass(frozen=True)
class Context:
    size: str
    command: str
    machine: Machine
    durability: Sequence[str]
    server: str
    #: The 1-minute load average before and after the run: how busy the shared machine was.
    load_average: tuple[float, float]
    #: Tracebacks in the servers' logs, by exception ("none" when clean).
    server_errors: str
    load_generator: str
    #: How long the whole run took, wall clock.
    seconds: float


def _ms(value: float | None) -> str:
    return "" if value is None else f"{value:.1f}"


def _verdict(row: Row) -> str:
    return "; ".join(
        f"{check.target}: {'not measured' if check.met is None else 'met' if check.met else '**missed**'}"
        for check in row.checks
    )


def table(rows: Sequence[Row]) -> str:
    head = [
        "| # | Measurement | DB | Result | p50 ms | p99 ms | Errors | × baseline | Target |",
        "|---|---|---|---|--:|--:|--:|--:|---|",
    ]
    body = [
        f"| {r.number} | {r.measurement} | {r.database} | {r.result} | {_ms(r.p50_ms)} | {_ms(r.p99_ms)} | "
        f"{'' if r.errors is None else r.errors} | {'' if r.ratio is None else f'{r.ratio:.1%}'} | "
        f"{_verdict(r)} |"
        for r in rows
    ]
    return "\n".join(head + body)


def section(rows: Sequence[Row], context: Context, when: dt.datetime) -> str:
    machine = context.machine
    lines = [
        BEGIN,
        f"Measured {when:%Y-%m-%d %H:%M} UTC with `{context.command}` (size {context.size}).",
        "",
        f"- Machine: {machine.cpu}, {machine.cores} cores, {machine.memory_gib:.1f} GiB memory, "
        f"Python {machine.python}; load average {context.load_average[0]:.1f} before the run, "
        f"{context.load_average[1]:.1f} after",
        f"- Disk under the databases: {machine.disk}",
        *[f"- Durability: {line}" for line in context.durability],
        f"- Server: {context.server}; tracebacks logged: {context.server_errors}",
        f"- Load: {context.load_generator}",
        f"- The whole run took {context.seconds / 60:.1f} minutes",
        "",
        table(rows),
        END,
    ]
    return "\n".join(lines)


def write(path: Path, rows: Sequence[Row], context: Context, when: dt.datetime) -> None:
    """Put the new section into `path`, keeping everything outside the markers."""
    new = section(rows, context, when)
    old = path.read_text(encoding="utf-8") if path.exists() else ""
    if BEGIN in old and END in old:
        before, rest = old.split(BEGIN, 1)
        after = rest.split(END, 1)[1]
        text = before + new + after
    else:
        text = (old.rstrip() + "\n\n" if old else "# Benchmarks\n\n") + new + "\n"
    path.write_text(text, encoding="utf-8")
