"""Running every accessibility check on a page state, with JavaScript on and off.

A `Sweep` holds two pages of one browser: one with JavaScript, one without. `check` runs the
checks on a state both ways; `thorough` adds the focus, reflow, zoom, text-spacing and
forced-colours checks (on the scripted page, whose layout is what most people see).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from playwright.sync_api import Page

from engine.web.security import CONTENT_SECURITY_POLICY
from tests.browser.a11y import (
    ConsoleLog,
    Findings,
    axe_problems,
    csp_problems,
    focus_indicator_problem,
    focus_key,
    focus_problems,
    forced_colours,
    forced_colours_problems,
    new_context,
    reflow_problems,
    text_spacing_problems,
)

#: Most focusable elements the focus check visits on one page before giving up on Tab coming round.
TAB_LIMIT = 250


@dataclass
class Side:
    """One page with its console log: JavaScript on, or off with a mirror to measure it in.

    In a context with JavaScript off the browser runs no script at all, the DevTools protocol's
    included, so axe cannot run there. The unscripted side's `mirror` is a page in a context that
    refuses every .js file: it is shown the unscripted page's document, served with the app's CSP,
    at the same address, and the checks run on that copy.
    """

    label: str
    page: Page
    console: ConsoleLog
    mirror: Page | None = None

    def measured(self) -> Page:
        """The page to run checks on: the page itself, or a copy of what it shows now."""
        if self.mirror is None:
            return self.page
        url, document = self.page.url, self.page.content()
        headers = {
            "content-type": "text/html; charset=utf-8",
            "content-security-policy": CONTENT_SECURITY_POLICY,
        }
        self.mirror.route(url, lambda route: route.fulfill(status=200, body=document, headers=headers))
        self.mirror.goto(url)
        self.mirror.unroute(url)
        return self.mirror


def open_side(browser: Any, javascript: bool) -> Side:
    page = new_context(browser, javascript=javascript).new_page()
    console = ConsoleLog()
    console.listen(page)
    if javascript:
        return Side("JavaScript on", page, console)
    mirror_context = new_context(browser)
    mirror_context.route("**/*.js", lambda route: route.abort())
    return Side("JavaScript off", page, console, mirror_context.new_page())


def basic_problems(side: Side) -> list[str]:
    """axe and CSP: what every state is checked for, both ways."""
    found: list[str] = axe_problems(side.measured()) + csp_problems(side.page, side.console)
    return found


def tab_focus_problems(page: Page, forced: bool = False) -> list[str]:
    """Tab from the top through every focusable element, checking each is visibly marked and
    (in normal colours) not hidden; under forced colours only the indicator is checked."""
    page.evaluate("window.scrollTo(0, 0); document.activeElement && document.activeElement.blur()")
    problems: list[str] = []
    seen: set[str] = set()
    for _ in range(TAB_LIMIT):
        page.keyboard.press("Tab")
        key = focus_key(page)
        if key is None or key in seen:
            break
        seen.add(key)
        if forced:
            problem = focus_indicator_problem(page)
            problems += [f"in forced colours {problem}"] if problem else []
        else:
            problems += focus_problems(page)
    # Tab has come round to the skip link, which pushes the page down while focused; a mouse click
    # on the page would then land on moved content. Leave nothing focused.
    page.evaluate("document.activeElement && document.activeElement.blur()")
    return problems


def thorough_problems(page: Page, forced_focus: bool = True) -> list[str]:
    """Focus on every element, reflow at 320 px and 200% zoom, text spacing, forced colours (and,
    when `forced_focus`, the focus indicator of every element again under forced colours)."""
    problems = tab_focus_problems(page)
    problems += reflow_problems(page)
    problems += text_spacing_problems(page)
    problems += forced_colours_problems(page)
    if forced_focus:
        with forced_colours(page):
            problems += tab_focus_problems(page, forced=True)
    return problems


@dataclass
class Sweep:
    """Checks page states on a scripted and an unscripted page and gathers what they find."""

    scripted: Side
    unscripted: Side
    findings: Findings

    def check(self, side: Side, state: str, thorough: bool = False, forced_focus: bool = True) -> None:
        """Check the state `side` is showing now."""
        found = basic_problems(side)
        if thorough:
            found += thorough_problems(side.page, forced_focus=forced_focus)
        self.findings.record(side.page, f"{state} ({side.label})", found)

    def check_url(self, url: str, state: str, thorough: bool = False) -> None:
        """Open `url` both ways and check it; thorough checks on the scripted page only."""
        for side in (self.scripted, self.unscripted):
            side.page.goto(url)
            self.check(side, state, thorough=thorough and side is self.scripted)


@contextmanager
def sweep(browser: Any) -> Iterator[Sweep]:
    scripted, unscripted = open_side(browser, True), open_side(browser, False)
    try:
        yield Sweep(scripted, unscripted, Findings())
    finally:
        for page in (scripted.page, unscripted.page, unscripted.mirror):
            if page is not None:
                page.context.close()
