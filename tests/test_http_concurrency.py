"""Many respondents at once, through HTTP, against four uvicorn workers sharing one database.

Each respondent fills in a small form with their own words, presses Send twice (a double click, or
the back button and Send again), and must see one reference; afterwards every submission is stored
exactly once, references are unique, and no answer a page saved is missing.
"""

from __future__ import annotations

import asyncio
import html
import re
import threading
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx2
import pytest

from engine import storage
from tests.browser.conftest import start_server

pytestmark = pytest.mark.slow

PETITION_FORM = """
title: Support a new bus route
summary: Tell the council whether you would use a new bus route.
audience: People who live along the route.
reference_prefix: BUS
pages:
  - id: use_page
    questions:
      - id: would_use
        type: yes_no
        label: Would you use the new route?
  - id: times_page
    questions:
      - id: times
        type: checkboxes
        label: When would you travel?
        options:
          - {value: mornings, label: Mornings}
          - {value: daytime, label: In the day}
          - {value: evenings, label: Evenings}
  - id: reason_page
    questions:
      - id: reason
        type: long_text
        label: Why?
        max_length: 500
"""
SLUG = "bus-route"
RESPONDENTS = 48
WORKERS = 4

_FORM = re.compile(r'<form method="post" action="([^"]*)"[^>]*>(.*?)</form>', re.S)
_TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')
_REFERENCE = re.compile(r"\bBUS-[A-Z0-9]{4}-[A-Z0-9]{4}\b")

Answers = Mapping[str, str | Sequence[str]]


def answers_of(respondent: int) -> dict[str, str | list[str]]:
    times = ("mornings", "daytime", "evenings")
    return {
        "would_use": "yes" if respondent % 3 else "no",
        # Stored in the order of the options, so chosen in that order.
        "times": [time for index, time in enumerate(times) if (respondent >> index) & 1] or ["evenings"],
        "reason": f"Respondent {respondent}: the last bus leaves at six and I finish at seven.",
    }


def stored_form(answers: Answers) -> dict[str, object]:
    """What storage holds for `answers` as posted: a yes/no is a boolean."""
    return {**answers, "would_use": answers["would_use"] == "yes"}


def respond(url: str, respondent: int, start: threading.Barrier) -> str:
    """One respondent's journey; Send is pressed twice and both must show the same reference."""
    answers = answers_of(respondent)
    with httpx2.Client(base_url=url, follow_redirects=True, timeout=60) as client:
        start.wait()
        page = client.get(f"/forms/{SLUG}")
        while not page.url.path.endswith("/check-answers"):
            assert page.status_code == 200, f"{page.url} answered {page.status_code}"
            page = press(client, page.text, answers)
        check_answers = page.text
        first = press(client, check_answers, {})
        again = press(client, check_answers, {})
    references = {found.group(0) for found in map(_REFERENCE.search, (first.text, again.text)) if found}
    assert len(references) == 1, f"respondent {respondent} saw {references or 'no reference'}"
    return references.pop()


def press(client: httpx2.Client, page: str, answers: Answers) -> httpx2.Response:
    """Send the page's first form with the answers to the questions it holds."""
    action, body = _FORM.findall(page)[0]
    token = _TOKEN.search(body)
    assert token is not None, "no CSRF token in the form"
    data = {name: value for name, value in answers.items() if f'name="{name}"' in body}
    return client.post(html.unescape(action), data={**data, "csrf_token": token.group(1)})


async def stored(database_url: str, references: Sequence[str]) -> tuple[int, dict[str, storage.Submission]]:
    async with storage.connect(database_url):
        count = await storage.count_submissions(SLUG)
        found = {}
        for reference in references:
            submission = await storage.get_submission(reference)
            if submission is not None:
                found[reference] = submission
        return count, found


def test_concurrent_respondents_on_four_workers_are_each_stored_once_with_every_answer(
    database_url: str, tmp_path: Path
) -> None:
    forms = tmp_path / "forms"
    forms.mkdir()
    (forms / f"{SLUG}.yaml").write_text(PETITION_FORM, encoding="utf-8")
    server = start_server(database_url, forms, workers=WORKERS)
    start = threading.Barrier(RESPONDENTS)
    try:
        with ThreadPoolExecutor(max_workers=RESPONDENTS) as pool:
            references = list(pool.map(lambda n: respond(server.url, n, start), range(RESPONDENTS)))
    finally:
        server.stop()

    assert len(set(references)) == RESPONDENTS, "two respondents were given the same reference"
    count, submissions = asyncio.run(stored(database_url, references))
    assert count == RESPONDENTS, f"{count} submissions stored for {RESPONDENTS} respondents"
    for respondent, reference in enumerate(references):
        assert dict(submissions[reference].answers) == stored_form(answers_of(respondent)), reference
