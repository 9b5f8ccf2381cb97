"""Feedback on home support against the charter, with JavaScript off: each role answers its own
questions, the standards are a grid with "Does not apply", and contact details are asked only of
someone who wants to hear back."""

from __future__ import annotations

from typing import Any

from starlette.testclient import TestClient

from tests.journeys.story import (
    and_i_answer,
    and_i_send_my_answers,
    error_summary_of,
    reference_on,
    stored_submission,
    then_i_am_on,
    then_i_do_not_see,
    then_i_see,
    when_i_start,
)

SLUG = "home-support-charter-feedback"
FORM = f"/forms/{SLUG}"
STATEMENTS = (
    "on_time",
    "told_if_late",
    "same_workers",
    "not_rushed",
    "dignity_respect",
    "know_my_needs",
    "skilled",
    "involved_in_plan",
    "independence",
    "easy_to_contact",
    "complaints",
)


def my_view_of_each_standard(question: str, answer: str, *, except_: str = "") -> dict[str, str]:
    """The same answer to every statement of a standards grid, except one that does not apply."""
    return {
        f"{question}-{statement}": "does_not_apply" if statement == except_ else answer
        for statement in STATEMENTS
    }


def test_someone_who_gets_care_rates_the_standards_and_sends_without_contact_details(
    client: TestClient,
) -> None:
    page = when_i_start(client, SLUG)
    then_i_see(page, "Exit this page")
    page = and_i_answer(client, page, {"role": "receives_care"})
    then_i_am_on(page, f"{FORM}/receives_care_agency_page")
    page = and_i_answer(client, page, {"receives_care_agency": ""})
    page = and_i_answer(
        client, page, my_view_of_each_standard("receives_care_standards", "agree", except_="complaints")
    )
    page = and_i_answer(client, page, {"receives_care_comments": "They are kind but often late."})
    then_i_am_on(page, f"{FORM}/contact_wanted_page")
    page = and_i_answer(client, page, {"contact_wanted": "no"})

    then_i_am_on(page, f"{FORM}/check-answers")
    then_i_do_not_see(page, "How well does the agency keep you informed", "What is the name of your agency?")
    answers: dict[str, Any] = dict(
        stored_submission(client, reference_on(and_i_send_my_answers(client, page))).answers
    )
    assert answers["receives_care_standards"]["complaints"] == "does_not_apply"
    assert answers["receives_care_standards"]["on_time"] == "agree"
    assert "contact_name" not in answers


def test_a_standard_left_unanswered_is_named_in_the_error(client: TestClient) -> None:
    page = when_i_start(client, SLUG)
    page = and_i_answer(client, page, {"role": "carer"})
    page = and_i_answer(client, page, {"carer_agency": "Helping Hands"})
    answers = my_view_of_each_standard("carer_standards", "disagree")
    del answers["carer_standards-skilled"]

    page = and_i_answer(client, page, answers)

    then_i_am_on(page, f"{FORM}/carer_standards_page", status=422)
    assert error_summary_of(page) == [
        "Select an answer for “Care workers have the skills to care for me safely”"
    ]
    then_i_see(page, 'value="disagree" checked')


def test_an_agency_worker_answers_for_their_agency_and_asks_to_be_phoned(client: TestClient) -> None:
    page = when_i_start(client, SLUG)
    page = and_i_answer(client, page, {"role": "agency"})
    then_i_am_on(page, f"{FORM}/agency_name_page")
    page = and_i_answer(client, page, {"agency_name": "Helping Hands"})
    page = and_i_answer(client, page, {"agency_job": "other", "agency_job__other": "Trainer"})
    page = and_i_answer(client, page, my_view_of_each_standard("agency_standards", "mostly"))
    page = and_i_answer(client, page, {"agency_barriers": "Travel time between visits."})
    page = and_i_answer(client, page, {"agency_help": ""})
    page = and_i_answer(client, page, {"contact_wanted": "yes"})
    then_i_am_on(page, f"{FORM}/contact_details_page")
    page = and_i_answer(
        client, page, {"contact_name": "Pat Lee", "contact_method": "phone", "contact_phone": "01865 111222"}
    )

    then_i_am_on(page, f"{FORM}/check-answers")
    then_i_see(page, "Trainer", "Pat Lee")
    answers: dict[str, Any] = dict(
        stored_submission(client, reference_on(and_i_send_my_answers(client, page))).answers
    )
    assert answers["agency_job__other"] == "Trainer"
    assert answers["contact_phone"].replace(" ", "") == "01865111222"
    assert "contact_email" not in answers
