"""Applying to join the co-production board, with JavaScript off: the main route, the route out
for people who do not live in Oxfordshire, errors, changing an answer from check answers, and a
double submit."""

from __future__ import annotations

from httpx2 import Response
from starlette.testclient import TestClient

from tests.journeys.story import (
    and_i_answer,
    error_summary_of,
    heading_of,
    press,
    reference_on,
    stored_submission,
    then_i_am_on,
    then_i_do_not_see,
    then_i_see,
    title_of,
    when_i_start,
)

SLUG = "coproduction-board-application"
FORM = f"/forms/{SLUG}"


def i_answer_the_questions_about_me_and_the_board(client: TestClient, page: Response) -> Response:
    """From "Why would you like to join?" to check answers, with the answers most people give."""
    page = and_i_answer(client, page, {"why_join": "To make services better for carers."})
    page = and_i_answer(client, page, {"services_interest": "Support at home."})
    page = and_i_answer(client, page, {"openness_confidentiality": "I would ask what can be shared."})
    page = and_i_answer(client, page, {"working_with_others": "At my residents' group."})
    page = and_i_answer(client, page, {"sharing_views": ["small_groups", "writing"]})
    page = and_i_answer(client, page, {"full_name": "Sam Taylor"})
    page = and_i_answer(
        client,
        page,
        {
            "home_address-line1": "1 High Street",
            "home_address-town": "Oxford",
            "home_address-postcode": "ox11aa",
        },
    )
    page = and_i_answer(client, page, {"preferred_contact": "email", "email": "sam@example.org"})
    page = and_i_answer(client, page, {"meeting_format": "either"})
    page = and_i_answer(client, page, {"support_needs": ["papers_early"]})
    page = and_i_answer(client, page, {"support_details": ""})
    page = and_i_answer(client, page, {"how_heard": "council_website"})
    return and_i_answer(client, page, {"consent_to_contact": "yes", "consent_accurate": "yes"})


def test_a_carer_applies_and_gets_a_reference_with_what_happens_next(client: TestClient) -> None:
    page = when_i_start(client, SLUG)
    then_i_am_on(page, f"{FORM}/lives_in_oxfordshire_page")
    assert heading_of(page) == "Do you live in Oxfordshire?"
    then_i_see(page, "Section 1 of 6")

    page = and_i_answer(client, page, {"lives_in_oxfordshire": "yes"})
    then_i_am_on(page, f"{FORM}/experience_page")
    page = and_i_answer(client, page, {"experience": ["carer"]})
    page = and_i_answer(client, page, {"services_used": ["carers_support"]})
    page = and_i_answer(client, page, {"experience_story": "I care for my dad."})
    then_i_am_on(page, f"{FORM}/why_join_page")
    page = i_answer_the_questions_about_me_and_the_board(client, page)

    then_i_am_on(page, f"{FORM}/check-answers")
    then_i_see(page, "Check your answers", "Sam Taylor", "1 High Street", "OX1 1AA", "sam@example.org")
    assert page.headers["cache-control"] == "no-store"

    page = press(client, page, {})
    then_i_am_on(page, f"{FORM}/confirmation")
    then_i_see(page, "Your answers have been sent", "What happens next", "within 4 weeks")
    reference = reference_on(page)
    assert reference.startswith("CPB-")

    submission = stored_submission(client, reference)
    assert submission.answers["full_name"] == "Sam Taylor"
    assert submission.answers["home_address"] == {
        "line1": "1 High Street",
        "line2": "",
        "town": "Oxford",
        "postcode": "OX1 1AA",
    }
    assert submission.answers["experience"] == ["carer"]
    assert "understanding_of_services" not in submission.answers

    copy = client.get(f"{FORM}/confirmation/answers")
    then_i_see(copy, "A copy of your answers", reference, "Sam Taylor", "I care for my dad.")
    then_i_do_not_see(copy, ">Change<")


def test_someone_outside_oxfordshire_is_told_kindly_about_the_champions_network(client: TestClient) -> None:
    page = when_i_start(client, SLUG)

    page = and_i_answer(client, page, {"lives_in_oxfordshire": "no"})

    then_i_am_on(page, f"{FORM}/not_in_oxfordshire")
    then_i_see(page, "You cannot join the board", "co-production champions")
    then_i_do_not_see(page, "Continue")
    assert client.get(f"{FORM}/check-answers").url.path == f"{FORM}/not_in_oxfordshire"


def test_continuing_without_an_answer_shows_the_error_summary_and_keeps_the_page(client: TestClient) -> None:
    page = when_i_start(client, SLUG)

    page = and_i_answer(client, page, {})

    then_i_am_on(page, f"{FORM}/lives_in_oxfordshire_page", status=422)
    assert title_of(page).startswith("Error: Do you live in Oxfordshire?")
    assert error_summary_of(page) == ["Select yes if you live in Oxfordshire"]
    then_i_see(page, 'href="#lives_in_oxfordshire"', 'id="lives_in_oxfordshire-error"')


def test_a_wrong_email_is_shown_back_as_typed_with_its_error(client: TestClient) -> None:
    page = when_i_start(client, SLUG)
    for path in ("lives_in_oxfordshire_page", "experience_page"):
        assert page.url.path == f"{FORM}/{path}"
        page = and_i_answer(
            client, page, {"lives_in_oxfordshire": "yes"} if "lives" in path else {"experience": "none"}
        )
    page = and_i_answer(client, page, {"understanding_of_services": "I volunteer at a day centre."})
    page = i_answer_the_questions_about_me_and_the_board(client, page)
    page = client.get(f"{FORM}/contact_page")

    page = and_i_answer(client, page, {"preferred_contact": "email", "email": "sam at example"})

    then_i_am_on(page, f"{FORM}/contact_page", status=422)
    assert error_summary_of(page) == ["Enter an email address in the correct format, like name@example.com"]
    then_i_see(page, 'value="sam at example"')


def test_jumping_ahead_by_address_goes_back_to_the_first_unanswered_page(client: TestClient) -> None:
    when_i_start(client, SLUG)

    page = client.get(f"{FORM}/name_page")

    then_i_am_on(page, f"{FORM}/lives_in_oxfordshire_page")


def test_a_changed_answer_asks_the_newly_relevant_question_before_check_answers(client: TestClient) -> None:
    page = when_i_start(client, SLUG)
    page = and_i_answer(client, page, {"lives_in_oxfordshire": "yes"})
    page = and_i_answer(client, page, {"experience": ["use_services"]})
    page = and_i_answer(client, page, {"services_used": ["mental_health"]})
    page = and_i_answer(client, page, {"experience_story": "My mental health support."})
    page = i_answer_the_questions_about_me_and_the_board(client, page)
    then_i_am_on(page, f"{FORM}/check-answers")
    then_i_see(page, f'href="{FORM}/experience_page?change=1"')

    page = client.get(f"{FORM}/experience_page?change=1")
    assert 'href="/forms/coproduction-board-application/check-answers"' in page.text
    page = and_i_answer(client, page, {"experience": ["none"]})

    then_i_am_on(page, f"{FORM}/understanding_page")
    page = and_i_answer(client, page, {"understanding_of_services": "I volunteer at a day centre."})
    then_i_am_on(page, f"{FORM}/check-answers")
    then_i_see(page, "I volunteer at a day centre.")
    then_i_do_not_see(page, "My mental health support.")


def test_answers_on_pages_that_have_become_hidden_are_not_submitted(client: TestClient) -> None:
    page = when_i_start(client, SLUG)
    page = and_i_answer(client, page, {"lives_in_oxfordshire": "yes"})
    page = and_i_answer(client, page, {"experience": ["use_services"]})
    page = and_i_answer(client, page, {"services_used": ["mental_health"]})
    page = and_i_answer(client, page, {"experience_story": "My mental health support."})
    page = i_answer_the_questions_about_me_and_the_board(client, page)
    page = and_i_answer(client, client.get(f"{FORM}/experience_page?change=1"), {"experience": ["none"]})
    page = and_i_answer(client, page, {"understanding_of_services": "I volunteer at a day centre."})

    page = press(client, page, {})

    submission = stored_submission(client, reference_on(page))
    assert submission.answers["experience"] == ["none"]
    assert submission.answers["understanding_of_services"] == "I volunteer at a day centre."
    assert "experience_story" not in submission.answers
    assert "services_used" not in submission.answers


def test_sending_twice_stores_one_submission_and_shows_the_same_reference(client: TestClient) -> None:
    page = when_i_start(client, SLUG)
    page = and_i_answer(client, page, {"lives_in_oxfordshire": "yes"})
    page = and_i_answer(client, page, {"experience": ["none"]})
    page = and_i_answer(client, page, {"understanding_of_services": "From volunteering."})
    check_answers = i_answer_the_questions_about_me_and_the_board(client, page)

    first = press(client, check_answers, {})
    again = press(client, check_answers, {})  # a double click, or the back button and Send again

    then_i_am_on(again, f"{FORM}/confirmation")
    assert reference_on(again) == reference_on(first)
    back_to_a_question = client.get(f"{FORM}/name_page")
    then_i_am_on(back_to_a_question, f"{FORM}/confirmation")
    assert reference_on(back_to_a_question) == reference_on(first)
