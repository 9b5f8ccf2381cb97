"""The accessibility checks the browser suite runs on a page, each returning the problems it found.

Every check takes a Playwright page already showing the state to check and returns one-line
problems (empty when the page passes), so a sweep can run every check on every page and report
them all at once. Measurements inside the page live in a11y_probe.js. The broken fixture
(test_a11y_checks_can_fail.py) proves that each check can fail.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from PIL import Image, ImageChops
from playwright.sync_api import BrowserContext, ConsoleMessage, FloatRect, Page, ViewportSize

from tests.browser.conftest import CSP_LISTENER, axe_violations, csp_violations, keep_screenshot

PROBE_SOURCE = (Path(__file__).parent / "a11y_probe.js").read_text(encoding="utf-8")

#: Narrowest width WCAG 1.4.10 asks content to reflow into.
REFLOW_VIEWPORT: ViewportSize = {"width": 320, "height": 640}
#: 200% zoom of a 1280 x 800 window. Zooming makes each CSS pixel two device pixels, so the page is
#: laid out in 640 CSS pixels; layout and media queries depend only on that CSS width, so a 640 px
#: viewport lays the page out exactly as a desktop browser zoomed to 200% does.
ZOOM_200_VIEWPORT: ViewportSize = {"width": 640, "height": 400}
DESKTOP_VIEWPORT: ViewportSize = {"width": 1280, "height": 800}

#: WCAG 1.4.12's spacing, as the usual text-spacing bookmarklet applies it.
TEXT_SPACING_CSS = (
    "* { line-height: 1.5 !important; letter-spacing: 0.12em !important;"
    " word-spacing: 0.16em !important; }"
    " p { margin-bottom: 2em !important; }"
)

#: Pixels around an element's box that its focus indicator may use (outline 3px, ring 4px), but
#: few enough that a neighbour's indicator is not counted as this element's.
FOCUS_MARGIN = 4
#: Pixels of page kept around a control's face when checking its edge is drawn.
EDGE_PAD = 3


def probe(page: Page, call: str, argument: Any = None) -> Any:
    """Call a11y_probe.js's `call` in the page, injecting the probe first if this document lacks it."""
    if not page.evaluate("typeof window.__coformA11y === 'object'"):
        page.evaluate(PROBE_SOURCE)
    return page.evaluate(f"argument => window.__coformA11y.{call}(argument)", argument)


@dataclass
class Findings:
    """Problems found across a sweep, each prefixed with the page state it was found on.

    A page state with problems has a full-page screenshot kept in test-artifacts/, named after it.
    """

    problems: list[str] = field(default_factory=list)
    screenshots: list[Path] = field(default_factory=list)

    def record(self, page: Page, state: str, found: list[str]) -> None:
        if not found:
            return
        self.problems.extend(f"{state}: {problem}" for problem in found)
        name = "a11y-" + re.sub(r"[^a-z0-9]+", "-", state.lower()).strip("-")
        self.screenshots.append(keep_screenshot(page, name))

    def report(self) -> str:
        kept = "".join(f"\n  screenshot: {path}" for path in self.screenshots)
        return f"{len(self.problems)} accessibility problems:\n" + "\n".join(self.problems) + kept


@dataclass
class ConsoleLog:
    """Console messages a page printed: the browser reports CSP blocks here too."""

    messages: list[str] = field(default_factory=list)

    def listen(self, page: Page) -> None:
        page.on("console", self._record)

    def _record(self, message: ConsoleMessage) -> None:
        self.messages.append(f"{message.type}: {message.text}")

    def take_csp_reports(self) -> list[str]:
        """The messages about the Content Security Policy since the last call."""
        found = [text for text in self.messages if "content security policy" in text.lower()]
        self.messages.clear()
        return found


def new_context(browser: Any, javascript: bool = True) -> BrowserContext:
    """A desktop-sized context whose pages record CSP violations from before their first script."""
    context: BrowserContext = browser.new_context(java_script_enabled=javascript, viewport=DESKTOP_VIEWPORT)
    context.add_init_script(CSP_LISTENER)
    return context


def axe_problems(page: Page) -> list[str]:
    """Every axe-core violation for WCAG 2.0-2.2 A and AA and best practice."""
    return [f"axe {violation}" for violation in axe_violations(page)]


def csp_problems(page: Page, console: ConsoleLog) -> list[str]:
    """CSP violations from the securitypolicyviolation listener, then those the console reported."""
    found = [f"CSP blocked {report}" for report in csp_violations(page)]
    page.evaluate("window.__cspViolations && (window.__cspViolations.length = 0)")
    return found + [f"CSP console {text}" for text in console.take_csp_reports()]


def _screenshot(page: Page, box: FloatRect, full_page: bool = False) -> Image.Image:
    # Playwright's own caret="hide" injects a style the page's CSP refuses (reported at the next
    # htmx swap), so the probe hides the caret through CSSOM instead.
    probe(page, "hideCaret")
    data = page.screenshot(clip=box, full_page=full_page, caret="initial")
    return Image.open(io.BytesIO(data)).convert("RGB")


def changed_pixels(before: Image.Image, after: Image.Image) -> int:
    """How many pixels differ between two images of the same size."""
    histogram = ImageChops.difference(before, after).convert("L").histogram()
    return sum(histogram[1:])


def focused_name(page: Page) -> str:
    name: str = probe(page, "describeFocused")
    return name


def _in_window(box: FloatRect, scrolled: list[float]) -> FloatRect:
    """A document-coordinate box as window coordinates at scroll position `scrolled`."""
    return {**box, "x": box["x"] - scrolled[0], "y": box["y"] - scrolled[1]}


def occlusion_problem(page: Page) -> str | None:
    """Whether something covers the focused element at its centre (WCAG 2.4.11, focus not obscured)."""
    covered: str | None = probe(page, "coveredBy")
    if covered is None:
        return None
    return f"focused {focused_name(page)} is hidden behind {covered}"


def focus_indicator_problem(page: Page) -> str | None:
    """Whether the focused element looks different from itself unfocused, proved by keys alone.

    Shift+Tab moves focus away and Tab brings it back, so the proof needs no focus() call and
    leaves the page as it was. At least the element's perimeter in pixels must change: a one
    pixel ring all round, the least anyone could call an indicator.
    """
    name = focused_name(page)
    box: FloatRect | None = probe(page, "focusBox", FOCUS_MARGIN)
    if box is None:
        return f"focused {name} has no size"
    scrolled = page.evaluate("[scrollX, scrollY]")
    focused = _screenshot(page, _in_window(box, scrolled))
    page.keyboard.press("Shift+Tab")
    # Shift+Tab may scroll to the previous element; scroll back so the same pixels are compared.
    page.evaluate("([x, y]) => window.scrollTo(x, y)", scrolled)
    unfocused = _screenshot(page, _in_window(box, scrolled))
    page.keyboard.press("Tab")
    if focus_key(page) is None:
        # Shift+Tab from the first element leaves the page for the browser's own controls; the
        # first Tab back lands on the document, the second on the element.
        page.keyboard.press("Tab")
    if focused_name(page) != name:
        return f"Shift+Tab then Tab did not bring focus back to {name} (it went to {focused_name(page)})"
    perimeter = int(2 * (box["width"] + box["height"] - 4 * FOCUS_MARGIN))
    changed = changed_pixels(focused, unfocused)
    if changed < perimeter:
        return f"focused {name} is not visibly marked ({changed} pixels change, at least {perimeter} needed)"
    return None


def focus_problems(page: Page) -> list[str]:
    """The focused element is visibly marked and not hidden behind anything."""
    return [problem for problem in (occlusion_problem(page), focus_indicator_problem(page)) if problem]


def focus_key(page: Page) -> str | None:
    key: str | None = probe(page, "focusKey")
    return key


def overflow_problems(page: Page, reflow: bool = True) -> list[str]:
    """Sideways scrolling (when `reflow`), and any box that clips or spills its content."""
    found: list[str] = probe(page, "overflow", reflow)
    return found


def text_spacing_problems(page: Page) -> list[str]:
    """With WCAG 1.4.12 spacing applied, no box clips or spills its text.

    The spacing is removed afterwards: an htmx swap keeps the document, so it would otherwise
    leak into the next page's checks.
    """
    probe(page, "applySpacing", TEXT_SPACING_CSS)
    try:
        return [f"with text spacing: {problem}" for problem in overflow_problems(page, reflow=False)]
    finally:
        probe(page, "removeSpacing")


def _edge_drawn(image: Image.Image, pad: int, all_sides: bool = True) -> bool:
    """Whether a control's edge differs from the page just outside it, on each of its four sides
    (or, when not `all_sides`, on at least one).

    `image` is the control's face with `pad` pixels of page around it. A control drawn only with a
    background colour, which forced colours removes, leaves its edges the colour of the page.
    """
    pixels = image.load()
    if pixels is None:
        return False
    width, height = image.size
    left, top, right, bottom = pad, pad, width - pad - 1, height - pad - 1
    rows, columns = range(top + 2, bottom - 1), range(left + 2, right - 1)
    sides = [
        ([(left + d, y) for y in rows for d in (0, 1)], [(0, y) for y in rows]),
        ([(right - d, y) for y in rows for d in (0, 1)], [(width - 1, y) for y in rows]),
        ([(x, top + d) for x in columns for d in (0, 1)], [(x, 0) for x in columns]),
        ([(x, bottom - d) for x in columns for d in (0, 1)], [(x, height - 1) for x in columns]),
    ]
    drawn = [
        any(pixels[point] not in {pixels[edge] for edge in outside} for point in inside)
        for inside, outside in sides
        if inside and outside
    ]
    return all(drawn) if all_sides else any(drawn)


@contextmanager
def forced_colours(page: Page) -> Iterator[None]:
    """Emulate forced colours (Windows high contrast) for a while."""
    page.emulate_media(forced_colors="active")
    try:
        yield
    finally:
        page.emulate_media(forced_colors="none")


def forced_colours_problems(page: Page) -> list[str]:
    """With forced colours, every visible control's edge is still drawn against the page."""
    problems = []
    with forced_colours(page):
        faces: list[dict[str, Any]] = probe(page, "controlFaces")
        for face in faces:
            box = face["box"]
            if box is None:
                problems.append(f"in forced colours {face['name']} has no size")
                continue
            clip: FloatRect = {
                "x": max(0, box["x"] - EDGE_PAD),
                "y": max(0, box["y"] - EDGE_PAD),
                "width": box["width"] + 2 * EDGE_PAD,
                "height": box["height"] + 2 * EDGE_PAD,
            }
            if not _edge_drawn(_screenshot(page, clip, full_page=True), EDGE_PAD, face["allSides"]):
                problems.append(f"in forced colours the edge of {face['name']} is not drawn")
    return problems


@contextmanager
def viewport(page: Page, size: ViewportSize) -> Iterator[None]:
    """Lay the page out at `size` for a while, then put the desktop size back."""
    page.set_viewport_size(size)
    try:
        yield
    finally:
        page.set_viewport_size(DESKTOP_VIEWPORT)


def reflow_problems(page: Page) -> list[str]:
    """At 320 CSS px and at 200% zoom nothing scrolls sideways, sticks out or is clipped."""
    problems = []
    for label, size in (("at 320 px", REFLOW_VIEWPORT), ("at 200% zoom", ZOOM_200_VIEWPORT)):
        with viewport(page, size):
            problems += [f"{label}: {problem}" for problem in overflow_problems(page)]
    return problems
