"""Small story helpers for journey tests: a respondent fills in a form with JavaScript off.

Each step reads the page the previous one landed on, as a person would: it finds the page's form,
its CSRF token and its action, posts the answers, and follows the redirect::

    page = when_i_start(client, "coproduction-board-application")
    page = and_i_answer(client, page, {"lives_in_oxfordshire": "yes"})
    then_i_see(page, "Which of these describes you?")
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping, Sequence
from typing import Any

from httpx2 import Response
from starlette.testclient import TestClient

from engine import storage

Answers = Mapping[str, str | Sequence[str]]

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
    files: Mapping[str, tuple[str, bytes, str]] | None = None,
    token: str | None = None,
) -> Response:
    """Post the page's form (the `form_index`th) with `answers`, as its button would."""
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
