"""What the figures were measured on: CPU, memory, the disk under the database, and durability settings."""

from __future__ import annotations

import os
import platform
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import asyncpg  # type: ignore[import-untyped]

from engine import storage

FSYNC_SAMPLES = 50


@dataclass(frozen=True)
class Machine:
    cpu: str
    cores: int
    memory_gib: float
    python: str
    disk: str


def describe(database_dir: Path) -> Machine:
    return Machine(
        cpu=_cpu_model(),
        cores=os.cpu_count() or 1,
        memory_gib=_memory_kib() / 1024 / 1024,
        python=platform.python_version(),
        disk=describe_disk(database_dir),
    )


def describe_disk(directory: Path) -> str:
    """The device and filesystem holding `directory`, and how long one fsync of 4 KB takes there.

    A durable commit waits for at least one fsync, so this bounds single-writer commits per second.
    """
    device, filesystem = _mount_of(directory)
    median_ms = _fsync_median_ms(directory)
    return f"{device} ({filesystem}), fsync of 4 KB: median {median_ms:.2f} ms over {FSYNC_SAMPLES}"


async def sqlite_durability(database_url: str) -> str:
    async with storage.connect(database_url):
        pragmas = await storage.sqlite_pragmas()
    synchronous = {"0": "OFF", "1": "NORMAL", "2": "FULL", "3": "EXTRA"}.get(pragmas["synchronous"], "?")
    mode = pragmas["journal_mode"]
    return f"SQLite journal_mode={mode}, synchronous={synchronous} (read from the live connection)"


async def postgres_durability(server_url: str) -> str:
    connection = await asyncpg.connect(f"{server_url}/postgres", timeout=5)
    try:
        found = [
            f"{name}={await connection.fetchval(f'SHOW {name}')}"
            for name in ("fsync", "synchronous_commit", "wal_sync_method", "full_page_writes")
        ]
        version = await connection.fetchval("SHOW server_version")
    finally:
        await connection.close()
    return f"PostgreSQL {version}: {', '.join(found)} (read from the server)"


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _memory_kib() -> int:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def _mount_of(directory: Path) -> tuple[str, str]:
    """The (device, filesystem type) of the longest mount point containing `directory`."""
    best = ("unknown", "unknown", "")
    target = str(directory.resolve())
    try:
        mounts = Path("/proc/mounts").read_text().splitlines()
    except OSError:
        return best[:2]
    for line in mounts:
        device, mount_point, filesystem, *_ = line.split()
        inside = target == mount_point or target.startswith(mount_point.rstrip("/") + "/")
        if inside and len(mount_point) > len(best[2]):
            best = (device, filesystem, mount_point)
    return best[0], best[1]


def _fsync_median_ms(directory: Path) -> float:
    timings = []
    with tempfile.NamedTemporaryFile(dir=directory) as handle:
        for _ in range(FSYNC_SAMPLES):
            handle.write(os.urandom(4096))
            handle.flush()
            started = time.perf_counter()
            os.fsync(handle.fileno())
            timings.append(time.perf_counter() - started)
    timings.sort()
    return timings[len(timings) // 2] * 1000
