"""Start and stop an ASGI app under uvicorn on a free loopback port, as the benchmarks serve it.

Always uvloop and httptools with the access log off, so coform and the baseline get the same server.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
STARTUP_SECONDS = 60


@dataclass(frozen=True)
class Server:
    """A running uvicorn process and the base URL it answers on."""

    url: str
    port: int
    process: subprocess.Popen[bytes]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def uvicorn_command(factory: str, port: int, workers: int) -> list[str]:
    """The command line: ("app:create_app", 8000, 1) -> [python, -m, uvicorn, app:create_app, ...]."""
    return [
        sys.executable,
        "-m",
        "uvicorn",
        factory,
        "--factory",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        str(workers),
        "--loop",
        "uvloop",
        "--http",
        "httptools",
        "--no-access-log",
        "--log-level",
        "warning",
    ]


def start(
    factory: str,
    env: Mapping[str, str] | None = None,
    workers: int = 1,
    ready_path: str = "/",
    log: Path | None = None,
) -> Server:
    """Start uvicorn serving `factory` and return once `ready_path` answers; output goes to `log`."""
    port = free_port()
    with open(log or os.devnull, "ab") as output:
        # The child has its own copy of the file descriptor, so closing ours here is fine.
        process = subprocess.Popen(
            uvicorn_command(factory, port, workers),
            cwd=ROOT,
            env={**os.environ, **(env or {})},
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    server = Server(url=f"http://127.0.0.1:{port}", port=port, process=process)
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{factory} exited with {process.returncode} before answering (log: {log})")
        try:
            with urllib.request.urlopen(server.url + ready_path, timeout=2):
                return server
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.1)
    stop(server)
    raise RuntimeError(f"{factory} did not answer within {STARTUP_SECONDS} seconds")


def cpu_seconds(pid: int) -> float:
    """CPU time (user + system) used so far by process `pid` and every process under it (workers).

    Read from /proc, so on a shared machine it counts only the server's own work: requests divided
    into it give a figure that other load changes far less than it changes requests per second.
    """
    total = 0.0
    pending = [pid]
    ticks = os.sysconf("SC_CLK_TCK")
    while pending:
        current = pending.pop()
        try:
            # Fields after the ")" that ends the command name: utime and stime are the 12th and 13th.
            fields = Path(f"/proc/{current}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / ticks
            for task in Path(f"/proc/{current}/task").iterdir():
                pending.extend(int(child) for child in (task / "children").read_text().split())
        except (FileNotFoundError, ProcessLookupError):
            continue
    return total


def stop(server: Server) -> None:
    server.process.terminate()
    try:
        server.process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        server.process.kill()
        server.process.wait()


@contextmanager
def serving(
    factory: str,
    env: Mapping[str, str] | None = None,
    workers: int = 1,
    ready_path: str = "/",
    log: Path | None = None,
) -> Iterator[Server]:
    server = start(factory, env, workers, ready_path, log)
    try:
        yield server
    finally:
        stop(server)
