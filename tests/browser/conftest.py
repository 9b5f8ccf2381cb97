"""Browser harness: the real app under uvicorn on a free loopback port, driven by Debian's Chromium.

Playwright drives the system `chromium` through `executable_path`; no browser is downloaded. On a
developer machine without Chromium these tests skip with the reason; under CI=true they fail instead,
because the accessibility claim rests on them.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
AXE_SOURCE = (Path(__file__).parent / "vendor" / "axe-core-4.14.1.min.js").read_text(encoding="utf-8")
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]
ARTIFACTS = ROOT / "test-artifacts"

# Chromium must not reach out to Google's services: this machine's network is closed, and a page under
# test should make no third-party request anyway.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

# Collects CSP violations the browser reports, before any page script runs.
CSP_LISTENER = """
window.__cspViolations = [];
document.addEventListener('securitypolicyviolation', (e) => {
  window.__cspViolations.push(e.violatedDirective + ' ' + (e.blockedURI || 'inline'));
});
"""


def _require(reason: str) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason} (CI=true: browser tests must run, not skip)")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def chromium_path() -> str:
    path = shutil.which("chromium")
    if path is None:
        _require("Chromium is not installed (apt-get install chromium)")
        raise AssertionError("unreachable")
    return path


@pytest.fixture(scope="session")
def browser(chromium_path: str) -> Iterator[Any]:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _require("playwright is not installed (pip install -e '.[test]')")
        raise
    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=chromium_path, args=CHROMIUM_ARGS)
        yield instance
        instance.close()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class LiveServer:
    """A coform server process on loopback."""

    url: str
    process: subprocess.Popen[bytes]
    env: dict[str, str] = field(default_factory=dict)

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def start_server(database_url: str, forms_dir: Path | None = None, workers: int = 1) -> LiveServer:
    """Start uvicorn on a free port and wait until it answers."""
    port = _free_port()
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "COFORM_SECURE_COOKIES": "false",
        "COFORM_SECRET_KEY": "browser-tests-only",
    }
    if forms_dir is not None:
        env["COFORM_FORMS_DIR"] = str(forms_dir)
    command = [
        sys.executable, "-m", "uvicorn", "app:create_app", "--factory",
        "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers), "--no-access-log",
    ]
    process = subprocess.Popen(command, cwd=ROOT, env=env)
    server = LiveServer(url=f"http://127.0.0.1:{port}", process=process, env=env)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"coform server exited with {process.returncode} before answering")
        try:
            with urllib.request.urlopen(server.url + "/", timeout=2):
                return server
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.2)
    server.stop()
    raise RuntimeError("coform server did not answer within 30 seconds")


@pytest.fixture
def live_server(database_url: str) -> Iterator[LiveServer]:
    server = start_server(database_url)
    yield server
    server.stop()


def axe_violations(page: Any) -> list[str]:
    """Run the pinned axe-core on the page and describe each violation in one line."""
    # evaluate() runs through the DevTools protocol, so the page's strict CSP does not block axe.
    page.evaluate(AXE_SOURCE)
    result = page.evaluate(
        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})", AXE_TAGS
    )
    return [
        f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']]}"
        for v in result["violations"]
    ]


def csp_violations(page: Any) -> list[str]:
    found: list[str] = page.evaluate("window.__cspViolations || []")
    return found


def keep_screenshot(page: Any, name: str) -> Path:
    """Save a full-page screenshot under test-artifacts/ so a failure can be looked at."""
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
