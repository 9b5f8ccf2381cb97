"""Nothing acknowledged is lost: a real server killed with SIGKILL mid-stream keeps every submission
whose reference a respondent was shown, with all of its answers.

Respondents in threads fill in a small form through HTTP, one submission after another, each with
its own words. Once some references have been shown the server is killed without warning, in the
middle of whatever it was doing; it is started again on the same database, and every reference shown
is read back through engine.storage.
"""

from __future__ import annotations

import asyncio
import html
import random
import re
import threading
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

import httpx2
import pytest

from engine import storage
from tests.browser.conftest import start_server

pytestmark = pytest.mark.slow

CROSSING_FORM = """
title: Report a problem with a crossing
summary: Tell the council about a road crossing.
audience: Anyone who uses the crossing.
reference_prefix: CRS
pages:
  - id: role_page
    questions:
      - id: role
        type: radios
        label: Who are you?
        options:
          - {value: resident, label: I live nearby}
          - {value: visitor, label: I was passing through}
  - id: problems_page
    questions:
      - id: problems
        type: checkboxes
        label: What was wrong?
        options:
          - {value: lights, label: The lights}
          - {value: kerb, label: The kerb}
          - {value: signs, label: The signs}
  - id: story_page
    questions:
      - id: story
        type: long_text
        label: What happened?
        max_length: 500
"""
SLUG = "crossing"
PROBLEMS = ("lights", "kerb", "signs")
RESPONDENTS = 4
SHOWN_BEFORE_KILL = 12

_FORM = re.compile(r'<form method="post" action="([^"]*)"[^>]*>(.*?)</form>', re.S)
_TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')
_REFERENCE = re.compile(r"\bCRS-[A-Z0-9]{4}-[A-Z0-9]{4}\b")

Answers = Mapping[str, str | Sequence[str]]


def submit_one(client: httpx2.Client, answers: Answers) -> str:
    """Start a draft, answer each page, press Send on check answers; the reference shown at the end."""
    page = client.get(f"/forms/{SLUG}")
    for _ in range(10):
        shown = _REFERENCE.search(page.text)
        if shown is not None and page.url.path.endswith("/confirmation"):
            return shown.group(0)
        if page.status_code != 200:
            raise AssertionError(f"{page.url} answered {page.status_code}")
        action, body = _FORM.findall(page.text)[0]
        token = _TOKEN.search(body)
        assert token is not None, f"no CSRF token on {page.url}"
        data = {name: value for name, value in answers.items() if f'name="{name}"' in body}
        page = client.post(html.unescape(action), data={**data, "csrf_token": token.group(1)})
    raise AssertionError("no confirmation after ten pages")


def answers_of(respondent: int, number: int) -> dict[str, str | list[str]]:
    return {
        "role": random.choice(["resident", "visitor"]),
        # Checkbox answers are stored in the order of the options, so they are chosen in that order.
        "problems": [option for option in PROBLEMS if random.random() < 0.5] or ["signs"],
        "story": f"Respondent {respondent}, report {number}: the green man lasts four seconds.",
    }


def keep_submitting(
    url: str, respondent: int, shown: dict[str, dict[str, str | list[str]]], lock: threading.Lock
) -> None:
    """Submit until the server goes away, noting each reference shown with the answers sent."""
    with httpx2.Client(base_url=url, follow_redirects=True, timeout=30) as client:
        for number in range(10_000):
            answers = answers_of(respondent, number)
            try:
                reference = submit_one(client, answers)
            except httpx2.TransportError:
                return
            with lock:
                shown[reference] = answers


async def stored_submissions(database_url: str, references: Sequence[str]) -> dict[str, storage.Submission]:
    async with storage.connect(database_url):
        found = {}
        for reference in references:
            submission = await storage.get_submission(reference)
            if submission is not None:
                found[reference] = submission
        return found


def test_every_reference_shown_before_a_sigkill_is_stored_with_its_answers(
    database_url: str, tmp_path: Path
) -> None:
    forms = tmp_path / "forms"
    forms.mkdir()
    (forms / f"{SLUG}.yaml").write_text(CROSSING_FORM, encoding="utf-8")
    server = start_server(database_url, forms)
    shown: dict[str, dict[str, str | list[str]]] = {}
    lock = threading.Lock()
    threads = [
        threading.Thread(target=keep_submitting, args=(server.url, number, shown, lock), daemon=True)
        for number in range(RESPONDENTS)
    ]
    try:
        for thread in threads:
            thread.start()
        deadline = time.monotonic() + 40
        while len(shown) < SHOWN_BEFORE_KILL and time.monotonic() < deadline:
            time.sleep(0.01)
        # A random moment, so over many runs the kill lands in every part of a request: parsing,
        # validating, inside the COMMIT, or between the commit and the reply.
        time.sleep(random.uniform(0, 0.05))
        server.process.kill()
        server.process.wait()
        for thread in threads:
            thread.join(timeout=30)
    finally:
        if server.process.poll() is None:
            server.stop()

    with lock:
        acknowledged = dict(shown)
    assert len(acknowledged) >= SHOWN_BEFORE_KILL, "the stream did not get going before the kill"

    restarted = start_server(database_url, forms)
    try:
        stored = asyncio.run(stored_submissions(database_url, list(acknowledged)))
        assert httpx2.get(f"{restarted.url}/forms/{SLUG}").status_code == 200
    finally:
        restarted.stop()

    missing = sorted(set(acknowledged) - set(stored))
    assert missing == [], f"{len(missing)} of {len(acknowledged)} acknowledged submissions were lost"
    for reference, answers in acknowledged.items():
        assert dict(stored[reference].answers) == answers, reference
