"""Every page of coform, in every state it has, passes the accessibility checks in a real browser.

The checks (tests/browser/a11y.py): axe-core for WCAG 2.2 A/AA and best practice, and no CSP
violation, on every state with JavaScript on and off; on the scripted page also a visible,
unobscured focus on every element, reflow at 320 CSS px and 200% zoom, WCAG 1.4.12 text spacing
and forced colours. The full sweep runs on the SQLite run; the PostgreSQL run (the same pages from
another database) checks a representative subset, so the suite stays within CI's time.
"""

from __future__ import annotations

from typing import Any

import pytest
from a11y_sweep import sweep
from browser.conftest import LiveServer

from engine.loader import load_forms
from engine.settings import Settings

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
