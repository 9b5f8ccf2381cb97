"""Closed and not-yet-open forms, a draft on a form that has since closed, and the friendly 400, 403,
405 and 413 pages pass the same checks as every other page, with JavaScript on and off.

The forms are small files written for the test; the server republishes a changed file within about a
second (COFORM_RELOAD=1, engine/versions.py), which is how a form with a draft waiting is closed.
"""

from __future__ import annotations

import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, Route

from tests.browser.a11y_sweep import Side, Sweep, sweep
from tests.browser.a11y_walk import PRIMARY_BUTTON, press
from tests.browser.conftest import LiveServer, start_server

pytestmark = pytest.mark.browser

#: Small enough that a long answer is refused, big enough for every ordinary post.
MAX_BODY_BYTES = 4096

FORM = """\
title: Tell us about the library
summary: A short survey about the library.
start: It takes about 2 minutes.
audience: Library users.
opens: {opens}
closes: {closes}
retention: 30 days
reference_prefix: LIB
pages:
  - id: thoughts_page
    questions:
      - id: thoughts
        type: long_text
        label: What do you think of the library?
"""
OPEN = {"opens": "2020-01-01", "closes": "2099-12-31 17:00"}
CLOSED = {"opens": "2020-01-01", "closes": "2021-06-30 17:00"}
NOT_YET_OPEN = {"opens": "2099-01-01 09:00", "closes": "2099-12-31 17:00"}


def write_form(forms_dir: Path, slug: str, dates: dict[str, str]) -> None:
    (forms_dir / f"{slug}.yaml").write_text(FORM.format(**dates), encoding="utf-8")


@pytest.fixture
def server(database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[LiveServer]:
    forms_dir = tmp_path / "forms"
    forms_dir.mkdir()
    write_form(forms_dir, "library", OPEN)
    write_form(forms_dir, "closed-library", CLOSED)
    write_form(forms_dir, "future-library", NOT_YET_OPEN)
    # start_server passes its own environment on to the server.
    monkeypatch.setenv("COFORM_RELOAD", "1")
    monkeypatch.setenv("COFORM_MAX_BODY_BYTES", str(MAX_BODY_BYTES))
    live = start_server(database_url, forms_dir)
    yield live
    live.stop()


def wait_until_closed(start_page: str) -> None:
    """Wait until the server has republished the rewritten form (it looks about once a second)."""
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        with urllib.request.urlopen(start_page, timeout=5) as answer:
            if "This form has closed" in answer.read().decode("utf-8"):
                return
        time.sleep(0.2)
    raise AssertionError(f"{start_page} did not close within 15 seconds of its file changing")


def heading(page: Page) -> str:
    return page.locator("h1").first.inner_text().strip()


def expect_heading(checks: Sweep, side: Side, state: str, expected: str) -> None:
    """Record a problem when the page is not the state it should be, so the checks prove something."""
    found = heading(side.page)
    if found != expected:
        checks.findings.problems.append(f"{state} ({side.label}): heading is {found!r}, not {expected!r}")


def test_closed_and_not_yet_open_forms_pass_every_check(browser: Any, server: LiveServer) -> None:
    states = {
        "closed form": ("/forms/closed-library", "This form has closed"),
        "form not open yet": ("/forms/future-library", "This form is not open yet"),
    }
    with sweep(browser) as checks:
        for state, (path, expected) in states.items():
            checks.check_url(server.url + path, state, thorough=True)
            for side in (checks.scripted, checks.unscripted):
                expect_heading(checks, side, state, expected)
    assert not checks.findings.problems, checks.findings.report()


def test_a_draft_on_a_form_that_has_closed_is_told_kindly_and_passes_every_check(
    browser: Any, server: LiveServer, tmp_path: Path
) -> None:
    page_url = f"{server.url}/forms/library/thoughts_page"
    with sweep(browser) as checks:
        sides = (checks.scripted, checks.unscripted)
        for side in sides:
            side.page.goto(f"{server.url}/forms/library")
            press(side.page, side.page.locator(PRIMARY_BUTTON).first)
            side.page.locator('[name="thoughts"]').fill("Quiet and friendly.")
        write_form(tmp_path / "forms", "library", CLOSED)
        wait_until_closed(f"{server.url}/forms/library")
        for side in sides:
            # The page was open before the form closed: Continue now is told kindly, not sent.
            press(side.page, side.page.locator(PRIMARY_BUTTON).first)
            expect_heading(checks, side, "continue after closing", "This form has closed")
            checks.check(side, "draft: continue after the form closed", thorough=side is checks.scripted)
            if "Your saved answers cannot be sent now" not in side.page.locator("main").inner_text():
                checks.findings.problems.append(f"draft ({side.label}): not told the answers cannot be sent")
            for state, url in (("its page", page_url), ("start page", f"{server.url}/forms/library")):
                side.page.goto(url)
                expect_heading(checks, side, f"draft: {state}", "This form has closed")
                checks.check(side, f"draft: {state} after the form closed")
    assert not checks.findings.problems, checks.findings.report()


def test_friendly_error_pages_pass_every_check(browser: Any, server: LiveServer) -> None:
    with sweep(browser) as checks:
        for side in (checks.scripted, checks.unscripted):
            thorough = side is checks.scripted
            # 405: a POST-only address opened in the address bar.
            side.page.goto(f"{server.url}/forms/library/start")
            expect_heading(checks, side, "405", "Sorry, that did not work")
            checks.check(side, "405 method not allowed", thorough=thorough)

            # 403: the sign-in form sent after the browser lost its cookies (so the CSRF token fails).
            side.page.goto(f"{server.url}/staff/sign-in")
            side.page.context.clear_cookies()
            press(side.page, side.page.locator("main form button").first)
            expect_heading(checks, side, "403", "Sorry, we could not accept that")
            checks.check(side, "403 forbidden", thorough=thorough)

            # 413: an answer longer than the server accepts.
            side.page.goto(f"{server.url}/forms/library")
            press(side.page, side.page.locator(PRIMARY_BUTTON).first)
            side.page.locator('[name="thoughts"]').fill("Too long. " * (MAX_BODY_BYTES // 9))
            press(side.page, side.page.locator(PRIMARY_BUTTON).first)
            expect_heading(checks, side, "413", "Sorry, what you sent was too big")
            checks.check(side, "413 too large", thorough=thorough)

            # 400: no browser sends a broken form by itself, so the navigation is turned into a
            # multipart post without a boundary; the server's real answer is what the page shows.
            url = f"{server.url}/forms/library/start"

            def broken_post(route: Route) -> None:
                headers = {"content-type": "multipart/form-data"}
                route.fulfill(response=route.fetch(method="POST", headers=headers, post_data="broken"))

            side.page.route(url, broken_post)
            side.page.goto(url)
            side.page.unroute(url)
            expect_heading(checks, side, "400", "Sorry, there is a problem with your request")
            checks.check(side, "400 bad request", thorough=thorough)
    assert not checks.findings.problems, checks.findings.report()
