"""Where a coform request spends its time: py-spy samples the server while wrk loads one row.

    python -m bench.profile get              # GET the question page (row 2), SQLite
    python -m bench.profile post --database postgres

Prints the share of samples under each function (inclusive), coform's own code first, then the
functions the samples were in (self). Needs py-spy (`pip install -e '.[bench]'`).
"""

from __future__ import annotations

import argparse
import asyncio
import re
import shutil
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path

from bench import journeys, run, server, wrk
from bench.client import Client
from bench.databases import DATABASES
from engine import storage

_LINE_NUMBER = re.compile(r":\d+\)")
#: py-spy is installed beside this Python in a virtualenv that is not on PATH.
PY_SPY = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")


def summarise(samples: str, top: int) -> str:
    """py-spy's raw output ("a;b;c 12" per line) as the most sampled functions, inclusive and self."""
    inclusive: Counter[str] = Counter()
    own: Counter[str] = Counter()
    total = 0
    for line in samples.splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        frames = [_LINE_NUMBER.sub(")", frame) for frame in stack.split(";")]
        total += int(count)
        own[frames[-1]] += int(count)
        for frame in set(frames):
            inclusive[frame] += int(count)
    if not total:
        return "no samples"
    ours = [(f, n) for f, n in inclusive.most_common() if "engine/" in f or "app.py" in f or ".html" in f]
    lines = [f"{total} samples", "", "coform's code and templates, inclusive:"]
    lines += [f"  {n / total:6.1%}  {frame}" for frame, n in ours[:top]]
    lines += ["", "self:"]
    lines += [f"  {n / total:6.1%}  {frame}" for frame, n in own.most_common(top)]
    return "\n".join(lines)


async def profile(row: str, database: str, seconds: float) -> str:
    size = run.SIZES["full"]
    async with DATABASES[database]() as database_url:
        await storage.migrate(database_url)
        with server.serving("app:create_app", run.coform_env(database_url)) as running:
            learner = Client.for_url(running.url)
            plan, _ = await journeys.learn(learner, f"/forms/{journeys.FORM_SLUG}")
            await learner.close()
            drafts = [await run.open_draft(running.url, plan) for _ in range(size.drafts)]
            if row == "get":
                requests = [wrk.WrkRequest("GET", drafts[0].path, {"Cookie": drafts[0].cookie})]
                status = 200
            else:
                form = "application/x-www-form-urlencoded"
                requests = [
                    wrk.WrkRequest("POST", d.action, {"Cookie": d.cookie, "Content-Type": form}, d.body)
                    for d in drafts
                ]
                status = 303
            with tempfile.TemporaryDirectory() as directory:
                output = Path(directory) / "samples.txt"
                spy = subprocess.Popen(
                    [
                        PY_SPY, "record", "--pid", str(running.process.pid), "--duration",
                        str(round(seconds)), "--format", "raw", "--output", str(output), "--nonblocking",
                    ],
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )  # fmt: skip
                load = wrk.run(
                    running.url,
                    requests,
                    expected_status=status,
                    seconds=seconds + 1,
                    connections=size.connections,
                )
                spy.wait()
                samples = output.read_text(encoding="utf-8") if output.exists() else ""
    return f"{load.per_second:,.0f} req/s, p99 {load.p99_ms:.0f} ms\n" + summarise(samples, top=30)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.profile", description=__doc__.splitlines()[0])
    parser.add_argument("row", choices=["get", "post"])
    parser.add_argument("--database", choices=sorted(DATABASES), default="sqlite")
    parser.add_argument("--seconds", type=float, default=10)
    args = parser.parse_args()
    if not Path(PY_SPY).exists():
        sys.exit("py-spy is not installed: pip install -e '.[bench]'")
    print(asyncio.run(profile(args.row, args.database, args.seconds)))


if __name__ == "__main__":
    main()
