"""Stopping and coming back, and what happens when time passes: the resume link on another
browser, a page left open too long (CSRF), a form that closes or changes while a draft waits,
and the language remembered with the draft."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re

from httpx2 import Response
from starlette.applications import Starlette
from starlette.testclient import TestClient

from app import create_app
from engine.definition import Form
from engine.settings import Settings
from tests.journeys.conftest import NOW
from tests.journeys.story import (
    and_i_answer,
    and_i_save_for_later,
    heading_of,
    press,
    then_i_am_on,
    then_i_see,
    when_i_start,
)

SLUG = "coproduction-board-application"
FORM = f"/forms/{SLUG}"


def test_a_saved_draft_opens_on_another_device_from_the_resume_link(app: Starlette) -> None:
    with TestClient(app) as laptop:
        page = when_i_start(laptop, SLUG)
        page = and_i_answer(laptop, page, {"lives_in_oxfordshire": "yes"})

        saved = and_i_save_for_later(laptop, page, {"experience": ["carer"]})

    then_i_am_on(saved, f"{FORM}/save")
    then_i_see(saved, "Your answers have been saved", "Anyone with this link can see your answers")
    assert saved.headers["cache-control"] == "no-store"
    link = re.search(r'value="(http://testserver/resume/[^"]+)"', saved.text)
    assert link is not None
    with TestClient(app, follow_redirects=False) as phone:
        exchanged = phone.get(link.group(1))
        assert exchanged.status_code == 303
        assert "/resume/" not in exchanged.headers["location"]
        cookie = exchanged.headers["set-cookie"]
        assert "HttpOnly" in cookie
        assert "SameSite=lax" in cookie
        page = phone.get(exchanged.headers["location"])
        # Saved on the experience page: the services page after it, all optional, is not seen yet.
        then_i_am_on(page, f"{FORM}/services_page")
        experience = phone.get(f"{FORM}/experience_page")
    then_i_see(experience, 'value="carer" checked')


def test_coming_back_opens_the_optional_page_not_yet_seen_until_it_is_continued_past(app: Starlette) -> None:
    with TestClient(app) as laptop:
        page = when_i_start(laptop, SLUG)
        page = and_i_answer(laptop, page, {"lives_in_oxfordshire": "yes"})
        page = and_i_answer(laptop, page, {"experience": ["carer"]})
        then_i_am_on(page, f"{FORM}/services_page")

        saved = and_i_save_for_later(laptop, page, {})

    link = resume_link_on(saved)
    with TestClient(app) as phone:
        page = phone.get(link)
        then_i_am_on(page, f"{FORM}/services_page")
        page = and_i_answer(phone, page, {})
        then_i_am_on(page, f"{FORM}/experience_story_page")
    with TestClient(app) as tablet:
        page = tablet.get(link)
    then_i_am_on(page, f"{FORM}/experience_story_page")


def resume_link_on(saved: Response) -> str:
    link = re.search(r'value="(http://testserver/resume/[^"]+)"', saved.text)
    assert link is not None, "no resume link on the save page"
    return link.group(1)


def test_a_resume_link_that_is_wrong_gets_a_plain_english_page(client: TestClient) -> None:
    page = client.get("/resume/not-a-real-token-at-all-1234567890")

    assert page.status_code == 404
    assert heading_of(page) == "This link has expired or is not right"


def test_saving_a_page_with_a_mistake_keeps_the_answer_saved_before(client: TestClient) -> None:
    page = when_i_start(client, SLUG)
    page = and_i_answer(client, page, {"lives_in_oxfordshire": "yes"})
    page = and_i_answer(client, page, {"experience": ["carer"]})

    saved = and_i_save_for_later(
        client, client.get(f"{FORM}/experience_page"), {"experience": ["not_an_option"]}
    )

    then_i_am_on(saved, f"{FORM}/save")
    then_i_see(client.get(f"{FORM}/experience_page"), 'value="carer" checked')


def test_a_page_open_too_long_is_shown_again_with_the_answer_kept(client: TestClient) -> None:
    page = when_i_start(client, SLUG)

    again = press(client, page, {"lives_in_oxfordshire": "yes"}, token="expired-or-forged")

    then_i_am_on(again, f"{FORM}/lives_in_oxfordshire_page", status=403)
    then_i_see(again, "This page was open for too long", 'value="yes" checked')
    page = and_i_answer(client, again, {"lives_in_oxfordshire": "yes"})
    then_i_am_on(page, f"{FORM}/experience_page")


def test_a_draft_on_a_form_that_has_closed_is_told_kindly_and_cannot_be_sent(
    settings: Settings, bundled_forms: dict[str, Form]
) -> None:
    moments = [NOW]
    app = create_app(settings, forms=bundled_forms, clock=lambda: moments[-1])
    with TestClient(app) as client:
        page = when_i_start(client, SLUG)
        page = and_i_answer(client, page, {"lives_in_oxfordshire": "yes"})
        token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
        assert token is not None
        moments.append(dt.datetime(2028, 1, 5, tzinfo=dt.UTC))

        closed = client.get(f"{FORM}/experience_page")
        sent = client.post(f"{FORM}/submit", data={"csrf_token": token.group(1)})

    assert heading_of(closed) == "This form has closed"
    then_i_see(closed, "31 December 2027", "Your saved answers cannot be sent now")
    assert heading_of(sent) == "This form has closed"
    assert "/confirmation" not in str(sent.url)


def test_a_form_not_open_yet_says_when_it_opens(settings: Settings, bundled_forms: dict[str, Form]) -> None:
    app = create_app(settings, forms=bundled_forms, clock=lambda: dt.datetime(2026, 10, 1, tzinfo=dt.UTC))
    with TestClient(app) as client:
        page = client.get(FORM)
        listed = client.get("/")

    assert heading_of(page) == "This form is not open yet"
    then_i_see(page, "1 November 2026")
    assert FORM not in listed.text


def test_a_draft_on_a_version_that_can_no_longer_be_loaded_is_offered_a_fresh_start(
    settings: Settings, bundled_forms: dict[str, Form]
) -> None:
    # A version made in code is stored without its YAML, so no later worker can rebuild it. (A draft
    # on a version that can be rebuilt stays on it: tests/journeys/test_form_versions.py.)
    made_in_code = dataclasses.replace(bundled_forms[SLUG], version="a-version-made-in-code")
    earlier = {**bundled_forms, SLUG: made_in_code}
    with TestClient(create_app(settings, forms=earlier, clock=lambda: NOW)) as before:
        when_i_start(before, SLUG)
        cookies = dict(before.cookies)
    with TestClient(create_app(settings, forms=bundled_forms, clock=lambda: NOW)) as after:
        after.cookies.update(cookies)
        page = after.get(f"{FORM}/lives_in_oxfordshire_page")
        assert page.status_code == 409
        assert heading_of(page) == "This form has changed since you started"

        page = press(after, page, {})

    then_i_am_on(page, f"{FORM}/lives_in_oxfordshire_page")


def test_welsh_chosen_on_the_start_page_is_kept_on_every_page(client: TestClient) -> None:
    page = when_i_start(client, "every-question-type", lang="cy")

    assert '<html lang="cy"' in page.text
    then_i_see(page, "Parhau")
    page = client.get(page.url.path + "?lang=en")
    assert '<html lang="en"' in page.text
    page = client.get(page.url.path)
    assert '<html lang="en"' in page.text
