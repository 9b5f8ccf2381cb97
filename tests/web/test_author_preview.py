"""Authors preview any form page by page, in any language and in easy read, and nothing is stored."""

from __future__ import annotations

from textwrap import dedent

from starlette.testclient import TestClient

from app import create_app
from engine import storage
from engine.loader import load_form_text
from engine.settings import Settings
from tests.web.author_helpers import posting_forms
from tests.web.staff_helpers import sign_in_as

WELSH = dedent("""\
    title: {en: Tell us about the library, cy: Dywedwch wrthym am y llyfrgell}
    languages: [en, cy]
    easy_read: true
    closes: 2020-01-31
    pages:
      - id: visits_page
        questions:
          - id: visits
            type: number
            label:
              en: How often do you visit?
              cy: Pa mor aml ydych chi'n ymweld?
              easy: How often?
              "easy:cy": Pa mor aml?
      - id: thanks_page
        title: {en: Anything else, cy: Unrhyw beth arall}
        questions:
          - {id: more, type: long_text, optional: true, label: {en: Tell us more, cy: Dywedwch fwy}}
    """)


def test_the_preview_shows_a_banner_and_jumps_to_any_page_without_storing_a_response(
    client: TestClient,
) -> None:
    sign_in_as(client, "author")

    first = client.get("/staff/forms/garden/preview")
    second = client.get("/staff/forms/garden/preview?page=likes_page")

    assert first.status_code == second.status_code == 200
    assert 'aria-label="Preview"' in first.text
    assert "Nothing you type here is saved or sent." in first.text
    assert "How many times have you visited?" in first.text
    assert "What you like" in second.text
    assert "How many times have you visited?" not in second.text
    assert 'href="/staff/forms/garden/preview?page=visits_page" rel="prev"' in second.text
    assert posting_forms(first.text) == posting_forms(second.text) == ["/staff/sign-out"]
    [record] = client.portal.call(storage.version_records, "garden")  # type: ignore[union-attr]
    assert (record.drafts, record.submissions) == (0, 0)


def test_the_preview_shows_a_closed_form_in_welsh_and_in_easy_read(settings: Settings) -> None:
    form = load_form_text(WELSH, "library.yaml")
    with TestClient(create_app(settings, forms={"library": form})) as client:
        sign_in_as(client, "author")
        respondent_view = client.get("/forms/library")
        welsh = client.get("/staff/forms/library/preview?lang=cy")
        easy_welsh = client.get("/staff/forms/library/preview?lang=cy&easy=1&page=visits_page")

    assert "not open to respondents now" in welsh.text
    assert "Pa mor aml ydych chi&#39;n ymweld?" in welsh.text
    assert '<html lang="cy"' in welsh.text
    assert "Pa mor aml?" in easy_welsh.text
    assert 'href="/staff/forms/library/preview?lang=en' in welsh.text
    assert respondent_view.status_code == 200
    assert "Pa mor aml" not in respondent_view.text


def test_the_preview_of_a_version_that_is_not_stored_is_not_found(client: TestClient) -> None:
    sign_in_as(client, "author")

    assert client.get("/staff/forms/garden/preview?version=no-such-version").status_code == 404
    assert client.get("/staff/forms/no-such-form/preview").status_code == 404


def test_a_reviewer_cannot_preview_through_the_author_pages(client: TestClient) -> None:
    sign_in_as(client, "reviewer")

    assert client.get("/staff/forms/garden/preview").status_code == 403
