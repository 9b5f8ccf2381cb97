"""Claiming expenses for a board meeting, with JavaScript off: journeys added, changed and removed
("add another"), a receipt uploaded, a bank account, and the claim sent."""

from __future__ import annotations

import io
import re
from typing import Any

import pytest
from httpx2 import Response
from PIL import Image
from starlette.testclient import TestClient

from engine import storage
from tests.journeys.story import (
    and_i_answer,
    error_summary_of,
    forms_on,
    heading_of,
    press,
    reference_on,
    stored_submission,
    then_i_am_on,
    then_i_do_not_see,
    then_i_see,
    when_i_start,
)

SLUG = "board-expenses-claim"
FORM = f"/forms/{SLUG}"
JOURNEYS = f"{FORM}/journeys"


def a_receipt_photo() -> bytes:
    image = io.BytesIO()
    Image.new("RGB", (8, 8), "white").save(image, "PNG")
    return image.getvalue()


def i_get_to_my_journeys(client: TestClient) -> Response:
    page = when_i_start(client, SLUG)
    page = and_i_answer(client, page, {"full_name": "Ali Khan"})
    page = and_i_answer(client, page, {"email": "ali@example.org", "phone": ""})
    page = and_i_answer(
        client, page, {"meeting_date-day": "12", "meeting_date-month": "Nov", "meeting_date-year": "2026"}
    )
    page = and_i_answer(client, page, {"meeting_type": "board_meeting"})
    page = and_i_answer(client, page, {"claiming_time": "yes"})
    page = and_i_answer(client, page, {"hours": "2.5"})
    return and_i_answer(client, page, {"travelled": "yes"})


def a_journey(start: str, end: str, cost: str) -> dict[str, str]:
    return {
        "journey_from": start,
        "journey_to": end,
        "journey_mode": "public_transport",
        "journey_cost": cost,
    }


def test_a_member_adds_changes_and_removes_journeys_then_sends_the_claim(client: TestClient) -> None:
    page = i_get_to_my_journeys(client)
    then_i_am_on(page, f"{JOURNEYS}/items/new")

    page = and_i_answer(client, page, a_journey("Banbury", "Oxford", "6.40"))
    then_i_am_on(page, JOURNEYS)
    then_i_see(page, "Journey 1", "Banbury", "Do you want to add another journey?")
    page = and_i_answer(client, page, {"add_another": "yes"})
    then_i_am_on(page, f"{JOURNEYS}/items/new")
    page = and_i_answer(client, page, a_journey("Oxford", "Banbury", "6.40"))
    page = and_i_answer(client, page, {"add_another": "yes"})
    page = and_i_answer(client, page, a_journey("Oxford", "Didcot", "99"))
    then_i_see(page, "Journey 3", "Didcot")

    change = client.get(f"{JOURNEYS}/items/2")
    then_i_see(change, 'value="Oxford"', 'value="6.40"')
    page = and_i_answer(client, change, a_journey("Oxford", "Bicester", "5.10"))
    then_i_am_on(page, JOURNEYS)
    then_i_see(page, "Bicester")
    then_i_do_not_see(page, "Banbury\n")

    remove = client.get(f"{JOURNEYS}/items/3/remove")
    assert heading_of(remove) == "Are you sure you want to remove journey 3?"
    page = and_i_answer(client, remove, {"confirm_remove": "yes"})
    then_i_am_on(page, JOURNEYS)
    then_i_do_not_see(page, "Didcot", "Journey 3")

    page = and_i_answer(client, page, {"add_another": "no"})
    then_i_am_on(page, f"{FORM}/has_expenses_page")
    page = and_i_answer(client, page, {"has_expenses": "no"})
    then_i_am_on(page, f"{FORM}/receipts_page")
    page = and_i_answer(client, page, {}, files={"receipts": ("ticket.png", a_receipt_photo(), "image/png")})
    page = and_i_answer(
        client,
        page,
        {
            "bank_details-account_name": "A Khan",
            "bank_details-sort_code": "30-94-30",
            "bank_details-account_number": "733445",
        },
    )
    page = and_i_answer(client, page, {"declaration": "yes"})
    then_i_am_on(page, f"{FORM}/check-answers")
    then_i_see(page, "Journey 1", "Journey 2", "1 file uploaded", "30-94-30")

    page = press(client, page, {})

    answers: dict[str, Any] = dict(stored_submission(client, reference_on(page)).answers)
    assert [journey["journey_to"] for journey in answers["journeys"]] == ["Oxford", "Bicester"]
    assert answers["journeys"][1]["journey_cost"] == "5.10"
    assert len(answers["receipts"]) == 1
    assert answers["bank_details"]["account_number"] == "00733445"
    assert answers["meeting_date"] == "2026-11-12"


def test_saying_no_more_journeys_before_adding_one_asks_for_one(client: TestClient) -> None:
    page = i_get_to_my_journeys(client)
    page = and_i_answer(client, page, a_journey("Banbury", "Oxford", "6.40"))
    remove = client.get(f"{JOURNEYS}/items/1/remove")
    page = and_i_answer(client, remove, {"confirm_remove": "yes"})
    then_i_am_on(page, f"{JOURNEYS}/items/new")


def test_a_journey_with_mistakes_is_shown_back_with_each_error(client: TestClient) -> None:
    page = i_get_to_my_journeys(client)

    page = and_i_answer(client, page, {"journey_from": "Banbury", "journey_cost": "six pounds"})

    then_i_am_on(page, f"{JOURNEYS}/items/new", status=422)
    assert len(error_summary_of(page)) == 3
    then_i_see(page, 'value="Banbury"', 'value="six pounds"')


def test_a_file_that_is_not_a_receipt_type_is_refused_and_nothing_is_kept(client: TestClient) -> None:
    page = i_get_to_my_journeys(client)
    page = and_i_answer(client, page, a_journey("Banbury", "Oxford", "6.40"))
    page = and_i_answer(client, page, {"add_another": "no"})
    page = and_i_answer(client, page, {"has_expenses": "no"})

    page = and_i_answer(
        client, page, {}, files={"receipts": ("receipt.pdf", b"MZ\x90\x00 not a pdf", "application/pdf")}
    )

    then_i_am_on(page, f"{FORM}/receipts_page", status=422)
    assert len(error_summary_of(page)) == 1
    then_i_see(page, 'href="#receipts"')


def test_a_receipt_sent_with_a_refused_file_is_kept_and_listed_so_it_need_not_be_sent_again(
    client: TestClient,
) -> None:
    page = i_get_to_the_receipts_page(client)
    not_a_pdf = ("receipt.pdf", b"MZ\x90\x00 not a pdf", "application/pdf")

    page = and_i_answer(
        client,
        page,
        {},
        files=[("receipts", ("ticket.png", a_receipt_photo(), "image/png")), ("receipts", not_a_pdf)],
    )

    then_i_am_on(page, f"{FORM}/receipts_page", status=422)
    assert len(error_summary_of(page)) == 1
    then_i_see(page, "1 file uploaded", "ticket.png")
    assert sorted(removable_files_on(page)) == ["ticket.png"]
    page = and_i_answer(client, page, {})
    assert page.url.path != f"{FORM}/receipts_page"
    then_i_see(client.get(f"{FORM}/receipts_page"), "1 file uploaded", "ticket.png")


def i_get_to_the_receipts_page(client: TestClient) -> Response:
    page = i_get_to_my_journeys(client)
    page = and_i_answer(client, page, a_journey("Banbury", "Oxford", "6.40"))
    page = and_i_answer(client, page, {"add_another": "no"})
    return and_i_answer(client, page, {"has_expenses": "no"})


def removable_files_on(page: Response) -> dict[str, str]:
    """Each listed file's Remove form: the button's hidden words (the file name) -> the form's action."""
    actions = {action for action, _ in forms_on(page) if action.endswith("/remove")}
    names = re.findall(
        r'form="remove-([^"]+)">Remove<span class="visually-hidden"> ([^<]+)</span>', page.text
    )
    return {name: next(a for a in actions if f"/files/{file_id}/remove" in a) for file_id, name in names}


def test_a_member_sees_the_receipts_already_sent_and_removes_one_which_is_deleted(client: TestClient) -> None:
    page = i_get_to_the_receipts_page(client)
    page = and_i_answer(client, page, {}, files={"receipts": ("ticket.png", a_receipt_photo(), "image/png")})
    page = client.get(f"{FORM}/receipts_page")
    page = and_i_answer(client, page, {}, files={"receipts": ("parking.png", a_receipt_photo(), "image/png")})
    page = client.get(f"{FORM}/receipts_page")
    then_i_see(page, "2 files uploaded", "ticket.png", "parking.png")
    listed = removable_files_on(page)
    assert sorted(listed) == ["parking.png", "ticket.png"]
    removed_id = listed["ticket.png"].split("/files/")[1].split("/")[0]
    remove_ticket = [action for action, _ in forms_on(page)].index(listed["ticket.png"])

    page = press(client, page, {}, form_index=remove_ticket)

    then_i_am_on(page, f"{FORM}/receipts_page")
    then_i_see(page, "1 file uploaded", "parking.png")
    then_i_do_not_see(page, "ticket.png")
    portal = client.portal
    assert portal is not None
    with pytest.raises(storage.NotFound):
        portal.call(storage.get_file, removed_id)


def test_removing_a_receipt_without_the_pages_token_removes_nothing(client: TestClient) -> None:
    page = i_get_to_the_receipts_page(client)
    page = and_i_answer(client, page, {}, files={"receipts": ("ticket.png", a_receipt_photo(), "image/png")})
    page = client.get(f"{FORM}/receipts_page")
    action = removable_files_on(page)["ticket.png"]

    refused = client.post(action, data={"csrf_token": "forged"})

    assert refused.status_code == 403
    then_i_see(client.get(f"{FORM}/receipts_page"), "1 file uploaded", "ticket.png")
