"""The example form that shows authors every question type, with JavaScript off: someone under 16 is
sent to the exit page, a neighbour who has never visited still answers about the garden, and the
form speaks Welsh."""

from __future__ import annotations

from httpx2 import Response
from starlette.testclient import TestClient

from tests.journeys.story import (
    and_i_answer,
    heading_of,
    then_i_am_on,
    then_i_do_not_see,
    then_i_see,
    when_i_start,
)

SLUG = "every-question-type"
FORM = f"/forms/{SLUG}"


def i_give_my_name_and_date_of_birth(client: TestClient) -> Response:
    """From the start to the contact page, as an adult born in 1990."""
    page = when_i_start(client, SLUG)
    page = and_i_answer(client, page, {})
    page = and_i_answer(client, page, {"agree": "yes"})
    page = and_i_answer(client, page, {"nickname": ""})
    page = and_i_answer(client, page, {"full_name": "Sam Taylor"})
    return and_i_answer(
        client, page, {"date_of_birth-day": "27", "date_of_birth-month": "3", "date_of_birth-year": "1990"}
    )


def test_someone_under_16_is_asked_to_fill_it_in_with_an_adult(client: TestClient) -> None:
    page = when_i_start(client, SLUG)
    page = and_i_answer(client, page, {})
    page = and_i_answer(client, page, {"agree": "yes"})
    page = and_i_answer(client, page, {"nickname": "Jo"})
    page = and_i_answer(client, page, {"full_name": "Jo Smith"})

    page = and_i_answer(
        client, page, {"date_of_birth-day": "1", "date_of_birth-month": "6", "date_of_birth-year": "2015"}
    )

    then_i_am_on(page, f"{FORM}/too_young")
    assert heading_of(page) == "Ask an adult to fill in this form with you"
    then_i_do_not_see(page, "Continue")


def test_a_neighbour_who_has_never_visited_is_still_asked_how_they_are_involved(client: TestClient) -> None:
    page = i_give_my_name_and_date_of_birth(client)
    page = and_i_answer(client, page, {"email": "sam@example.org", "phone": "", "postcode": "OX4 1AA"})
    page = and_i_answer(
        client,
        page,
        {
            "home_address-line1": "2 Garden Row",
            "home_address-town": "Oxford",
            "home_address-postcode": "OX4 1AA",
        },
    )

    page = and_i_answer(client, page, {"visits": "0"})

    then_i_am_on(page, f"{FORM}/role_page")
    then_i_see(page, "I live next to it")


def test_someone_far_away_who_has_never_visited_skips_to_their_ideas(client: TestClient) -> None:
    page = i_give_my_name_and_date_of_birth(client)
    page = and_i_answer(client, page, {"email": "sam@example.org", "phone": "", "postcode": "SW1A 2AA"})

    page = and_i_answer(client, page, {"visits": "0"})

    then_i_am_on(page, f"{FORM}/ideas_page")


def test_the_form_can_be_filled_in_in_welsh(client: TestClient) -> None:
    page = when_i_start(client, SLUG, lang="cy")

    page = and_i_answer(client, page, {})

    assert heading_of(page).startswith("Rwy'n deall mai enghraifft yw hon")
