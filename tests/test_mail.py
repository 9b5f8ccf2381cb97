"""Composing and sending email: what each message says (and never says), in the form's language,
and how it arrives at a real SMTP server: headers, plain text with HTML, and nothing that tracks."""

from __future__ import annotations

import datetime as dt
import re
from email.message import EmailMessage

import pytest

from engine import outbox
from engine.definition import Form
from engine.loader import load_form_text
from engine.mail import Composer, Email, InvalidAddress, normalise_address
from tests.smtp_sink import SmtpSink, mail_settings

SUBMITTED = dt.datetime(2026, 11, 26, 10, 5, tzinfo=dt.UTC)
SETTINGS = mail_settings(2525)

FORM = """
title: {en: Apply to join the board, cy: Gwneud cais i ymuno â'r bwrdd}
languages: [en, cy]
reference_prefix: CPB
next_steps:
  en: Someone from the team will **call you** within 4 weeks.
  cy: Bydd rhywun o'r tîm yn **eich ffonio** o fewn 4 wythnos.
contact: {name: Co-production team, email: coproduction@example.org, phone: 01865 000000}
alerts: [team@example.org]
pages:
  - id: about_you
    title: About you
    questions:
      - {id: full_name, type: name, label: Your name, personal: true}
      - {id: role, type: radios, label: Your role, options: [{value: carer, label: Carer}]}
"""


@pytest.fixture
def form() -> Form:
    return load_form_text(FORM, "board.yaml")


@pytest.fixture
def composer() -> Composer:
    return Composer(SETTINGS)


def links_in(message: Email) -> list[str]:
    return re.findall(r"""(?:href|src)=["']([^"']+)""", message.html_body) + re.findall(
        r"https?://\S+", message.text_body
    )


# --- what the messages say ---------------------------------------------------------------------------


def test_a_receipt_gives_the_reference_what_happens_next_and_whom_to_contact(
    form: Form, composer: Composer
) -> None:
    receipt = composer.receipt(form, "CPB-7K3P-2QXD", SUBMITTED, "sam@example.org", "en")

    assert receipt.subject == "Apply to join the board: your reference number is CPB-7K3P-2QXD"
    for body in (receipt.text_body, receipt.html_body):
        assert "CPB-7K3P-2QXD" in body
        assert "26 November 2026" in body
        assert "What happens next" in body
        assert "coproduction@example.org" in body
    assert "Someone from the team will **call you** within 4 weeks." in receipt.text_body
    assert "Someone from the team will <strong>call you</strong> within 4 weeks." in receipt.html_body
    assert (receipt.kind, receipt.form_slug, receipt.reference) == ("receipt", "board", "CPB-7K3P-2QXD")


def test_a_receipt_in_welsh_is_written_in_welsh_with_the_welsh_title(form: Form, composer: Composer) -> None:
    receipt = composer.receipt(form, "CPB-7K3P-2QXD", SUBMITTED, "sam@example.org", "cy")

    assert receipt.subject == "Gwneud cais i ymuno â'r bwrdd: eich cyfeirnod yw CPB-7K3P-2QXD"
    assert receipt.language == "cy"
    assert '<html lang="cy" dir="ltr">' in receipt.html_body
    assert "Beth sy'n digwydd nesaf" in receipt.text_body
    assert "26 Tachwedd 2026" in receipt.text_body
    assert "Bydd rhywun o'r tîm yn <strong>eich ffonio</strong>" in receipt.html_body


def test_a_staff_alert_links_to_the_response_and_carries_no_answers(form: Form, composer: Composer) -> None:
    alert = composer.staff_alert(form, "CPB-7K3P-2QXD", SUBMITTED, "team@example.org")

    assert alert.subject == "New response to Apply to join the board: CPB-7K3P-2QXD"
    link = "https://forms.example.gov.uk/staff/forms/board/responses/CPB-7K3P-2QXD"
    assert link in alert.text_body
    assert f'href="{link}"' in alert.html_body
    assert "26 November 2026 at 10:05" in alert.text_body
    assert "Your name" not in alert.text_body + alert.html_body


def test_a_resume_link_email_says_the_link_works_once_and_until_when(form: Form, composer: Composer) -> None:
    expires = SUBMITTED + dt.timedelta(days=28)

    message = composer.resume_link(form, "s3cr3t-" * 5, expires, "sam@example.org", "en")

    link = "https://forms.example.gov.uk/resume/email/" + "s3cr3t-" * 5
    assert message.subject == "Your link to come back to Apply to join the board"
    assert link in message.text_body
    assert f'href="{link}"' in message.html_body
    assert "The link works once, until 24 December 2026." in message.text_body
    assert "Anyone with this link can see your answers." in message.html_body


def test_author_markdown_in_an_email_loses_its_images_so_nothing_is_fetched_when_it_is_read(
    composer: Composer,
) -> None:
    form = load_form_text(
        FORM.replace("within 4 weeks.", "within 4 weeks. ![logo](https://tracker.example.com/pixel.gif)"),
        "board.yaml",
    )

    receipt = composer.receipt(form, "CPB-7K3P-2QXD", SUBMITTED, "sam@example.org", "en")

    assert "<img" not in receipt.html_body
    assert "tracker.example.com" not in receipt.html_body


def test_messages_link_only_to_coform_and_the_forms_own_contact_address(
    form: Form, composer: Composer
) -> None:
    messages = [
        composer.receipt(form, "CPB-7K3P-2QXD", SUBMITTED, "sam@example.org", "en"),
        composer.staff_alert(form, "CPB-7K3P-2QXD", SUBMITTED, "team@example.org"),
        composer.resume_link(form, "x" * 43, SUBMITTED, "sam@example.org", "cy"),
    ]

    for message in messages:
        assert "<img" not in message.html_body
        assert "<link" not in message.html_body
        assert "@import" not in message.html_body
        for link in links_in(message):
            assert link.startswith(("https://forms.example.gov.uk/", "mailto:coproduction@example.org")), link


def test_every_message_has_a_message_id_of_its_own_on_the_from_domain(form: Form, composer: Composer) -> None:
    first = composer.receipt(form, "CPB-7K3P-2QXD", SUBMITTED, "sam@example.org", "en")
    second = composer.receipt(form, "CPB-7K3P-2QXD", SUBMITTED, "sam@example.org", "en")

    assert re.fullmatch(r"<[0-9a-f]{32}@example\.gov\.uk>", first.message_id)
    assert first.message_id != second.message_id


# --- addresses ---------------------------------------------------------------------------------------


def test_an_address_is_normalised_by_email_validator() -> None:
    assert normalise_address("  Sam.Jones@Example.ORG ") == "Sam.Jones@example.org"


@pytest.mark.parametrize(
    ("typed", "code"),
    [("", "required"), ("   ", "required"), ("sam", "email_invalid"), ("sam@", "email_invalid"),
     ("sam@@example.org", "email_invalid"), ("sam @example.org", "email_invalid")],
)  # fmt: skip
def test_an_unusable_address_is_refused_with_an_error_code(typed: str, code: str) -> None:
    with pytest.raises(InvalidAddress) as refused:
        normalise_address(typed)

    assert refused.value.code == code


# --- as it arrives -----------------------------------------------------------------------------------


def parts_of(message: EmailMessage) -> dict[str, str]:
    """Each part's text as written, with the CRLF line ends SMTP carries turned back into newlines."""
    return {
        part.get_content_type(): part.get_content().replace("\r\n", "\n") for part in message.iter_parts()
    }


@pytest.mark.usefixtures("storage")
async def test_a_message_arrives_with_its_headers_and_plain_text_with_html(form: Form) -> None:
    with SmtpSink() as sink:
        settings = mail_settings(sink.port)
        receipt = Composer(settings).receipt(form, "CPB-7K3P-2QXD", SUBMITTED, "sam@example.org", "cy")
        await outbox.send_later([receipt])

        await outbox.send_due(settings, "worker-a", retry=outbox.RetryPolicy())
        [arrived] = sink.wait_for(1)

    assert arrived["From"] == "Council forms <forms@example.gov.uk>"
    assert arrived["To"] == "sam@example.org"
    assert arrived["Subject"] == "Gwneud cais i ymuno â'r bwrdd: eich cyfeirnod yw CPB-7K3P-2QXD"
    assert arrived["Message-ID"] == receipt.message_id
    assert arrived["Content-Language"] == "cy"
    assert arrived["Auto-Submitted"] == "auto-generated"
    assert arrived["Date"] is not None
    assert arrived.get_content_type() == "multipart/alternative"
    parts = parts_of(arrived)
    assert list(parts) == ["text/plain", "text/html"]
    assert parts["text/plain"] == receipt.text_body
    assert parts["text/html"] == receipt.html_body
    assert sink.recipients == [["sam@example.org"]]
