"""Emails not sent: an admin sees each email the outbox gave up on, why, and sends it again."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from app import create_app
from engine import outbox
from engine.mail import RECEIPT, Email
from engine.settings import Settings
from tests.web.staff_helpers import sign_in_as


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    settings = Settings(
        database_url=f"sqlite://{tmp_path / 'coform.sqlite3'}", secret_key="test-secret", secure_cookies=False
    )
    with TestClient(create_app(settings, forms={})) as client:
        yield client


async def a_receipt_the_relay_refused() -> None:
    """A receipt the outbox has given up on, as after ten refusals."""
    email = Email(
        kind=RECEIPT,
        to_address="sam@example.org",
        subject="Your answers have been sent",
        text_body="Your reference is CPB-7K3P-2QXD",
        html_body="<p>Your reference is CPB-7K3P-2QXD</p>",
        language="en",
        message_id="<failed-1@coform.test>",
        form_slug="coproduction-board-application",
        reference="CPB-7K3P-2QXD",
    )
    await outbox.send_later([email])
    await outbox.OutboxMessage.all().update(
        status=outbox.FAILED, attempts=10, last_error="550 mailbox unavailable"
    )


def test_an_admin_sees_an_email_not_sent_and_sends_it_again(client: TestClient) -> None:
    assert client.portal is not None
    client.portal.call(a_receipt_the_relay_refused)
    sign_in_as(client, "admin")

    page = client.get("/staff/emails")

    assert page.status_code == 200
    assert "Receipt to a respondent (CPB-7K3P-2QXD)" in page.text
    assert "sam@example.org" in page.text
    assert "550 mailbox unavailable" in page.text
    assert "Your reference is" not in page.text  # bodies are never shown
    assert "Not sent: 1." in page.text
    action = re.search(r'action="(/staff/emails/[^"]+/try-again)"', page.text)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert action
    assert token

    sent_again = client.post(action.group(1), data={"csrf_token": token.group(1)})

    assert sent_again.status_code == 200
    assert "The email will be sent again now" in sent_again.text
    assert "Waiting to be sent: 1." in sent_again.text
    assert "Every email has been sent or is waiting its turn." in sent_again.text


def test_sending_again_without_the_pages_token_changes_nothing(client: TestClient) -> None:
    assert client.portal is not None
    client.portal.call(a_receipt_the_relay_refused)
    sign_in_as(client, "admin")
    page = client.get("/staff/emails")
    action = re.search(r'action="(/staff/emails/[^"]+/try-again)"', page.text)
    assert action

    refused = client.post(action.group(1), data={"csrf_token": "forged"})

    assert refused.status_code == 403
    assert "Not sent: 1." in client.get("/staff/emails").text


def test_only_admins_see_the_emails_not_sent(client: TestClient) -> None:
    sign_in_as(client, "reviewer")

    assert client.get("/staff/emails").status_code == 403
