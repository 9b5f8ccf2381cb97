"""Telling the council you would like to be a co-production champion, with JavaScript off: people who
work in services are asked for their organisation, "I am not sure yet" stands alone, and the
contact method asked for is the one stored."""

from __future__ import annotations

from httpx2 import Response
from starlette.testclient import TestClient

from tests.journeys.story import (
    and_i_answer,
    and_i_send_my_answers,
    error_summary_of,
    reference_on,
    stored_submission,
    then_i_am_on,
    then_i_see,
    when_i_start,
)

SLUG = "coproduction-champions"
FORM = f"/forms/{SLUG}"


def i_say_when_and_how_i_can_take_part(client: TestClient, page: Response) -> Response:
    page = and_i_answer(client, page, {"why_interested": ""})
    page = and_i_answer(
        client,
        page,
        {"availability": ["weekday_evenings"], "how_often": "every_few_months", "meeting_format": "online"},
    )
    return and_i_answer(client, page, {"access_needs": "Papers in large print."})


def test_a_council_worker_is_asked_for_their_team_and_sends_their_interest(client: TestClient) -> None:
    page = when_i_start(client, SLUG)
    page = and_i_answer(client, page, {"who_you_are": ["carer", "council_staff"]})
    then_i_am_on(page, f"{FORM}/organisation_page")
    page = and_i_answer(client, page, {"organisation": "Adult social care"})
    page = and_i_answer(client, page, {"activities": ["meetings", "promote"]})
    page = i_say_when_and_how_i_can_take_part(client, page)
    page = and_i_answer(client, page, {"full_name": "Chris Green"})
    page = and_i_answer(client, page, {"contact_method": "email", "email": "chris@example.org"})
    page = and_i_answer(client, page, {"postcode": "ox4 1aa"})

    then_i_am_on(page, f"{FORM}/check-answers")
    then_i_see(page, "Adult social care", "OX4 1AA")
    page = and_i_send_my_answers(client, page)
    then_i_see(page, "within 3 weeks")
    answers = stored_submission(client, reference_on(page)).answers
    assert answers["who_you_are"] == ["carer", "council_staff"]
    assert answers["email"] == "chris@example.org"
    assert "phone" not in answers


def test_someone_who_uses_services_goes_straight_to_what_they_would_like_to_do(client: TestClient) -> None:
    page = when_i_start(client, SLUG)

    page = and_i_answer(client, page, {"who_you_are": ["uses_services"]})

    then_i_am_on(page, f"{FORM}/activities_page")


def test_not_sure_yet_cannot_be_chosen_with_an_activity(client: TestClient) -> None:
    page = when_i_start(client, SLUG)
    page = and_i_answer(client, page, {"who_you_are": ["family"]})

    page = and_i_answer(client, page, {"activities": ["projects", "not_sure"]})

    then_i_am_on(page, f"{FORM}/activities_page", status=422)
    assert len(error_summary_of(page)) == 1
    then_i_see(page, "I am not sure yet")
