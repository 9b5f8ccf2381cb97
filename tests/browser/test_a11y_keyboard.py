"""Every form can be completed with the keyboard alone.

The test presses only Tab, Shift+Tab, arrow keys, Space and Enter, and types into whichever field
has focus: no click, fill or focus call. At every stop the focused element must be visibly marked
(screenshots focused and unfocused differ) and not hidden behind anything; after an error, focus
must be on the error summary. "Add another" lists get one item each. A file is chosen as a
keyboard user does: Space on the file input opens the system's file dialog, where the test picks
the file (the dialog is the operating system's, not the page's).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

import pytest
from playwright.sync_api import FilePayload, Page

from engine.definition import Form, Question
from engine.loader import load_forms
from engine.settings import Settings
from tests.browser.a11y import Findings, focus_problems, new_context
from tests.browser.a11y_walk import (
    ADD_ANOTHER,
    error_summary_focused,
    label_of,
    page_fields,
    questions_of,
    submit,
)
from tests.browser.conftest import LiveServer
from tests.journeys.story import sample_upload

pytestmark = pytest.mark.browser

FORMS = dict(load_forms(Settings().forms_dir)[0])
#: Tab presses on one page before the test decides the Continue button cannot be reached.
TAB_LIMIT = 300
#: Arrow presses to reach a radio or select option before giving up.
ARROW_LIMIT = 40

_FOCUSED = """() => {
  const el = document.activeElement;
  if (!el || el === document.body) return null;
  return {tag: el.tagName.toLowerCase(), type: el.type || '', name: el.name || '', value: el.value || '',
          checked: !!el.checked, primary: el.matches('main form button.button:not(.button--secondary)'),
          summary: !!el.closest('.error-summary')};
}"""


def focused(page: Page) -> dict[str, Any] | None:
    found: dict[str, Any] | None = page.evaluate(_FOCUSED)
    return found


def scripted(page: Page) -> bool:
    running: bool = page.evaluate("document.documentElement.classList.contains('js')")
    return running


def press_enter_and_wait(page: Page) -> None:
    submit(page, lambda: page.keyboard.press("Enter"))


def choose(page: Page, wanted: str, key: str = "ArrowDown") -> bool:
    """Move through a radio group or a select with the arrow key until `wanted` is chosen."""
    for _ in range(ARROW_LIMIT):
        now = focused(page)
        if now is not None and now["value"] == wanted and (now["tag"] == "select" or now["checked"]):
            return True
        page.keyboard.press(key)
    return False


def answer_focused(
    page: Page, fields: Mapping[str, tuple[str, ...]], done: set[str], uploads: Mapping[str, Question]
) -> None:
    """Answer the focused field by keys, if the plan has an answer for it not yet given."""
    now = focused(page)
    if now is None or now["name"] not in fields:
        return
    name, values = now["name"], fields[now["name"]]
    if now["type"] == "file" and name not in done and name in uploads:
        file_name, content, mime = sample_upload(uploads[name])
        payload: FilePayload = {"name": file_name, "mimeType": mime, "buffer": content}
        with page.expect_file_chooser() as dialog:
            page.keyboard.press("Space")
        dialog.value.set_files([payload])
        done.add(name)
    elif now["type"] == "radio" and name not in done:
        page.keyboard.press("Space")
        choose(page, values[0])
        done.add(name)
    elif now["type"] == "checkbox":
        if now["value"] in values and not now["checked"]:
            page.keyboard.press("Space")
    elif now["tag"] == "select" and name not in done:
        choose(page, values[0])
        done.add(name)
    elif now["tag"] in ("input", "textarea") and name not in done:
        page.keyboard.type(values[0] if values else "")
        done.add(name)


def complete_page_by_keyboard(
    page: Page,
    fields: Mapping[str, tuple[str, ...]],
    findings: Findings,
    label: str,
    errors_first: bool,
    uploads: Mapping[str, Question] | None = None,
) -> None:
    """Tab through the page answering each field, then press Enter on Continue.

    With `errors_first`, Continue is first pressed with nothing filled in, to see the errors (a
    page with nothing required simply moves on).
    """
    done: set[str] = set()
    for _ in range(TAB_LIMIT):
        page.keyboard.press("Tab")
        now = focused(page)
        if now is None:
            continue
        findings.record(page, label, focus_problems(page))
        if now["primary"]:
            press_enter_and_wait(page)
            if not errors_first or page.locator(".error-summary").count() == 0:
                return
            errors_first = False
            # Without JavaScript nothing can move focus; the summary is simply first in <main>.
            if scripted(page) and not error_summary_focused(page):
                findings.record(page, label, ["after an error focus is not on the error summary"])
            continue
        if not errors_first:
            answer_focused(page, fields, done, uploads or {})
    findings.record(page, label, [f"Continue not reached in {TAB_LIMIT} presses of Tab"])


def complete_form_by_keyboard(page: Page, base: str, form: Form, findings: Findings, walk: str) -> None:
    """Start, answer every page and send the form by keys alone; a walk that does not reach the
    confirmation is a problem."""
    known: dict[str, Question] = questions_of(form)
    uploads = {q.id: q for q in known.values() if q.type == "file"}
    today = dt.date.today()
    page.goto(f"{base}/forms/{form.slug}")
    complete_page_by_keyboard(page, {}, findings, f"{walk} start page", errors_first=False)
    for _ in range(80):
        label = label_of(page)
        if label == "confirmation":
            return
        if label == "check-answers":
            complete_page_by_keyboard(page, {}, findings, f"{walk} {label}", errors_first=False)
            continue
        if page.locator(f'[name="{ADD_ANOTHER}"]').count():
            # One item in each list: add one when it is empty, then say there are no more.
            has_items = page.locator(".summary-list__row").count() > 0
            fields: dict[str, tuple[str, ...]] = {ADD_ANOTHER: ("no",) if has_items else ("yes",)}
        else:
            fields = page_fields(page, known, today)
        complete_page_by_keyboard(
            page, fields, findings, f"{walk} {label}", errors_first=True, uploads=uploads
        )
        if label_of(page) == label and page.locator(".error-summary").count():
            summary = page.locator(".error-summary").inner_text()
            findings.record(page, f"{walk} {label}", [f"answers typed were refused: {summary!r}"])
            return
    findings.record(page, walk, ["the confirmation was not reached"])


def test_the_board_application_and_the_example_form_can_be_completed_with_the_keyboard_alone(
    browser: Any, live_server: LiveServer, database_url: str
) -> None:
    # Both forms both ways on SQLite; PostgreSQL (the same pages from another database) the example
    # form with JavaScript on.
    walks = [
        (slug, javascript)
        for slug in ("coproduction-board-application", "every-question-type")
        for javascript in (True, False)
    ]
    if not database_url.startswith("sqlite"):
        walks = [("every-question-type", True)]
    findings = Findings()
    for slug, javascript in walks:
        context = new_context(browser, javascript=javascript)
        try:
            page = context.new_page()
            way = "JavaScript on" if javascript else "JavaScript off"
            complete_form_by_keyboard(page, live_server.url, FORMS[slug], findings, f"{slug} ({way})")
        finally:
            context.close()
    assert not findings.problems, findings.report()


def test_the_other_council_forms_can_be_completed_with_the_keyboard_alone(
    browser: Any, live_server: LiveServer, database_url: str
) -> None:
    # With JavaScript on (the walk with it off is proven on the two forms above). PostgreSQL serves
    # the same pages from another database, so it walks the shortest of them only.
    slugs = [
        "moving-into-adulthood",
        "home-support-charter-feedback",
        "coproduction-champions",
        "board-expenses-claim",
    ]
    if not database_url.startswith("sqlite"):
        slugs = ["coproduction-champions"]
    findings = Findings()
    for slug in slugs:
        context = new_context(browser, javascript=True)
        try:
            page = context.new_page()
            complete_form_by_keyboard(page, live_server.url, FORMS[slug], findings, f"{slug} (JavaScript on)")
        finally:
            context.close()
    assert not findings.problems, findings.report()
