"""The moving into adulthood consultation, with JavaScript off: a young person and a parent each get
their own questions, contact details are asked only of someone who wants to stay involved, the
equality questions can be skipped, and every page offers help now and a quick exit."""

from __future__ import annotations

from httpx2 import Response
from starlette.testclient import TestClient

from tests.journeys.story import (
    and_i_answer,
    and_i_send_my_answers,
    heading_of,
    reference_on,
    stored_submission,
    then_i_am_on,
    then_i_do_not_see,
    then_i_see,
    when_i_start,
)

SLUG = "moving-into-adulthood"
FORM = f"/forms/{SLUG}"


def i_say_how_the_support_is_going(client: TestClient, page: Response, prefix: str) -> Response:
    """The three free-text pages and the rating, which young people and parents both answer."""
    page = and_i_answer(client, page, {f"{prefix}_what_works": "My key worker."})
    page = and_i_answer(client, page, {f"{prefix}_what_does_not_work": "Waiting for answers."})
    page = and_i_answer(client, page, {f"{prefix}_rating": "ok"})
    return and_i_answer(client, page, {f"{prefix}_ideas": "One person to call."})


def test_a_young_person_answers_their_own_questions_stays_involved_and_gets_a_reference(
    client: TestClient,
) -> None:
    page = when_i_start(client, SLUG)
    then_i_am_on(page, f"{FORM}/who_are_you")
    page = and_i_answer(client, page, {"role": "young_person"})
    then_i_am_on(page, f"{FORM}/young_person_age")
    page = and_i_answer(client, page, {"young_person_age_group": "age_18_to_21"})
    page = and_i_answer(
        client,
        page,
        {"young_person_what_matters": ["having_a_say", "other"], "young_person_what_matters__other": "Pets"},
    )
    page = i_say_how_the_support_is_going(client, page, "young_person")
    then_i_am_on(page, f"{FORM}/stay_involved_page")
    page = and_i_answer(client, page, {"stay_involved": "yes"})
    page = and_i_answer(client, page, {"how_involved": ["workshops"]})
    page = and_i_answer(
        client,
        page,
        {"contact_name": "Jo Bloggs", "contact_method": "email", "contact_email": "jo@example.org"},
    )
    page = and_i_answer(client, page, {"answer_equality": "no"})

    then_i_am_on(page, f"{FORM}/check-answers")
    then_i_see(page, "Pets", "jo@example.org")
    then_i_do_not_see(page, "What matters most to your family")
    page = and_i_send_my_answers(client, page)
    answers = stored_submission(client, reference_on(page)).answers
    assert answers["role"] == "young_person"
    assert answers["young_person_what_matters__other"] == "Pets"
    assert answers["contact_email"] == "jo@example.org"
    assert "carer_what_matters" not in answers
    assert "gender" not in answers


def test_a_parent_gets_the_family_questions_and_is_never_asked_about_living_in_care(
    client: TestClient,
) -> None:
    page = when_i_start(client, SLUG)
    page = and_i_answer(client, page, {"role": "parent_carer"})
    then_i_am_on(page, f"{FORM}/young_person_in_your_care")
    page = and_i_answer(client, page, {})
    page = and_i_answer(client, page, {"carer_what_matters": ["planning_early"]})
    page = i_say_how_the_support_is_going(client, page, "carer")
    page = and_i_answer(client, page, {"stay_involved": "no"})
    then_i_am_on(page, f"{FORM}/equality_intro")

    page = and_i_answer(client, page, {"answer_equality": "yes"})
    page = and_i_answer(client, page, {"gender": "prefer_not_to_say"})
    page = and_i_answer(client, page, {"disability": "prefer_not_to_say"})
    page = and_i_answer(client, page, {"ethnic_group": "prefer_not_to_say"})

    then_i_am_on(page, f"{FORM}/check-answers")
    then_i_do_not_see(page, "Have you ever lived in care?", "How can we contact you?")
    answers = stored_submission(client, reference_on(and_i_send_my_answers(client, page))).answers
    assert answers["gender"] == "prefer_not_to_say"
    assert "contact_name" not in answers


def test_every_page_says_where_to_get_help_now_and_offers_a_quick_exit(client: TestClient) -> None:
    page = when_i_start(client, SLUG)

    for answers in ({"role": "young_person"}, {}, {"young_person_what_matters": ["money"]}):
        then_i_see(page, "If you are in danger now, call 999.", "Exit this page")
        page = and_i_answer(client, page, answers)

    then_i_am_on(page, f"{FORM}/young_person_working")


def test_the_easy_read_version_asks_in_simpler_words(client: TestClient) -> None:
    when_i_start(client, SLUG)

    page = client.get(f"{FORM}/who_are_you?easy=1")

    assert heading_of(page) == "Who are you?"
    then_i_see(page, "I am a mum, dad or carer of a young person")
