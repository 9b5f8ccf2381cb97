"""Every staff page, for each role that may open it, passes the accessibility checks in a real browser.

The checks come from the accessibility harness (tests/browser/a11y.py): the pinned axe-core for
WCAG 2.2 A/AA and best practice, and no CSP violation, with JavaScript on and off; and nothing
scrolling sideways, sticking out or clipped at 320 CSS px and at 200% zoom. A few pages a reviewer
uses all day also get the thorough checks (focus on every element, text spacing, forced colours).

The server serves one small inline form, and real responses are stored first (with a tag, a note,
a status and a safeguarding flag) so lists, summaries, the audit and the safeguarding list all have
content. Who may open a page comes from the same ROUTE_ROLES tables that guard the routes.

The full set runs on SQLite; PostgreSQL (the same pages from another database) checks the
reviewer's and the board's main pages only, so the suite stays within CI's time.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
from collections.abc import Coroutine, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import pytest

from engine import accounts, outbox, review, storage
from engine.accounts import ROLES
from engine.definition import Form
from engine.loader import load_forms
from engine.mail import RECEIPT, Email
from engine.web.staff import COOKIE, COOKIE_PATH
from engine.web.staff_nav import may_open
from tests.browser.a11y import reflow_problems
from tests.browser.a11y_sweep import Side, Sweep, basic_problems, sweep, thorough_problems
from tests.browser.conftest import LiveServer, start_server

pytestmark = pytest.mark.browser

T = TypeVar("T")

SLUG = "buses"
FORM_YAML = """
title: Have your say on buses
summary: Tell us how you travel.
reference_prefix: BUS
pages:
  - id: about
    title: About you
    questions:
      - id: name
        type: name
        label: Your name
        personal: true
      - id: email
        type: email
        label: Your email address
        personal: true
        optional: true
  - id: travel
    title: Travel
    questions:
      - id: mode
        type: checkboxes
        label: How do you travel?
        options:
          - {value: bus, label: Bus}
          - {value: car, label: Car}
          - {value: bike, label: Bicycle}
      - id: usual
        type: radios
        label: Which do you use most?
        options:
          - {value: bus, label: Bus}
          - {value: car, label: Car}
      - id: trips
        type: number
        label: How many bus journeys do you make in a week?
      - id: ideas
        type: long_text
        label: Your ideas
        optional: true
  - id: last_trip
    title: Your last trip
    questions:
      - {id: last_trip_on, type: date, label: "When did you last take a bus?"}
      - id: priorities
        type: ranking
        label: Put these in order, most important first
        options:
          - {value: price, label: Lower fares}
          - {value: often, label: More buses}
          - {value: late, label: Later buses}
"""

#: Enough responses that every chart has bars and the board's "fewer than 5" shows too.
ANSWERS: list[dict[str, storage.JSONInput]] = [
    {
        "name": f"Person {number}",
        "email": f"a-very-long-address-for-person-{number}@someone.example.org",
        "mode": ["bus", "bike"] if number % 3 else ["car"],
        "usual": "bus" if number % 3 else "car",
        "trips": number,
        "ideas": "Later buses on Sundays, and a shelter at the stop on Banbury Road " * (number % 2 + 1),
        "last_trip_on": f"2026-11-{number:02d}",
        "priorities": ["late", "price", "often"] if number % 3 else ["price", "often", "late"],
    }
    for number in range(1, 9)
]


@dataclass(frozen=True)
class Seeded:
    """What the test stored: the references, and a session cookie for each role."""

    references: list[str]
    flagged: str
    sessions: dict[str, str]
    halfway_session: str
    setup_token: str


def _receipt_not_sent(reference: str) -> Email:
    """A receipt the relay refused, so the admins' "Emails not sent" page has a row to check."""
    return Email(
        kind=RECEIPT,
        to_address="a-very-long-address-for-person-1@someone.example.org",
        subject="Your answers have been sent",
        text_body=f"Your reference is {reference}",
        html_body=f"<p>Your reference is {reference}</p>",
        language="en",
        message_id="<not-sent-1@coform.test>",
        form_slug=SLUG,
        reference=reference,
    )


def _run(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run `coroutine` on its own loop in a worker thread: Playwright's loop owns this thread."""
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


async def _seed(database_url: str, form: Form) -> Seeded:
    async with storage.connect(database_url):
        references = await storage.import_submissions(form.slug, form.version, "en", ANSWERS, "BUS")
        actor = "seed@example.org"
        tag = await review.create_tag(form, "Shelters and stops", actor)
        await review.tag_responses(form, references[:3], tag, actor)
        await review.add_note(form, references[0], "Rang them back about the stop.", actor)
        await review.set_status(form, references[1], review.review_statuses(form)[-1].value, actor)
        await review.flag_concern(form, references[2], "They mention feeling unsafe at the stop.", actor)
        sessions = {}
        for role in ROLES:
            staff, _ = await accounts.add_user(f"{role}.person@example.org", role)
            sessions[role] = await accounts.start_session(staff.id, second_factor_done=True)
        halfway, _ = await accounts.add_user("new.reviewer@example.org", "reviewer")
        halfway_session = await accounts.start_session(halfway.id, second_factor_done=False)
        _, setup_token = await accounts.add_user("new.author@example.org", "author")
        await outbox.send_later([_receipt_not_sent(references[0])])
        not_sent = {"status": outbox.FAILED, "attempts": 10, "last_error": "550 no such user"}
        await outbox.OutboxMessage.all().update(**not_sent)
    return Seeded(references, references[2], sessions, halfway_session, setup_token)


@pytest.fixture
def forms_dir(tmp_path: Path) -> Path:
    directory = tmp_path / "forms"
    directory.mkdir()
    (directory / f"{SLUG}.yaml").write_text(FORM_YAML, encoding="utf-8")
    return directory


@pytest.fixture
def staff_server(database_url: str, forms_dir: Path) -> Iterator[LiveServer]:
    server = start_server(database_url, forms_dir)
    yield server
    server.stop()


@pytest.fixture
def seeded(staff_server: LiveServer, database_url: str, forms_dir: Path) -> Seeded:
    forms, problems = load_forms(forms_dir)
    if problems:
        raise AssertionError(f"the test's form does not load: {problems}")
    # The server has started, so it has migrated the database and recorded this form's version.
    return _run(_seed(database_url, forms[SLUG]))


def staff_pages(seeded: Seeded) -> dict[str, tuple[str, str]]:
    """Each page to check: state name -> (route as ROUTE_ROLES spells it, address to open)."""
    base = f"/staff/forms/{SLUG}"
    response = "/staff/forms/{slug}/responses/{reference}"
    return {
        "home": ("/staff", "/staff"),
        "forms list": ("/staff/forms", "/staff/forms"),
        "responses list": ("/staff/forms/{slug}/responses", f"{base}/responses"),
        "responses filtered": (
            "/staff/forms/{slug}/responses",
            f"{base}/responses?status=new&answer.usual=bus&tag=Shelters+and+stops",
        ),
        "response": (response, f"{base}/responses/{seeded.references[0]}"),
        "flagged response": (response, f"{base}/responses/{seeded.flagged}"),
        "summary": ("/staff/forms/{slug}/summary", f"{base}/summary"),
        "summary filtered": ("/staff/forms/{slug}/summary", f"{base}/summary?answer.usual=bus"),
        "audit": ("/staff/forms/{slug}/audit", f"{base}/audit"),
        "safeguarding list": ("/staff/safeguarding", "/staff/safeguarding"),
        "erasure": ("/staff/erasure", "/staff/erasure"),
        "erasure found": ("/staff/erasure", f"/staff/erasure?reference={seeded.references[-1]}"),
        "author forms": ("/staff/author", "/staff/author"),
        "author versions": ("/staff/forms/{slug}/versions", f"{base}/versions"),
        "author preview": ("/staff/forms/{slug}/preview", f"{base}/preview"),
        "author map": ("/staff/forms/{slug}/map", f"{base}/map"),
        "author upload": ("/staff/author/upload", "/staff/author/upload"),
        "emails not sent": ("/staff/emails", "/staff/emails"),
    }


#: On PostgreSQL only these (role, page) pairs are checked.
POSTGRES_SUBSET = {
    ("reviewer", "home"),
    ("reviewer", "responses filtered"),
    ("reviewer", "response"),
    ("reviewer", "summary"),
    ("board", "summary"),
    ("board", "response"),
}
#: Pages that also get the thorough checks, on SQLite, as a reviewer.
THOROUGH = {"home", "responses filtered", "response"}


def _sign_in_both(checks: Sweep, server: LiveServer, token: str | None) -> None:
    """Put `token` (or nothing) in the staff cookie of both pages' browsers."""
    for side in (checks.scripted, checks.unscripted):
        side.page.context.clear_cookies()
        if token is not None:
            side.page.context.add_cookies([{"name": COOKIE, "value": token, "url": server.url + COOKIE_PATH}])


def _check(checks: Sweep, url: str, state: str, thorough: bool = False) -> None:
    """axe and CSP both ways, no sideways scrolling at 320 px and 200% zoom, and the page is the
    one asked for (not the sign-in page or a 403, which would make the checks prove nothing)."""
    for side in (checks.scripted, checks.unscripted):
        answer = side.page.goto(url)
        found = _landing_problems(side, url, answer)
        found += basic_problems(side) + reflow_problems(side.page)
        if thorough and side is checks.scripted:
            found += thorough_problems(side.page)
        checks.findings.record(side.page, f"{state} ({side.label})", found)


def _landing_problems(side: Side, url: str, answer: Any) -> list[str]:
    status = answer.status if answer is not None else 0
    if status != 200 or ("/staff/sign-in" in side.page.url and "/staff/sign-in" not in url):
        return [f"{url} answered {status} at {side.page.url}, not the page itself"]
    return []


def test_every_staff_page_passes_the_checks_for_each_role_that_may_open_it(
    browser: Any, staff_server: LiveServer, seeded: Seeded, database_url: str
) -> None:
    full = database_url.startswith("sqlite")
    pages = staff_pages(seeded)
    checked = 0
    with sweep(browser) as checks:
        for role in ROLES:
            _sign_in_both(checks, staff_server, seeded.sessions[role])
            for state, (route, path) in pages.items():
                if not may_open(accounts.Staff(0, "", role), route):
                    continue
                if state == "flagged response" and role == "board":
                    continue  # the board sees the same page as for any response
                if state == "response" and role == "safeguarding":
                    continue  # safeguarding sees flagged responses only
                if not full and (role, state) not in POSTGRES_SUBSET:
                    continue
                thorough = full and role == "reviewer" and state in THOROUGH
                _check(checks, staff_server.url + path, f"{role}: {state}", thorough)
                checked += 1
    assert checked >= (40 if full else len(POSTGRES_SUBSET)), f"only {checked} page states were checked"
    assert not checks.findings.problems, checks.findings.report()


def test_sign_in_second_factor_and_set_up_pages_pass_the_checks(
    browser: Any, staff_server: LiveServer, seeded: Seeded
) -> None:
    with sweep(browser) as checks:
        _sign_in_both(checks, staff_server, None)
        _check(checks, f"{staff_server.url}/staff/sign-in", "sign in", thorough=True)
        _check(checks, f"{staff_server.url}/staff/setup/{seeded.setup_token}", "create your password")
        _sign_in_both(checks, staff_server, seeded.halfway_session)
        _check(checks, f"{staff_server.url}/staff/second-factor", "set up an authenticator app")
    assert not checks.findings.problems, checks.findings.report()


def test_a_sign_in_mistake_shows_an_error_summary_that_passes_the_checks(
    browser: Any, staff_server: LiveServer, seeded: Seeded
) -> None:
    with sweep(browser) as checks:
        _sign_in_both(checks, staff_server, None)
        for side in (checks.scripted, checks.unscripted):
            side.page.goto(f"{staff_server.url}/staff/sign-in")
            side.page.get_by_role("button", name="Sign in").click()
            side.page.wait_for_selector(".error-summary")
            checks.check(side, "sign in with nothing typed")
            assert side.page.title().startswith("Error: ")
    assert not checks.findings.problems, checks.findings.report()
