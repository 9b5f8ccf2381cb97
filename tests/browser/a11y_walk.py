"""Walking a form in the browser, as a respondent would, checking every state on the way.

The walk opens the start page, presses Start now, and on each page: checks it empty, presses
Continue with nothing filled in and checks the errors, fills in valid answers (the journey
tests' sample answers) and, when a follow-up question was revealed, checks that too, then
continues; an add-another page gets one item then "No"; at the end it checks "Check your answers"
and, after sending, the confirmation. Along the way it saves once for later and resumes.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import urlparse

from playwright.sync_api import FilePayload, Locator, Page
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from engine.definition import Form, Question
from tests.journeys.story import fields_for, sample_answer, sample_upload

#: Pages a walk may pass before it is taken to be going round in circles.
PAGE_LIMIT = 80
ADD_ANOTHER = "add_another"
PRIMARY_BUTTON = "main form button.button:not(.button--secondary)"

Record = Callable[[str], None]


def questions_of(form: Form) -> dict[str, Question]:
    """Every question of the form by id, follow-ups included."""
    found: dict[str, Question] = {}
    for page in form.pages:
        for question in page.questions:
            found[question.id] = question
            for option in question.options:
                if option.follow_up is not None:
                    found[option.follow_up.id] = option.follow_up
    return found


def fill(page: Page, fields: Mapping[str, tuple[str, ...]], uploads: Mapping[str, Question]) -> None:
    """Fill in form fields by name, the way a person would with a mouse."""
    for name, values in fields.items():
        target = page.locator(f'main form [name="{name}"]')
        kind = target.first.get_attribute("type") or target.first.evaluate("el => el.tagName.toLowerCase()")
        if kind in ("radio", "checkbox"):
            for value in values:
                page.locator(f'main form [name="{name}"][value="{value}"]').check()
        elif kind == "select":
            target.select_option(list(values))
        elif kind == "file":
            file_name, content, mime = sample_upload(uploads[name])
            payload: FilePayload = {"name": file_name, "mimeType": mime, "buffer": content}
            target.set_input_files([payload])
        else:
            target.fill(values[0] if values else "")


def shown_questions(page: Page, known: Mapping[str, Question]) -> list[Question]:
    ids: list[str] = page.eval_on_selector_all(
        "main form [data-question]:not([hidden])", "els => els.map(el => el.dataset.question)"
    )
    return [known[question_id] for question_id in ids if question_id in known]


def press(page: Page, button: Locator) -> None:
    """Press a submit button with the mouse and wait for what it brings."""
    submit(page, button.click)


def submit(page: Page, act: Callable[[], None]) -> None:
    """Do `act` (a click, or Enter on a button) and wait for what it sends: an htmx swap, or a new
    page when there is no script."""
    page.evaluate(
        """() => {
          window.__coformSwapped = false;
          const swapped = () => { window.__coformSwapped = true; };
          document.addEventListener('htmx:after:swap', swapped, {once: true});
        }"""
    )
    with page.expect_response(lambda response: response.request.method == "POST"):
        act()
    # A full page load forgets the flag (undefined); a swap sets it.
    page.wait_for_function("() => window.__coformSwapped !== false")
    page.wait_for_load_state()


def page_fields(page: Page, known: Mapping[str, Question], today: dt.date) -> dict[str, tuple[str, ...]]:
    """The fields to fill in on this page, by name, for the questions it shows."""
    questions = shown_questions(page, known)
    answers = {q.id: sample_answer(q, today) for q in questions if q.type in _ANSWERED}
    # The follow-ups of the options those answers chose are asked too.
    for question in questions:
        chosen = _chosen(answers.get(question.id))
        for option in question.options:
            if option.follow_up is not None and option.value in chosen:
                answers[option.follow_up.id] = sample_answer(option.follow_up, today)
    return fields_for(questions, {k: v for k, v in answers.items() if v is not None})


def label_of(page: Page) -> str:
    """The page's path after the form's slug ("date_of_birth_page", "costs/items/new")."""
    parts = urlparse(page.url).path.strip("/").split("/")
    return "/".join(parts[2:]) or "start"


def error_summary_focused(page: Page) -> bool:
    """Whether focus reaches the error summary within two seconds (htmx moves it once it settles)."""
    try:
        page.wait_for_function(
            "() => !!document.activeElement && !!document.activeElement.closest('.error-summary')",
            timeout=2000,
        )
    except PlaywrightTimeoutError:
        return False
    return True


def walk_form(
    page: Page,
    base: str,
    form: Form,
    record: Record,
    problem: Callable[[str], None],
    today: dt.date,
    save_and_resume: bool = True,
) -> None:
    """Walk `form` from its start page to its confirmation, calling `record(state)` on each state.

    With JavaScript on, focus must be on the error summary after an error.
    """
    known = questions_of(form)
    uploads = {q.id: q for q in known.values() if q.type == "file"}
    scripted: bool = page.evaluate("document.documentElement.classList.contains('js')")
    page.goto(f"{base}/forms/{form.slug}")
    record("start page")
    press(page, page.locator(PRIMARY_BUTTON).first)
    saved = not save_and_resume
    for _ in range(PAGE_LIMIT):
        label = label_of(page)
        if label == "check-answers":
            record("check answers")
            press(page, page.locator(PRIMARY_BUTTON).first)
            record("confirmation")
            return
        if page.locator(PRIMARY_BUTTON).count() == 0:
            record(f"{label} (a page without Continue)")
            problem(f"the walk stopped at {label}, which has no Continue button")
            return
        record(f"{label} empty")
        if not saved:
            saved = True
            _save_and_resume(page, label, record)
        before = page.url
        press(page, page.locator(PRIMARY_BUTTON).first)
        if page.locator(".error-summary").count() == 0 and page.url != before:
            continue  # a page with nothing required: Continue moved on
        if page.locator(".error-summary").count():
            # Before the checks: their focus screenshots Tab through the page, moving focus on.
            if scripted and not error_summary_focused(page):
                problem(f"after an error on {label} focus is not on the error summary")
            record(f"{label} with errors")
        if page.locator(".summary-list__row").count() and page.locator(f'[name="{ADD_ANOTHER}"]').count():
            record(f"{label} with items")
            fill(page, {ADD_ANOTHER: ("no",)}, uploads)
        elif page.locator(f'[name="{ADD_ANOTHER}"]').count():
            fill(page, {ADD_ANOTHER: ("yes",)}, uploads)
        else:
            fill(page, page_fields(page, known, today), uploads)
            if (
                scripted
                and page.locator(
                    ".radios__conditional:not(.radios__conditional--hidden),"
                    " .checkboxes__conditional:not(.checkboxes__conditional--hidden)"
                ).count()
            ):
                record(f"{label} with a follow-up revealed")
        press(page, page.locator(PRIMARY_BUTTON).first)
        if page.locator(".error-summary").count() and label_of(page) == label:
            summary = page.locator(".error-summary").inner_text()
            problem(f"the walk's answers were refused on {label}: {summary!r}")
            return
    problem(f"the walk passed {PAGE_LIMIT} pages without reaching check answers")


def _save_and_resume(page: Page, label: str, record: Record) -> None:
    """Save for later on the first question page, check that page, then follow the resume link."""
    press(page, page.locator("main form button.button--secondary").first)
    record("save and come back later")
    link = page.locator("#resume-link").input_value()
    page.goto(link)
    record(f"resumed at {label_of(page)}")


#: Types a walk answers; content blocks (heading, paragraph, warning, image) take no answer.
_ANSWERED = frozenset(
    {
        "text",
        "long_text",
        "email",
        "phone",
        "postcode",
        "number",
        "decimal",
        "money",
        "date",
        "yes_no",
        "consent",
        "radios",
        "dropdown",
        "scale",
        "checkboxes",
        "ranking",
        "grid",
        "address",
        "name",
        "bank_account",
        "file",
    }
)


def _chosen(answer: Any) -> frozenset[str]:
    """The option values an answer chose: "a" -> {"a"}, ("a", "b") -> {"a", "b"}."""
    if isinstance(answer, str):
        return frozenset({answer})
    if isinstance(answer, tuple):
        return frozenset(value for value in answer if isinstance(value, str))
    return frozenset()
