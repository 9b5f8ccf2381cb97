"""Each accessibility check fails on the deliberately broken fixture page, and only for its defect.

A check that cannot fail proves nothing: tests/browser/fixtures/broken.html holds one defect per
check, served with coform's own Content-Security-Policy, and each test here runs the very function
the sweep runs and expects it to name that defect.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page

from engine.web.security import CONTENT_SECURITY_POLICY
from tests.browser.a11y import (
    REFLOW_VIEWPORT,
    ConsoleLog,
    Findings,
    axe_problems,
    csp_problems,
    focus_indicator_problem,
    forced_colours_problems,
    new_context,
    occlusion_problem,
    overflow_problems,
    text_spacing_problems,
    viewport,
)

pytestmark = pytest.mark.browser

FIXTURES = Path(__file__).parent / "fixtures"


class _FixtureHandler(SimpleHTTPRequestHandler):
    """Serves the fixture files with the app's CSP, so CSP checks meet the real policy."""

    def end_headers(self) -> None:
        self.send_header("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        super().end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        # Quiet: pytest output should show failures, not every fixture request.
        return


@pytest.fixture(scope="module")
def fixture_url() -> Iterator[str]:
    handler = functools.partial(_FixtureHandler, directory=str(FIXTURES))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/broken.html"
    server.shutdown()
    server.server_close()
    thread.join()


@pytest.fixture
def broken(browser: Any, fixture_url: str) -> Iterator[tuple[Page, ConsoleLog]]:
    context = new_context(browser)
    page = context.new_page()
    console = ConsoleLog()
    console.listen(page)
    page.goto(fixture_url)
    yield page, console
    context.close()


def tab_to(page: Page, element_id: str) -> None:
    """Press Tab until the element with `element_id` has focus."""
    for _ in range(20):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.id") == element_id:
            return
    raise AssertionError(f"Tab never reached #{element_id}")


def test_axe_reports_the_input_without_a_label(broken: tuple[Page, ConsoleLog]) -> None:
    page, _ = broken
    problems = axe_problems(page)
    assert any("label" in problem and "#unlabelled" in problem for problem in problems), problems


def test_the_csp_check_reports_the_blocked_inline_style(broken: tuple[Page, ConsoleLog]) -> None:
    page, console = broken
    problems = csp_problems(page, console)
    assert any("style-src" in problem for problem in problems), problems


def test_a_link_without_a_focus_style_is_reported_as_not_visibly_marked(
    broken: tuple[Page, ConsoleLog],
) -> None:
    page, _ = broken
    tab_to(page, "invisible-focus")
    problem = focus_indicator_problem(page)
    assert problem is not None
    assert "not visibly marked" in problem
    assert "#invisible-focus" in problem


def test_a_link_with_a_focus_style_passes_the_focus_check(broken: tuple[Page, ConsoleLog]) -> None:
    page, _ = broken
    tab_to(page, "visible-focus")
    assert focus_indicator_problem(page) is None
    assert occlusion_problem(page) is None


def test_a_focused_link_under_a_fixed_banner_is_reported_as_hidden(broken: tuple[Page, ConsoleLog]) -> None:
    page, _ = broken
    tab_to(page, "covered")
    problem = occlusion_problem(page)
    assert problem is not None
    assert "#covered" in problem
    assert "hidden behind div.banner" in problem


def test_a_fixed_width_box_makes_the_page_scroll_sideways_at_320_pixels(
    broken: tuple[Page, ConsoleLog],
) -> None:
    page, _ = broken
    assert not any("#wide" in problem for problem in overflow_problems(page))
    with viewport(page, REFLOW_VIEWPORT):
        problems = overflow_problems(page)
    assert any(problem.startswith("page scrolls sideways") for problem in problems), problems
    assert any("#wide" in problem and "sticks out" in problem for problem in problems), problems


def test_a_fixed_height_box_clips_its_text_once_text_spacing_is_applied(
    broken: tuple[Page, ConsoleLog],
) -> None:
    page, _ = broken
    assert not any("#tight" in problem for problem in overflow_problems(page, reflow=False))
    problems = text_spacing_problems(page)
    assert any("#tight" in problem and "clips its content" in problem for problem in problems), problems


def test_a_button_drawn_only_by_its_background_disappears_in_forced_colours(
    broken: tuple[Page, ConsoleLog],
) -> None:
    page, _ = broken
    problems = forced_colours_problems(page)
    assert any("#flat-button" in problem for problem in problems), problems
    assert not any("#bordered-button" in problem for problem in problems), problems


def test_a_page_with_problems_has_its_screenshot_kept(broken: tuple[Page, ConsoleLog]) -> None:
    page, console = broken
    findings = Findings()
    findings.record(page, "broken fixture axe", axe_problems(page))
    findings.record(page, "broken fixture csp", csp_problems(page, console))
    assert findings.screenshots, findings.problems
    assert all(path.is_file() and path.stat().st_size > 0 for path in findings.screenshots)
