"""Drive one URL with wrk (a separate, C load generator) and read its figures back as JSON.

A Lua script picks each request from a list (so POSTs can rotate over many drafts, each with its
own cookie and CSRF token) and prints the summary as JSON when wrk finishes.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

# wrk counts only socket errors and, with a Lua `response` hook, nothing else; so the script checks
# every status itself: anything but the expected one is an error.
_SCRIPT = """
local requests = {%(requests)s}
local expected = %(expected)d
local next_request = 0
unexpected = 0  -- global: done() reads it from each thread with thread:get
local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

request = function()
  next_request = next_request %% #requests + 1
  return requests[next_request]
end

response = function(status, headers, body)
  if status ~= expected then unexpected = unexpected + 1 end
end

done = function(summary, latency, requests_)
  local bad = 0
  for _, thread in ipairs(threads) do bad = bad + thread:get("unexpected") end
  local e = summary.errors
  io.write(string.format(
    '{"requests": %%d, "duration_us": %%d, "p50_us": %%d, "p99_us": %%d, ' ..
    '"socket_errors": %%d, "unexpected_status": %%d}\\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    e.connect + e.read + e.write + e.timeout, bad))
end
"""


@dataclass(frozen=True)
class WrkRequest:
    method: str
    path: str
    headers: Mapping[str, str]
    body: str = ""


@dataclass(frozen=True)
class Load:
    """What a load generator measured: request count over wall time, latency percentiles, errors."""

    requests: int
    seconds: float
    p50_ms: float
    p99_ms: float
    errors: int

    @property
    def per_second(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


def available() -> bool:
    return shutil.which("wrk") is not None


def _lua_string(text: str) -> str:
    return json.dumps(text)  # a JSON string literal is a valid Lua string literal for ASCII text


def _lua_request(request: WrkRequest) -> str:
    headers = ", ".join(f"[{_lua_string(k)}] = {_lua_string(v)}" for k, v in request.headers.items())
    body = _lua_string(request.body) if request.body else "nil"
    return f"wrk.format({_lua_string(request.method)}, {_lua_string(request.path)}, {{{headers}}}, {body})"


def run(
    base_url: str,
    requests: Sequence[WrkRequest],
    *,
    expected_status: int,
    seconds: float,
    connections: int,
    threads: int = 1,
) -> Load:
    """Send `requests` round-robin for `seconds` over `connections` kept-alive connections."""
    if not requests:
        raise ValueError("wrk needs at least one request to send")
    script = _SCRIPT % {
        "requests": ",\n".join(_lua_request(r) for r in requests),
        "expected": expected_status,
    }
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "requests.lua"
        path.write_text(script, encoding="utf-8")
        completed = subprocess.run(
            [
                "wrk",
                f"-t{threads}",
                f"-c{connections}",
                f"-d{max(1, round(seconds))}s",
                "--timeout",
                "10s",
                "-s",
                str(path),
                base_url,
            ],
            capture_output=True,
            text=True,
            check=True,
        )
    summary = json.loads(completed.stdout.strip().splitlines()[-1])
    return Load(
        requests=summary["requests"],
        seconds=summary["duration_us"] / 1_000_000,
        p50_ms=summary["p50_us"] / 1000,
        p99_ms=summary["p99_us"] / 1000,
        errors=summary["socket_errors"] + summary["unexpected_status"],
    )
