"""The review workspace in the browser's place: lists, responses, tags, notes, flags, files, erasure."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import replace

import pytest
from starlette.applications import Starlette
from starlette.testclient import TestClient

from app import create_app
from engine import storage
from engine.definition import Form
from engine.loader import load_form_text
from engine.outbox import OutboxMessage
from engine.settings import Settings
from engine.web.staff import COOKIE, COOKIE_PATH
from tests.web.staff_helpers import sign_in_as, signed_in_session

FORM = """
title: Have your say on buses
reference_prefix: BUS
pages:
  - id: about
    title: About you
    questions:
      - id: name
        type: name
        label: Your name
        personal: true
      - id: age_band
        type: radios
        label: How old are you?
        personal: true
        options:
          - {value: young, label: Under 25}
          - {value: older, label: 25 or over}
  - id: travel
    title: Travel
    questions:
      - id: mode
        type: checkboxes
        label: How do you travel, ((name))?
        options:
          - {value: bus, label: Bus}
          - {value: car, label: Car}
      - id: usual
        type: radios
        label: Which do you use most?
        options:
          - {value: bus, label: Bus}
          - {value: car, label: Car}
      - id: ideas
        type: long_text
        label: Your ideas
        optional: true
      - id: photo
        type: file
        label: A photo of your bus stop
        optional: true
"""

ALICE: dict[str, storage.JSONInput] = {
    "name": "Alice Smith",
    "age_band": "young",
    "mode": ["bus"],
    "usual": "bus",
    "ideas": "Later buses on Sundays",
}
BOB: dict[str, storage.JSONInput] = {
    "name": "Bob Jones",
    "age_band": "older",
    "mode": ["car"],
    "usual": "car",
}


@pytest.fixture
def form() -> Form:
    return load_form_text(FORM, "buses.yaml")


@pytest.fixture
def app(settings: Settings, form: Form) -> Starlette:
    return create_app(settings, forms={"buses": form})


@pytest.fixture
def client(app: Starlette) -> Iterator[TestClient]:
    with TestClient(app, raise_server_exceptions=False, follow_redirects=False) as client:
        yield client


def seed(client: TestClient, form: Form, *answers: dict[str, storage.JSONInput]) -> list[str]:
    assert client.portal is not None
    return client.portal.call(storage.import_submissions, form.slug, form.version, "en", answers, "BUS")


def token(client: TestClient, url: str) -> str:
    found = re.search(r'<meta name="csrf-token" content="([^"]+)">', client.get(url).text)
    assert found is not None
    return found.group(1)


def post(client: TestClient, url: str, page: str, **data: str) -> str:
    """POST from `page` (as the browser would, with its CSRF token); returns where it redirected."""
    answer = client.post(url, data={"csrf_token": token(client, page), **data})
    assert answer.status_code == 303, answer.text
    return answer.headers["location"]


def response_url(reference: str) -> str:
    return f"/staff/forms/buses/responses/{reference}"


# --- the board never sees personal answers ---------------------------------------------------------


def test_the_board_never_sees_a_personal_answer_on_the_list_or_the_response_page(
    client: TestClient, form: Form
) -> None:
    (alice,) = seed(client, form, ALICE)
    sign_in_as(client, "board")

    listed = client.get("/staff/forms/buses/responses").text
    page = client.get(response_url(alice)).text

    for html in (listed, page):
        assert "Alice" not in html
        assert "Smith" not in html
        assert "Under 25" not in html
    assert "Hidden: personal information" in page
    assert "How do you travel, [hidden]?" in page
    assert "Later buses on Sundays" in page
    assert 'name="answer.age_band"' not in listed
    assert 'name="answer.mode"' not in listed
    assert 'name="answer.usual"' in listed


def test_the_board_cannot_filter_or_search_on_personal_questions(client: TestClient, form: Form) -> None:
    seed(client, form, ALICE, BOB)
    sign_in_as(client, "board")

    searched = client.get("/staff/forms/buses/responses", params={"q": "Alice"}).text
    filtered = client.get("/staff/forms/buses/responses", params={"answer.age_band": "young"}).text

    assert "No responses match" in searched
    assert "You cannot filter on a personal question" in filtered
    assert "Showing 1 to 2 of 2 responses" in filtered


def test_a_reviewer_can_search_and_filter_on_personal_questions(client: TestClient, form: Form) -> None:
    alice, _ = seed(client, form, ALICE, BOB)
    sign_in_as(client, "reviewer")

    searched = client.get("/staff/forms/buses/responses", params={"q": "alice"}).text
    filtered = client.get("/staff/forms/buses/responses", params={"answer.age_band": "young"}).text

    for html in (searched, filtered):
        assert "Showing 1 to 1 of 1 responses" in html
        assert alice in html


# --- the list and the response page ----------------------------------------------------------------


def test_the_list_shows_fifty_responses_a_page_and_keeps_the_filter_when_paging(
    client: TestClient, form: Form
) -> None:
    seed(client, form, *([ALICE] * 52), BOB)
    sign_in_as(client, "reviewer")

    first = client.get("/staff/forms/buses/responses", params={"answer.usual": "bus"}).text
    second = client.get("/staff/forms/buses/responses", params={"answer.usual": "bus", "page": "2"}).text

    assert "Showing 1 to 50 of 52 responses" in first
    assert 'href="/staff/forms/buses/responses?answer.usual=bus&amp;page=2" rel="next"' in first
    assert "Showing 51 to 52 of 52 responses" in second


def test_a_response_shows_answers_under_the_labels_of_the_version_answered(
    client: TestClient, form: Form
) -> None:
    old_yaml = FORM.replace("Which do you use most?", "What do you use most often?")
    old = load_form_text(old_yaml, "buses.yaml")
    assert client.portal is not None
    client.portal.call(storage.record_form_version, "buses", old.version, {"yaml": old_yaml})
    (reference,) = client.portal.call(storage.import_submissions, "buses", old.version, "en", [ALICE], "BUS")
    sign_in_as(client, "reviewer")

    page = client.get(response_url(reference)).text

    assert "What do you use most often?" in page
    assert "Which do you use most?" not in page
    assert "Alice Smith" in page


def test_next_and_previous_move_through_the_filtered_list(client: TestClient, form: Form) -> None:
    # One at a time, so each has its own submission time: the list is newest first.
    (first,), _, (third,) = (seed(client, form, answers) for answers in (ALICE, BOB, ALICE))
    sign_in_as(client, "reviewer")

    oldest = client.get(response_url(first), params={"answer.usual": "bus"}).text
    newest = client.get(response_url(third), params={"answer.usual": "bus"}).text

    assert f'href="{response_url(third)}?answer.usual=bus" rel="prev">Newer response' in oldest
    assert "Older response" not in oldest
    assert f'href="{response_url(first)}?answer.usual=bus" rel="next">Older response' in newest


# --- reviewing -------------------------------------------------------------------------------------


def test_status_tags_and_notes_are_saved_and_each_change_is_audited(client: TestClient, form: Form) -> None:
    (alice,) = seed(client, form, ALICE)
    sign_in_as(client, "reviewer", "rev@example.org")
    page = response_url(alice)

    post(client, f"{page}/status", page, status="in_review")
    post(client, "/staff/forms/buses/tags", page, name="Timetables", back=page)
    post(client, f"{page}/tags", page, tag="Timetables")
    post(client, f"{page}/notes", page, note="Ring back on Monday")
    shown = client.get(page).text
    audit = client.get("/staff/forms/buses/audit").text

    assert "In review" in shown
    assert "Ring back on Monday" in shown
    assert "Timetables" in client.get("/staff/forms/buses/responses", params={"tag": "Timetables"}).text
    for words in ("Changed the status", "Made a tag", "Added a tag", "Added a note", "rev@example.org"):
        assert words in audit


def test_an_empty_note_is_refused_with_an_error_linked_to_the_box(client: TestClient, form: Form) -> None:
    (alice,) = seed(client, form, ALICE)
    sign_in_as(client, "reviewer")
    page = response_url(alice)

    answer = client.post(f"{page}/notes", data={"csrf_token": token(client, page), "note": "   "})

    assert answer.status_code == 400
    assert '<a href="#note">Enter a note</a>' in answer.text
    assert "<title>Error: " in answer.text


def test_bulk_tagging_tags_the_ticked_responses_or_every_matching_one(client: TestClient, form: Form) -> None:
    alice, bob, carol = seed(client, form, ALICE, BOB, ALICE)
    sign_in_as(client, "reviewer")
    listing = "/staff/forms/buses/responses"
    post(client, "/staff/forms/buses/tags", listing, name="Sundays", back=listing)
    post(client, "/staff/forms/buses/tags", listing, name="Cars", back=listing)

    ticked = client.post(
        f"{listing}/bulk-tag",
        data={
            "csrf_token": token(client, listing),
            "reference": [alice, bob],
            "tag": "Sundays",
            "scope": "selected",
        },
    )
    matching = post(
        client, f"{listing}/bulk-tag", listing, tag="Cars", scope="matching", list_query="answer.usual=car"
    )

    assert ticked.headers["location"].endswith("tagged=2+Sundays")
    assert "2 responses tagged Sundays" in client.get(ticked.headers["location"]).text
    assert matching.startswith(f"{listing}?answer.usual=car&")
    sundays = client.get(listing, params={"tag": "Sundays"}).text
    cars = client.get(listing, params={"tag": "Cars"}).text
    assert alice in sundays
    assert bob in sundays
    assert carol not in sundays
    assert bob in cars
    assert alice not in cars
    assert carol not in cars


def test_bulk_tagging_with_nothing_ticked_says_what_to_do(client: TestClient, form: Form) -> None:
    seed(client, form, ALICE)
    sign_in_as(client, "reviewer")
    listing = "/staff/forms/buses/responses"
    post(client, "/staff/forms/buses/tags", listing, name="Sundays", back=listing)

    location = post(client, f"{listing}/bulk-tag", listing, tag="Sundays", scope="selected")

    assert '<a href="#bulk-tag">Select at least one response to tag</a>' in client.get(location).text


# --- safeguarding ----------------------------------------------------------------------------------


def test_a_flagged_response_reaches_the_safeguarding_list_and_its_handling_is_audited(
    client: TestClient, form: Form
) -> None:
    alice, bob = seed(client, form, ALICE, BOB)
    _, reviewer = signed_in_session(client, "reviewer", "rev@example.org")
    _, safeguarding = signed_in_session(client, "safeguarding", "safe@example.org")
    page = response_url(alice)

    client.cookies.set(COOKIE, safeguarding, path=COOKIE_PATH)
    before = client.get(page).status_code
    client.cookies.set(COOKIE, reviewer, path=COOKIE_PATH)
    post(client, f"{page}/flag", page, reason="Says they feel unsafe")
    client.cookies.set(COOKIE, safeguarding, path=COOKIE_PATH)
    listed = client.get("/staff/safeguarding").text
    opened = client.get(page)
    post(client, f"{page}/flag/close", page, outcome="Called the family")
    after = client.get("/staff/safeguarding").text
    client.cookies.set(COOKIE, reviewer, path=COOKIE_PATH)
    history = client.get(page).text

    assert before == 404
    assert alice in listed
    assert "Says they feel unsafe" in listed
    assert bob not in listed
    assert opened.status_code == 200
    assert "Alice Smith" in opened.text
    assert "There are no open safeguarding concerns." in after
    assert "Raised a safeguarding concern" in history
    assert "Closed a safeguarding concern" in history
    assert "Safeguarding concern closed: Called the family" in history


def test_the_board_is_not_told_a_response_was_flagged(client: TestClient, form: Form) -> None:
    (alice,) = seed(client, form, ALICE)
    assert client.portal is not None
    client.portal.call(storage.flag_submission, "buses", alice, "Worried", "rev@example.org")
    sign_in_as(client, "board")

    page = client.get(response_url(alice)).text
    listed = client.get("/staff/forms/buses/responses").text

    assert "Worried" not in page
    assert "safeguarding concern" not in page.lower()
    assert "Safeguarding concern" not in listed


# --- files -----------------------------------------------------------------------------------------


def test_uploaded_files_are_only_ever_downloads(client: TestClient, form: Form) -> None:
    assert client.portal is not None
    draft, _ = client.portal.call(storage.create_draft, "buses", form.version, "en")
    html = b"<script>alert(1)</script>"
    stored = client.portal.call(storage.store_file, draft.id, "photo", 'arrêt "1".html', "text/html", html)
    submission = client.portal.call(storage.submit, draft.id, {**ALICE, "photo": [stored.id]}, "BUS")
    sign_in_as(client, "reviewer")

    page = client.get(response_url(submission.reference)).text
    download = client.get(f"{response_url(submission.reference)}/files/{stored.id}")

    assert f'href="{response_url(submission.reference)}/files/{stored.id}" download' in page
    assert download.content == html
    assert download.headers["content-type"] == "application/octet-stream"
    assert download.headers["content-disposition"].startswith('attachment; filename="arr_t _1_.html"')
    assert "filename*=UTF-8''arr%C3%AAt%20%221%22.html" in download.headers["content-disposition"]
    assert download.headers["x-content-type-options"] == "nosniff"
    assert "sandbox" in download.headers["content-security-policy"]


def test_a_file_of_another_response_is_not_served_under_this_one(client: TestClient, form: Form) -> None:
    assert client.portal is not None
    (bob,) = seed(client, form, BOB)
    draft, _ = client.portal.call(storage.create_draft, "buses", form.version, "en")
    stored = client.portal.call(storage.store_file, draft.id, "photo", "a.png", "image/png", b"png")
    client.portal.call(storage.submit, draft.id, {**ALICE, "photo": [stored.id]}, "BUS")
    sign_in_as(client, "reviewer")

    assert client.get(f"{response_url(bob)}/files/{stored.id}").status_code == 404


# --- erasure ---------------------------------------------------------------------------------------


def test_an_admin_finds_a_response_by_reference_and_deletes_it_with_an_audit_entry(
    client: TestClient, form: Form
) -> None:
    alice, bob = seed(client, form, ALICE, BOB)
    sign_in_as(client, "admin", "admin@example.org")

    found = client.get("/staff/erasure", params={"reference": alice.lower()}).text
    unconfirmed = client.post(
        "/staff/erasure", data={"csrf_token": token(client, "/staff/erasure"), "reference": alice}
    )
    location = post(client, "/staff/erasure", "/staff/erasure", reference=alice, confirm="yes")

    assert "Have your say on buses" in found
    assert "Delete this response" in found
    assert unconfirmed.status_code == 400
    assert "Confirm that this is the response to delete" in unconfirmed.text
    assert f"Response {alice} has been deleted" in client.get(location).text
    assert client.get(response_url(alice)).status_code == 404
    assert client.get(response_url(bob)).status_code == 200
    audit = client.get("/staff/forms/buses/audit").text
    assert "Deleted the response (right to erasure)" in audit
    assert alice in audit


def test_looking_up_a_reference_that_does_not_exist_says_so(client: TestClient, form: Form) -> None:
    sign_in_as(client, "admin")

    answer = client.get("/staff/erasure", params={"reference": "BUS-2222-2222"})

    assert answer.status_code == 400
    assert "No response has that reference" in answer.text


def test_raising_a_concern_emails_each_safeguarding_user_at_once_without_the_reason(
    settings: Settings, form: Form
) -> None:
    emailing = replace(
        settings,
        smtp_host="127.0.0.1",
        smtp_port=9,  # nothing listens: the message stays in the outbox, which is what is checked
        mail_from="Council forms <forms@example.gov.uk>",
        public_url="https://forms.example.gov.uk",
    )
    with TestClient(create_app(emailing, forms={"buses": form}), follow_redirects=False) as client:
        (alice,) = seed(client, form, ALICE)
        signed_in_session(client, "safeguarding", "safe@example.org")
        signed_in_session(client, "board", "board@example.org")
        sign_in_as(client, "reviewer")
        post(client, f"{response_url(alice)}/flag", response_url(alice), reason="Mentions Alice's address")
        assert client.portal is not None
        sent = client.portal.call(outbox_rows)

    assert [(row.to_address, row.kind, row.reference) for row in sent] == [
        ("safe@example.org", "safeguarding_alert", alice)
    ]
    assert f"https://forms.example.gov.uk/staff/forms/buses/responses/{alice}" in sent[0].text_body
    assert "address" not in sent[0].text_body
    assert "Alice" not in sent[0].html_body


async def outbox_rows() -> list[OutboxMessage]:
    return await OutboxMessage.all()
