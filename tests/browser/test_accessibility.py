"""Every page of coform, in every state it has, passes the accessibility checks in a real browser.

The checks (tests/browser/a11y.py): axe-core for WCAG 2.2 A/AA and best practice, and no CSP
violation, on every state with JavaScript on and off; on the scripted page also a visible,
unobscured focus on every element, reflow at 320 CSS px and 200% zoom, WCAG 1.4.12 text spacing
and forced colours. The full sweep runs on the SQLite run; the PostgreSQL run (the same pages from
another database) checks a representative subset, so the suite stays within CI's time.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from engine.loader import load_forms
from engine.settings import Settings
from tests.browser.a11y_sweep import Side, Sweep, sweep
from tests.browser.a11y_walk import walk_form
from tests.browser.conftest import LiveServer

pytestmark = pytest.mark.browser

FORMS = dict(load_forms(Settings().forms_dir)[0])


def full_sweep(database_url: str) -> bool:
    """The all-states sweep runs on SQLite; PostgreSQL gets the representative subset."""
    return database_url.startswith("sqlite")


def test_site_pages_pass_every_check(browser: Any, live_server: LiveServer, database_url: str) -> None:
    pages = {
        "list of forms": "/",
        "accessibility statement": "/accessibility",
        "page not found": "/no-such-page",
        "form not found": "/forms/no-such-form/preview",
    }
    with sweep(browser) as checks:
        for state, path in pages.items():
            checks.check_url(live_server.url + path, state, thorough=True)
    assert not checks.findings.problems, checks.findings.report()


def test_preview_and_privacy_pages_pass_every_check(
    browser: Any, live_server: LiveServer, database_url: str
) -> None:
    # The PostgreSQL run serves the same pages from another database: the example form (every
    # question type) stands for the rest there.
    slugs = sorted(FORMS) if full_sweep(database_url) else ["every-question-type"]
    with sweep(browser) as checks:
        for slug in slugs:
            # The example form's preview holds every question type, so its thorough checks cover
            # every control; the council forms' previews repeat those controls and get axe and CSP.
            thorough = slug == "every-question-type"
            checks.check_url(f"{live_server.url}/forms/{slug}/preview", f"{slug} preview", thorough=thorough)
            if FORMS[slug].privacy is not None:
                checks.check_url(f"{live_server.url}/forms/{slug}/privacy", f"{slug} privacy")
        checks.check_url(
            f"{live_server.url}/forms/every-question-type/preview?lang=cy", "example preview in Welsh"
        )
        checks.check_url(
            f"{live_server.url}/forms/every-question-type/preview?easy=1", "example preview, easy read"
        )
    assert not checks.findings.problems, checks.findings.report()


def test_every_form_journey_passes_every_check_in_every_state(
    browser: Any, live_server: LiveServer, database_url: str
) -> None:
    """Each form walked start to confirmation, with JavaScript on and off, checked at every state:
    start page, each page empty, with errors and with follow-ups revealed, add-another with an
    item, save and come back later, resumed, check answers and confirmation. On the SQLite run the
    example form's scripted walk also gets the thorough checks at every state."""
    slugs = sorted(FORMS) if full_sweep(database_url) else ["every-question-type"]
    today = dt.date.today()
    with sweep(browser) as checks:
        for slug in slugs:
            for side in (checks.scripted, checks.unscripted):
                thorough = (
                    side is checks.scripted and slug == "every-question-type" and full_sweep(database_url)
                )
                walk_and_check(checks, side, live_server.url, slug, thorough, today)
    assert not checks.findings.problems, checks.findings.report()


def walk_and_check(checks: Sweep, side: Side, base: str, slug: str, thorough: bool, today: dt.date) -> None:
    def record(state: str) -> None:
        # Forced-colour focus was proved for every control on the preview; here it would double the time.
        checks.check(side, f"{slug} {state}", thorough=thorough, forced_focus=False)

    def problem(text: str) -> None:
        checks.findings.problems.append(f"{slug} ({side.label}): {text}")

    walk_form(side.page, base, FORMS[slug], record, problem, today)
