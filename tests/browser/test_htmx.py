"""With JavaScript on, htmx moves between pages without full reloads; these check what a person
relies on after every swap: the page title, where focus lands, the back button, questions that
appear as answers change, and that the browser reports no Content-Security-Policy violation."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.browser.conftest import CSP_LISTENER, LiveServer, csp_violations, start_server

pytestmark = pytest.mark.browser

GARDEN = """
title: Tell us about the garden
opens: 2026-01-01
closes: 2099-12-31
reference_prefix: GDN
pages:
  - id: visit_page
    title: Your visits
    questions:
      - id: visited
        type: radios
        label: How often do you visit the garden?
        options:
          - value: often
            label: Often
            follow_up:
              id: visits
              type: number
              optional: true
              label: How many times this year?
          - value: never
            label: Never
      - id: why_not
        type: long_text
        optional: true
        show_if: "selected(visited, 'never')"
        label: What stops you visiting?
  - id: name_page
    questions:
      - id: full_name
        type: name
        label: What is your name?
"""

FORM = "/forms/garden"


@pytest.fixture
def garden_server(database_url: str, tmp_path: Path) -> Iterator[LiveServer]:
    forms = tmp_path / "forms"
    forms.mkdir()
    (forms / "garden.yaml").write_text(GARDEN, encoding="utf-8")
    server = start_server(database_url, forms_dir=forms)
    yield server
    server.stop()


@pytest.fixture
def page(browser: Any, garden_server: LiveServer) -> Iterator[Any]:
    context = browser.new_context(base_url=garden_server.url)
    page = context.new_page()
    page.add_init_script(CSP_LISTENER)
    yield page
    context.close()


def focused(page: Any) -> str:
    """The focused element as "tag.class" ("h1.label-wrapper", "div.error-summary")."""
    found: str = page.evaluate(
        "() => document.activeElement.tagName.toLowerCase() + '.' + (document.activeElement.className || '')"
    )
    return found


def swapped_not_reloaded(page: Any) -> bool:
    """Whether the marker set on the first page is still there: htmx swapped instead of loading."""
    kept: bool = page.evaluate("() => window.__notReloaded === true")
    return kept


def when_i_start_the_garden_form(page: Any) -> None:
    page.goto(FORM)
    page.evaluate("() => { window.__notReloaded = true; }")
    page.get_by_role("button", name="Start now").click()
    page.wait_for_url(f"**{FORM}/visit_page")
    page.wait_for_function("() => document.title.startsWith('Your visits')", timeout=5000)


def test_each_swap_updates_the_title_and_moves_focus_to_the_heading_or_the_errors(page: Any) -> None:
    when_i_start_the_garden_form(page)

    assert page.title() == "Your visits – Tell us about the garden"
    assert focused(page).startswith("h1")
    assert swapped_not_reloaded(page)

    page.get_by_role("button", name="Continue").click()
    page.wait_for_function("() => document.title.startsWith('Error: ')")
    assert page.title() == "Error: Your visits – Tell us about the garden"
    assert focused(page).startswith("div.error-summary")

    page.get_by_label("Never").check()
    page.get_by_role("button", name="Continue").click()
    page.wait_for_url(f"**{FORM}/name_page")
    page.wait_for_function("() => !document.title.startsWith('Error')", timeout=5000)
    assert page.title() == "What is your name? – Tell us about the garden"
    assert focused(page).startswith("h1")
    assert swapped_not_reloaded(page)
    assert csp_violations(page) == []


def test_the_back_button_shows_the_previous_page_again(page: Any) -> None:
    when_i_start_the_garden_form(page)
    page.get_by_label("Often").check()
    page.get_by_role("button", name="Continue").click()
    page.wait_for_url(f"**{FORM}/name_page")

    page.go_back()

    page.wait_for_url(f"**{FORM}/visit_page")
    page.wait_for_function("() => document.title.startsWith('Your visits')")
    assert page.get_by_role("heading", level=1).inner_text() == "Your visits"
    assert page.get_by_label("Often").is_checked()
    assert csp_violations(page) == []


def test_follow_ups_and_conditional_questions_appear_as_answers_change(page: Any) -> None:
    when_i_start_the_garden_form(page)
    follow_up = page.get_by_label("How many times this year?")
    why_not = page.get_by_label("What stops you visiting? (optional)")
    assert not follow_up.is_visible()
    assert not why_not.is_visible()

    page.get_by_label("Often").check()
    assert follow_up.is_visible()
    assert page.get_by_label("Often").get_attribute("aria-controls") == "conditional-visited"

    page.get_by_label("Never").check()
    why_not.wait_for(state="visible")
    assert not follow_up.is_visible()
    page.locator("[data-autosave-status]").filter(has_text="saved").wait_for(state="attached")

    page.reload()
    assert page.get_by_label("Never").is_checked()
    assert why_not.is_visible()
    assert csp_violations(page) == []
