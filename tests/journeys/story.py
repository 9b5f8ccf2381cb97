"""Small story helpers for journey tests: a respondent fills in a form with JavaScript off.

Each step reads the page the previous one landed on, as a person would: it finds the page's form,
its CSRF token and its action, posts the answers, and follows the redirect::

    page = when_i_start(client, "coproduction-board-application")
    page = and_i_answer(client, page, {"lives_in_oxfordshire": "yes"})
    then_i_see(page, "Which of these describes you?")
"""

from __future__ import annotations

import datetime as dt
import html
import io
import re
from collections.abc import Callable, Mapping, Sequence
from decimal import Decimal
from types import MappingProxyType
from typing import Any

from httpx2 import Response
from PIL import Image
from starlette.testclient import TestClient

from engine import storage
from engine.definition import Question
from engine.questions import compiled_pattern
from engine.web.drafts import raw_fields

Answers = Mapping[str, str | Sequence[str]]
#: A file as a browser sends it: (file name, content, content type).
Upload = tuple[str, bytes, str]

_FORM = re.compile(r'<form method="post" action="([^"]*)"[^>]*>(.*?)</form>', re.S)
_TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')
_TITLE = re.compile(r"<title>(.*?)</title>", re.S)
_H1 = re.compile(r"<h1[^>]*>(.*?)</h1>", re.S)


def forms_on(page: Response) -> list[tuple[str, str]]:
    """The POST forms on a page: (action, inner html)."""
    return [(html.unescape(action), body) for action, body in _FORM.findall(page.text)]


def token_on(page: Response) -> str:
    match = _TOKEN.search(page.text)
    assert match is not None, f"no CSRF token on {page.url}"
    return match.group(1)


def when_i_start(client: TestClient, slug: str, *, lang: str | None = None) -> Response:
    """Open the start page and press Start now; returns the first page of the form."""
    start = client.get(f"/forms/{slug}" + (f"?lang={lang}" if lang else ""))
    assert start.status_code == 200, start.text
    return press(client, start, {}, form_index=0)


def press(
    client: TestClient,
    page: Response,
    answers: Answers,
    *,
    form_index: int = 0,
    button: str | None = None,
    files: Mapping[str, Upload] | Sequence[tuple[str, Upload]] | None = None,
    token: str | None = None,
) -> Response:
    """Post the page's form (the `form_index`th) with `answers`, as its button would; `files` as
    (field, upload) pairs sends several files in one field."""
    action, body = forms_on(page)[form_index]
    data: dict[str, Any] = dict(_hidden_fields(body))
    data.update({key: list(value) if not isinstance(value, str) else value for key, value in answers.items()})
    data["csrf_token"] = token_on(page) if token is None else token
    if button is not None:
        data["action"] = button
    return client.post(action or str(page.url), data=data, files=files)


def _hidden_fields(body: str) -> dict[str, str]:
    return {
        name: html.unescape(value)
        for name, value in re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', body)
        if name != "csrf_token"
    }


def and_i_answer(client: TestClient, page: Response, answers: Answers, **options: Any) -> Response:
    """Answer the questions on `page` and press Continue."""
    return press(client, page, answers, **options)


def and_i_save_for_later(client: TestClient, page: Response, answers: Answers) -> Response:
    return press(client, page, answers, button="save")


def and_i_send_my_answers(client: TestClient, page: Response) -> Response:
    """On check answers, press the button that sends the answers (the page may hold other forms)."""
    actions = [action for action, _ in forms_on(page)]
    sending = next((i for i, action in enumerate(actions) if action.endswith("/submit")), None)
    assert sending is not None, f"no form sends the answers on {page.url.path}: {actions}"
    return press(client, page, {}, form_index=sending)


def then_i_see(page: Response, *texts: str) -> None:
    shown = html.unescape(page.text)
    for text in texts:
        assert text in shown, f"{text!r} is not on {page.url} ({title_of(page)})"


def then_i_do_not_see(page: Response, *texts: str) -> None:
    shown = html.unescape(page.text)
    for text in texts:
        assert text not in shown, f"{text!r} is on {page.url}"


def then_i_am_on(page: Response, path: str, *, status: int = 200) -> None:
    assert page.url.path == path, f"on {page.url.path} ({title_of(page)}), expected {path}"
    assert page.status_code == status, f"{page.url.path} answered {page.status_code}, expected {status}"


def title_of(page: Response) -> str:
    match = _TITLE.search(page.text)
    return html.unescape(match.group(1)).strip() if match else ""


def heading_of(page: Response) -> str:
    match = _H1.search(page.text)
    return re.sub(r"<[^>]+>|\s+", " ", html.unescape(match.group(1))).strip() if match else ""


def error_summary_of(page: Response) -> list[str]:
    """The messages listed in the error summary, in order."""
    summary = page.text.split('class="error-summary__list"', 1)
    if len(summary) < 2:
        return []
    items = summary[1].split("</ul>", 1)[0]
    return [html.unescape(text) for text in re.findall(r'<a href="#[^"]+">([^<]*)</a>', items)]


def reference_on(page: Response) -> str:
    match = re.search(r"<strong>([A-Z]{2,5}-[0-9A-Z]{4}-[0-9A-Z]{4})</strong>", page.text)
    assert match is not None, f"no reference on {page.url}"
    return match.group(1)


def stored_submission(client: TestClient, reference: str) -> storage.Submission:
    """The submission as the database holds it, read on the app's own event loop."""
    portal = client.portal
    assert portal is not None, "use the client inside `with TestClient(app)`"
    submission = portal.call(storage.get_submission, reference)
    assert submission is not None, f"{reference} is not stored"
    return submission


# --- sample answers: a valid answer to any question, as a person would type it ------------------------

#: Plain text a person might type, tried in turn until one fits the question's pattern.
_TEXT_CANDIDATES = ("Sample answer", "Sam", "Sam Taylor", "OX1 1AA", "A1", "12345")


def _text(question: Question, today: dt.date) -> str:
    for candidate in _TEXT_CANDIDATES:
        text = candidate.ljust(question.min_length or 0, "x")[: question.max_length]
        if question.pattern is None or compiled_pattern(question.pattern).fullmatch(text):
            return text
    raise ValueError(f"no sample text fits the pattern of question '{question.id}': {question.pattern}")


def _within(question: Question, wanted: Decimal) -> Decimal:
    """`wanted`, moved inside the question's min and max."""
    if question.min is not None and wanted < question.min:
        return question.min
    if question.max is not None and wanted > question.max:
        return question.max
    return wanted


def date_bounds(question: Question, today: dt.date) -> tuple[dt.date, dt.date]:
    """The earliest and latest dates a date question accepts (must_be past is before today)."""
    earliest = today if question.earliest == "today" else question.earliest or dt.date.min
    latest = today if question.latest == "today" else question.latest or dt.date.max
    if question.date_rule == "past":
        latest = min(latest, today - dt.timedelta(days=1))
    if question.date_rule == "future":
        earliest = max(earliest, today + dt.timedelta(days=1))
    return earliest, latest


def _date(question: Question, today: dt.date) -> dt.date:
    # About 30 years ago: an adult's birthday, and a date most bounds allow.
    earliest, latest = date_bounds(question, today)
    wanted = today - dt.timedelta(days=30 * 365 + 7)
    return min(max(wanted, earliest), latest)


def _first_options(question: Question) -> tuple[str, ...]:
    plain = [option.value for option in question.options if option.show_if is None and not option.exclusive]
    return tuple(plain[: max(1, question.min_selected or 1)])


_SAMPLES: Mapping[str, Callable[[Question, dt.date], Any]] = MappingProxyType(
    {
        "text": _text,
        "long_text": _text,
        "name": lambda question, today: "Sam Taylor",
        "email": lambda question, today: "sam@example.org",
        "phone": lambda question, today: "01865 000000",
        "postcode": lambda question, today: "OX1 1AA",
        "number": lambda question, today: int(_within(question, Decimal(1))),
        "decimal": lambda question, today: _within(question, Decimal("1.5")),
        "money": lambda question, today: _within(question, Decimal("12.50")).quantize(Decimal("0.01")),
        "date": _date,
        "yes_no": lambda question, today: True,
        "consent": lambda question, today: True,
        "radios": lambda question, today: _first_options(question)[0],
        "dropdown": lambda question, today: _first_options(question)[0],
        "scale": lambda question, today: _first_options(question)[0],
        "checkboxes": lambda question, today: _first_options(question),
        "ranking": lambda question, today: tuple(option.value for option in question.options),
        "grid": lambda question, today: {s.value: question.options[0].value for s in question.statements},
        "address": lambda question, today: {
            "line1": "1 High Street",
            "line2": "",
            "town": "Oxford",
            "postcode": "OX1 1AA",
        },
        "bank_account": lambda question, today: {
            "account_name": "Sam Taylor",
            "sort_code": "309430",
            "account_number": "00733445",
        },
        # The id of a stored file; over HTTP the file itself is sent (see sample_upload).
        "file": lambda question, today: ("sample_upload",),
    }
)


def sample_answer(question: Question, today: dt.date) -> Any:
    """A valid answer to `question` as validation would produce it, within its min/max, length,
    pattern and date rules: a number question with min 5 -> 5; a date that must be past -> a day
    about 30 years ago."""
    return _SAMPLES[question.type](question, today)


def fields_for(questions: Sequence[Question], answers: Mapping[str, Any]) -> dict[str, tuple[str, ...]]:
    """The form fields a person fills in to give `answers` (follow-ups and "please say" included).

    {"dob": date(2007, 3, 27)} -> {"dob-day": ("27",), "dob-month": ("3",), "dob-year": ("2007",)}
    """
    return raw_fields(questions, answers)


def sample_upload(question: Question) -> tuple[str, bytes, str]:
    """A small file of a type `question` accepts: (file name, content, content type)."""
    if not question.accept or {"png", ".png"} & {ext.lower() for ext in question.accept}:
        image = io.BytesIO()
        Image.new("RGB", (8, 8), "white").save(image, "PNG")
        return ("receipt.png", image.getvalue(), "image/png")
    return ("receipt.pdf", b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n", "application/pdf")
