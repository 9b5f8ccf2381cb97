"""Receipts and staff alerts: a respondent may ask for a receipt on check answers; staff named in
the form are told of each submission. Neither message carries an answer, least of all a personal
one; the alert links to the response instead."""

from __future__ import annotations

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
from tests.journeys.conftest import NOW
from tests.journeys.story import (
    and_i_answer,
    error_summary_of,
    press,
    reference_on,
    stored_submission,
    then_i_am_on,
    then_i_do_not_see,
    then_i_see,
    when_i_start,
)
from tests.smtp_sink import SmtpSink, mail_settings

FORM_YAML = """
title: {en: Apply for a carers' break, cy: Gwneud cais am seibiant i ofalwyr}
languages: [en, cy]
reference_prefix: CB
alerts: [team@example.org, manager@example.org]
next_steps:
  en: We will phone you within 10 working days.
  cy: Byddwn yn eich ffonio o fewn 10 diwrnod gwaith.
pages:
  - id: name_page
    questions:
      - {id: full_name, type: name, label: {en: Your name, cy: Eich enw}, personal: true}
  - id: need_page
    questions:
      - id: what_would_help
        type: text
        label: {en: What would help most, cy: Beth fyddai'n helpu fwyaf}
"""
SLUG = "carers-break"
FORM = f"/forms/{SLUG}"
#: What the respondent types: none of it may appear in any email.
ANSWERS = ("Sam Taylor", "A weekend away from caring")


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


def i_reach_check_answers(client: TestClient, *, lang: str | None = None) -> Response:
    page = when_i_start(client, SLUG, lang=lang)
    page = and_i_answer(client, page, {"full_name": ANSWERS[0]})
    return and_i_answer(client, page, {"what_would_help": ANSWERS[1]})


def text_of(message: EmailMessage) -> str:
    return "".join(part.get_content() for part in message.iter_parts())


def by_recipient(messages: list[EmailMessage]) -> dict[str, EmailMessage]:
    return {str(message["To"]): message for message in messages}


def test_a_respondent_asks_for_a_receipt_and_staff_are_alerted_without_any_answers(
    app: Starlette, sink: SmtpSink
) -> None:
    with TestClient(app) as client:
        page = i_reach_check_answers(client)
        then_i_see(page, "Email address (optional)", "We will not email your answers.")

        page = press(client, page, {"receipt_email": "sam@example.org"})

        then_i_am_on(page, f"{FORM}/confirmation")
        then_i_see(page, "We are sending a receipt with your reference number")
        reference = reference_on(page)
        assert stored_submission(client, reference).answers["full_name"] == "Sam Taylor"
        messages = by_recipient(sink.wait_for(3))

    assert set(messages) == {"sam@example.org", "team@example.org", "manager@example.org"}
    receipt = text_of(messages["sam@example.org"])
    subject = f"Apply for a carers' break: your reference number is {reference}"
    assert messages["sam@example.org"]["Subject"] == subject
    assert reference in receipt
    assert "We will phone you within 10 working days." in receipt
    for recipient in ("team@example.org", "manager@example.org"):
        alert = messages[recipient]
        assert alert["Subject"] == f"New response to Apply for a carers' break: {reference}"
        assert f"https://forms.example.gov.uk/staff/forms/{SLUG}/responses/{reference}" in text_of(alert)
    for message in messages.values():
        for answer in ANSWERS:
            assert answer not in text_of(message)
            assert answer not in str(message["Subject"])
    assert len(sink.message_id_counts()) == 3


def test_without_a_receipt_address_only_staff_are_alerted(app: Starlette, sink: SmtpSink) -> None:
    with TestClient(app) as client:
        page = press(client, i_reach_check_answers(client), {"receipt_email": ""})

        then_i_do_not_see(page, "We are sending a receipt")
        sink.wait_for(2)

    recipients = sorted(str(message["To"]) for message in sink.messages)
    assert recipients == ["manager@example.org", "team@example.org"]


def test_a_wrong_receipt_address_sends_nothing_yet_and_shows_the_error_with_the_answers(
    app: Starlette, sink: SmtpSink
) -> None:
    with TestClient(app) as client:
        page = press(client, i_reach_check_answers(client), {"receipt_email": "sam at example.org"})

        then_i_am_on(page, f"{FORM}/submit", status=422)
        wrong = "Enter an email address in the correct format, like name@example.com"
        assert error_summary_of(page) == [wrong]
        then_i_see(page, "Check your answers", ANSWERS[1], 'value="sam at example.org"')
        then_i_see(page, 'href="#receipt_email"')
        assert client.portal is not None
        assert client.portal.call(outbox.count_by_status) == {"pending": 0, "sent": 0, "failed": 0}

        page = press(client, page, {"receipt_email": "sam@example.org"})
        then_i_am_on(page, f"{FORM}/confirmation")
        sink.wait_for(3)


def test_a_welsh_respondent_gets_a_welsh_receipt_and_staff_an_alert_in_the_forms_first_language(
    app: Starlette, sink: SmtpSink
) -> None:
    with TestClient(app) as client:
        page = i_reach_check_answers(client, lang="cy")
        then_i_see(page, "Cyfeiriad e-bost (dewisol)")

        press(client, page, {"receipt_email": "sam@example.org"})
        messages = by_recipient(sink.wait_for(3))

    receipt = messages["sam@example.org"]
    assert receipt["Content-Language"] == "cy"
    assert "Byddwn yn eich ffonio o fewn 10 diwrnod gwaith." in text_of(receipt)
    assert messages["team@example.org"]["Content-Language"] == "en"


def test_a_form_that_offers_no_receipt_asks_for_no_address(database_url: str, sink: SmtpSink) -> None:
    form = load_form_text(FORM_YAML + "receipt: false\n", f"{SLUG}.yaml")
    settings = mail_settings(sink.port, database_url=database_url)
    app = create_app(settings, forms={SLUG: form}, clock=lambda: NOW)
    with TestClient(app) as client:
        page = i_reach_check_answers(client)
        then_i_do_not_see(page, "receipt_email")

        press(client, page, {"receipt_email": "sam@example.org"})
        sink.wait_for(2)
        assert client.portal is not None
        written = client.portal.call(outbox.count_by_status)

    assert written["pending"] + written["sent"] == 2
    assert "sam@example.org" not in {str(message["To"]) for message in sink.messages}
