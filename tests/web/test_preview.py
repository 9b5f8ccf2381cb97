"""The list of forms and the read-only preview of a form's pages."""

from __future__ import annotations

from starlette.testclient import TestClient


def test_the_home_page_lists_each_form_with_its_summary_and_audience(client: TestClient) -> None:
    html = client.get("/").text

    assert '<a href="/forms/garden">Tell us about the garden</a>' in html
    assert "A short survey about the community garden." in html
    assert "People who use the garden." in html


def test_the_preview_shows_every_page_with_its_questions_hints_and_options(client: TestClient) -> None:
    response = client.get("/forms/garden/preview")
    html = response.text

    assert response.status_code == 200
    assert "<title>Preview: Tell us about the garden</title>" in html
    assert "This is a preview of every page" in html
    for words in (
        "Page 1",
        "Page 2",
        "How many times have you visited?",
        "Count this year only.",
        "What you like",
    ):
        assert words in html
    assert 'id="likes" name="likes" type="checkbox" value="paths"' in html
    assert "There are 8." in html
    assert "You can enter up to 200 characters" in html


def test_the_preview_cannot_send_answers(client: TestClient) -> None:
    html = client.get("/forms/garden/preview").text

    assert "<form" not in html
    assert "<button" not in html


def test_a_sensitive_form_offers_exit_this_page_and_help_now(client: TestClient) -> None:
    html = client.get("/forms/garden/preview").text

    assert 'href="https://www.bbc.co.uk/weather"' in html
    assert "Exit this page" in html
    assert "If you are in danger now, call 999." in html


def test_the_privacy_notice_renders_the_authors_markdown(client: TestClient) -> None:
    html = client.get("/forms/garden/privacy").text

    assert "We keep your answers for <strong>one year</strong>." in html


def test_every_page_has_a_skip_link_a_main_landmark_and_a_language(client: TestClient) -> None:
    html = client.get("/forms/garden/preview").text

    assert '<html lang="en" dir="ltr"' in html
    assert '<a href="#main-content" class="skip-link">Skip to main content</a>' in html
    assert '<main class="main-wrapper" id="main-content">' in html
    assert html.count("<h1") == 1
