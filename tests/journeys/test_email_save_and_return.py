"""Emailing a link to come back: the respondent asks for it on the save page, it arrives, it opens
their answers on another device once, and a mail scanner opening it first does not use it up.
Without a mail relay configured, the offer is not made at all."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from email.message import EmailMessage

import pytest
from httpx2 import Response
from starlette.applications import Starlette
from starlette.testclient import TestClient

from app import create_app
from engine import outbox
from engine.definition import Form
from engine.loader import load_form_text
from engine.settings import Settings
from engine.web.saves import RESUME_EMAILS_PER_ADDRESS, RESUME_EMAILS_PER_DRAFT
from tests.journeys.conftest import NOW
from tests.journeys.story import (
    and_i_answer,
    and_i_save_for_later,
    error_summary_of,
    heading_of,
    press,
    then_i_am_on,
    then_i_do_not_see,
    then_i_see,
    when_i_start,
)
from tests.smtp_sink import SmtpSink, mail_settings

FORM_YAML = """
title: {en: Tell us about your day, cy: Dywedwch wrthym am eich diwrnod}
languages: [en, cy]
reference_prefix: DAY
alerts: [team@example.org]
pages:
  - id: name_page
    questions:
      - {id: full_name, type: name, label: {en: Your name, cy: Eich enw}, personal: true}
  - id: day_page
    questions:
      - {id: best_part, type: text, label: {en: The best part of your day, cy: Rhan orau eich diwrnod}}
"""
SLUG = "your-day"
FORM = f"/forms/{SLUG}"


@pytest.fixture
def form() -> Form:
    return load_form_text(FORM_YAML, f"{SLUG}.yaml")


@pytest.fixture
def sink() -> Iterator[SmtpSink]:
    with SmtpSink() as sink:
        yield sink


@pytest.fixture
def app(database_url: str, sink: SmtpSink, form: Form) -> Starlette:
    settings = mail_settings(sink.port, database_url=database_url)
    return create_app(settings, forms={SLUG: form}, clock=lambda: NOW)


def i_save_after_the_first_page(client: TestClient, *, lang: str | None = None) -> Response:
    page = when_i_start(client, SLUG, lang=lang)
    return and_i_save_for_later(client, page, {"full_name": "Sam Taylor"})


def the_link_in(message: EmailMessage) -> str:
    text = message.get_body(("plain",))
    assert text is not None
    match = re.search(r"https://forms\.example\.gov\.uk(/resume/email/\S+)", text.get_content())
    assert match is not None, "no link in the email"
    return match.group(1)


def test_a_respondent_emails_themselves_a_link_and_carries_on_from_another_device(
    app: Starlette, sink: SmtpSink
) -> None:
    with TestClient(app) as phone:
        saved = i_save_after_the_first_page(phone)
        then_i_see(saved, "Email me a link to come back", "It works once, until 24 December 2026.")

        sent = press(phone, saved, {"email": " Sam@Example.ORG "}, form_index=0)

        then_i_am_on(sent, f"{FORM}/save")
        then_i_see(sent, "We are sending a link to the email address you gave.")
        [message] = sink.wait_for(1)
    assert message["To"] == "Sam@example.org"
    assert message["Subject"] == "Your link to come back to Tell us about your day"
    link = the_link_in(message)

    with TestClient(app) as laptop:
        opened = laptop.get(link)
        then_i_see(opened, "Carry on with your saved answers", "Tell us about your day")
        assert opened.headers["cache-control"] == "no-store"

        page = press(laptop, opened, {})

        then_i_am_on(page, f"{FORM}/day_page")
        page = laptop.get(f"{FORM}/name_page")
        then_i_see(page, 'value="Sam Taylor"')

    with TestClient(app) as someone_else:
        again = someone_else.get(link)
    then_i_am_on(again, link, status=404)
    then_i_see(again, "This link has expired or is not right")


def test_a_mail_scanner_opening_the_link_first_does_not_use_it_up(app: Starlette, sink: SmtpSink) -> None:
    with TestClient(app) as phone:
        press(phone, i_save_after_the_first_page(phone), {"email": "sam@example.org"})
        link = the_link_in(sink.wait_for(1)[0])

    with TestClient(app) as scanner:
        assert scanner.get(link).status_code == 200
        assert scanner.get(link).status_code == 200

    with TestClient(app) as laptop:
        page = press(laptop, laptop.get(link), {})
    then_i_am_on(page, f"{FORM}/day_page")


def test_a_link_pressed_without_its_page_token_is_not_used_up(app: Starlette, sink: SmtpSink) -> None:
    with TestClient(app) as phone:
        press(phone, i_save_after_the_first_page(phone), {"email": "sam@example.org"})
        link = the_link_in(sink.wait_for(1)[0])

    with TestClient(app) as laptop:
        forged = laptop.post(link, data={"csrf_token": "forged"})
        then_i_see(forged, "Carry on with your saved answers")

        page = press(laptop, laptop.get(link), {})
    then_i_am_on(page, f"{FORM}/day_page")


def test_a_wrong_address_on_the_save_page_is_shown_back_with_its_error_and_nothing_is_sent(
    app: Starlette, sink: SmtpSink
) -> None:
    with TestClient(app) as client:
        saved = i_save_after_the_first_page(client)

        page = press(client, saved, {"email": "sam@example"})

        then_i_am_on(page, f"{FORM}/save", status=422)
        wrong = "Enter an email address in the correct format, like name@example.com"
        assert error_summary_of(page) == [wrong]
        then_i_see(page, 'value="sam@example"', 'href="#email"')
        assert html.unescape(page.text).count("Error:") >= 2
        empty = press(client, page, {"email": ""})
        assert error_summary_of(empty) == ["Enter an email address"]
    assert sink.messages == []


TOO_MANY = (
    "You have asked for a link too many times. Wait 15 minutes and try again, or copy the link on this page."
)


def messages_written(client: TestClient) -> int:
    """Every message in the outbox, whatever its state, read on the app's own event loop."""

    async def count() -> int:
        return await outbox.OutboxMessage.all().count()

    assert client.portal is not None
    return client.portal.call(count)


def test_asking_too_often_for_one_draft_is_refused_in_plain_english_and_sends_nothing_more(
    app: Starlette, sink: SmtpSink
) -> None:
    with TestClient(app) as client:
        saved = i_save_after_the_first_page(client)
        for _ in range(RESUME_EMAILS_PER_DRAFT):
            saved = press(client, saved, {"email": "sam@example.org"})
            then_i_see(saved, "We are sending a link to the email address you gave.")

        refused = press(client, saved, {"email": "sam@example.org"})

        then_i_am_on(refused, f"{FORM}/save", status=429)
        assert error_summary_of(refused) == [TOO_MANY]
        then_i_see(refused, 'value="sam@example.org"', 'href="#email"', "/resume/")
        sink.wait_for(RESUME_EMAILS_PER_DRAFT)
        assert messages_written(client) == RESUME_EMAILS_PER_DRAFT


def test_asking_too_often_from_one_network_address_is_refused_even_for_a_new_draft(
    app: Starlette, sink: SmtpSink
) -> None:
    sent = 0
    while sent < RESUME_EMAILS_PER_ADDRESS:
        with TestClient(app) as browser:
            saved = i_save_after_the_first_page(browser)
            for _ in range(min(RESUME_EMAILS_PER_DRAFT, RESUME_EMAILS_PER_ADDRESS - sent)):
                saved = press(browser, saved, {"email": "sam@example.org"})
                then_i_see(saved, "We are sending a link to the email address you gave.")
                sent += 1

    with TestClient(app) as another:
        refused = press(another, i_save_after_the_first_page(another), {"email": "alex@example.org"})

        then_i_am_on(refused, f"{FORM}/save", status=429)
        assert error_summary_of(refused) == [TOO_MANY]
        sink.wait_for(RESUME_EMAILS_PER_ADDRESS)
        assert messages_written(another) == RESUME_EMAILS_PER_ADDRESS


def test_the_link_email_is_written_in_the_language_the_respondent_chose(
    app: Starlette, sink: SmtpSink
) -> None:
    with TestClient(app) as client:
        saved = i_save_after_the_first_page(client, lang="cy")
        then_i_see(saved, "Anfon dolen ataf i ddod yn ôl")
        press(client, saved, {"email": "sam@example.org"})
        [message] = sink.wait_for(1)

        assert message["Content-Language"] == "cy"
        assert message["Subject"] == "Eich dolen i ddod yn ôl i Dywedwch wrthym am eich diwrnod"
        opened = client.get(the_link_in(message))
    assert heading_of(opened) == "Parhau gyda'ch atebion sydd wedi'u cadw"


def test_without_a_mail_relay_the_save_page_offers_no_email_and_refuses_one(
    settings: Settings, form: Form
) -> None:
    assert settings.email_enabled is False
    app = create_app(settings, forms={SLUG: form}, clock=lambda: NOW)
    with TestClient(app) as client:
        saved = i_save_after_the_first_page(client)
        then_i_see(saved, "Your link to come back")
        then_i_do_not_see(saved, "Email me a link", 'type="email"')

        refused = client.post(f"{FORM}/save", data={"email": "sam@example.org"})

        assert refused.status_code == 404
        page = and_i_answer(client, client.get(f"{FORM}/day_page"), {"best_part": "Lunch"})
        then_i_am_on(page, f"{FORM}/check-answers")
        then_i_do_not_see(page, "receipt_email")
