"""The validation pipeline: visible questions only, first failure wins, wording the author can override."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

import pytest

from engine.definition import Form, Option, Page, Question, Section, Text
from engine.expressions import parse
from engine.validation import PageResult, validate_page

TODAY = dt.date(2026, 11, 26)


def ask(id_: str, type_: str, **settings: Any) -> Question:
    return Question(id=id_, type=type_, label=Text(id_.replace("_", " ").capitalize()), **settings)


def choice(value: str, **settings: Any) -> Option:
    return Option(value=value, label=Text(value.replace("_", " ").capitalize()), **settings)


def submit(
    page: Page,
    raw: Mapping[str, Sequence[str]],
    answers: Mapping[str, Any] | None = None,
    language: str = "en",
) -> PageResult:
    form = Form(
        slug="f", version="1", title=Text("F"), sections=(Section(id="s", title=None, pages=(page,)),)
    )
    return validate_page(form, page, raw, answers or {}, TODAY, language)


def page_of(*questions: Question) -> Page:
    return Page(id="page", questions=questions, title=Text("About you"))


def test_the_first_failing_check_is_the_only_error() -> None:
    limited = ask("nickname", "text", max_length=3, pattern="[a-z]+")
    result = submit(page_of(limited), {"nickname": ["ABCDEF"]})
    assert [(qid, error.code) for qid, error in result.errors.items()] == [("nickname", "too_long")]


def test_a_pattern_is_checked_after_the_types_own_rules() -> None:
    coded = ask("code", "text", max_length=10, pattern="[A-Z]{2}[0-9]+")
    assert submit(page_of(coded), {"code": ["ab12"]}).errors["code"].code == "pattern"
    assert submit(page_of(coded), {"code": ["AB12"]}).answers == {"code": "AB12"}


def test_a_postcode_pattern_sees_the_normalised_postcode() -> None:
    oxford = ask("postcode", "postcode", pattern="OX.*")
    assert submit(page_of(oxford), {"postcode": ["ox4 1aa"]}).answers == {"postcode": "OX4 1AA"}
    assert submit(page_of(oxford), {"postcode": ["sw1a 2aa"]}).errors["postcode"].code == "pattern"


def test_errors_are_listed_in_page_order_with_their_wording_and_link_target() -> None:
    page = page_of(
        ask("email", "email"), ask("born", "date"), ask("colour", "radios", options=(choice("red"),))
    )
    result = submit(page, {"email": ["nope"], "born-day": ["27"], "born-month": [""], "born-year": ["2007"]})
    assert [(qid, e.code, e.message, e.target_id) for qid, e in result.errors.items()] == [
        (
            "email",
            "email_invalid",
            "Enter an email address in the correct format, like name@example.com",
            "email",
        ),
        ("born", "missing_month", "Date must include a month", "born-month"),
        ("colour", "required", "Select an option", "colour"),
    ]


def test_an_empty_date_links_to_the_day() -> None:
    assert submit(page_of(ask("born", "date")), {}).errors["born"].target_id == "born-day"


def test_the_authors_wording_replaces_the_standard_wording_for_that_code_only() -> None:
    lives = ask(
        "lives_here",
        "yes_no",
        errors={
            "required": Text(
                "Select yes if you live in Oxfordshire",
                {"cy": "Dewiswch ie os ydych yn byw yn Swydd Rydychen"},
            )
        },
    )
    assert submit(page_of(lives), {}).errors["lives_here"].message == "Select yes if you live in Oxfordshire"
    welsh = submit(page_of(lives), {}, language="cy").errors["lives_here"].message
    assert welsh == "Dewiswch ie os ydych yn byw yn Swydd Rydychen"
    assert (
        submit(page_of(lives), {"lives_here": ["maybe"]}).errors["lives_here"].message
        == "Select an option from the list"
    )


def test_standard_wording_follows_the_language_and_falls_back_to_english() -> None:
    born = ask("born", "date", date_rule="past")
    raw = {"born-day": ["1"], "born-month": ["1"], "born-year": ["2030"]}
    assert (
        submit(page_of(born), raw, language="cy").errors["born"].message
        == "Rhaid i'r dyddiad fod yn y gorffennol"
    )
    assert submit(page_of(born), raw, language="fr").errors["born"].message == "Date must be in the past"


def test_a_question_whose_show_if_is_false_is_skipped_even_with_bad_input() -> None:
    carer = ask("is_carer", "yes_no")
    cared_for = ask("cared_for_name", "name", show_if=parse("is_carer = true"))
    result = submit(page_of(carer, cared_for), {"is_carer": ["no"], "cared_for_name": ["\x00"]})
    assert (result.errors, result.answers) == ({}, {"is_carer": False})


def test_a_show_if_follows_what_was_just_entered_on_the_same_page_not_the_stored_answer() -> None:
    carer = ask("is_carer", "yes_no")
    cared_for = ask("cared_for_name", "name", show_if=parse("is_carer = true"))
    result = submit(page_of(carer, cared_for), {"is_carer": ["yes"]}, answers={"is_carer": False})
    assert result.errors["cared_for_name"].code == "required"


def test_a_show_if_reads_answers_from_earlier_pages() -> None:
    school = ask("school", "text", show_if=parse("age >= 11"))
    assert submit(page_of(school), {}, answers={"age": 9}).errors == {}
    assert submit(page_of(school), {}, answers={"age": 12}).errors["school"].code == "required"


def test_content_blocks_on_a_page_are_not_validated() -> None:
    page = page_of(ask("intro", "paragraph", body=Text("Why we ask")), ask("age", "number"))
    assert submit(page, {"age": ["14"]}).answers == {"age": 14}


def test_a_follow_up_is_validated_only_when_its_option_is_chosen() -> None:
    how_often = ask("how_often", "text")
    contact = ask("contact", "radios", options=(choice("phone", follow_up=how_often), choice("post")))
    assert submit(page_of(contact), {"contact": ["post"], "how_often": ["\x00"]}).answers == {
        "contact": "post"
    }
    chosen = submit(page_of(contact), {"contact": ["phone"]})
    assert chosen.errors["how_often"].code == "required"
    answered = submit(page_of(contact), {"contact": ["phone"], "how_often": ["Weekly"]})
    assert answered.answers == {"contact": "phone", "how_often": "Weekly"}


def test_follow_ups_of_checkboxes_are_validated_for_each_chosen_option() -> None:
    bus_route = ask("bus_route", "text")
    train_line = ask("train_line", "text")
    travel = ask(
        "travel",
        "checkboxes",
        options=(choice("bus", follow_up=bus_route), choice("train", follow_up=train_line)),
    )
    result = submit(page_of(travel), {"travel": ["bus", "train"], "bus_route": ["X5"]})
    assert (dict(result.answers), list(result.errors)) == (
        {"travel": ("bus", "train"), "bus_route": "X5"},
        ["train_line"],
    )


def test_other_text_is_kept_only_when_the_other_option_is_chosen() -> None:
    heard = ask(
        "heard", "radios", options=(choice("poster"), choice("other", other=True, other_label=Text("Where?")))
    )
    assert submit(page_of(heard), {"heard": ["poster"], "heard__other": ["radio"]}).answers == {
        "heard": "poster"
    }
    with_other = submit(page_of(heard), {"heard": ["other"], "heard__other": ["  Local radio "]})
    assert with_other.answers == {"heard": "other", "heard__other": "Local radio"}


def test_missing_other_text_is_the_questions_error_and_links_to_its_box() -> None:
    heard = ask("heard", "radios", options=(choice("poster"), choice("other", other=True)))
    error = submit(page_of(heard), {"heard": ["other"], "heard__other": [" "]}).errors["heard"]
    assert (error.code, error.message, error.target_id) == (
        "other_required",
        "Enter your answer for “Other”",
        "heard__other",
    )


def test_other_text_is_checked_for_unsafe_characters_too() -> None:
    heard = ask("heard", "checkboxes", options=(choice("other", other=True),))
    error = submit(page_of(heard), {"heard": ["other"], "heard__other": ["a\x00"]}).errors["heard"]
    assert (error.code, error.target_id) == ("invalid_characters", "heard__other")


def test_a_hidden_option_cannot_be_chosen() -> None:
    venue = ask(
        "venue",
        "radios",
        options=(choice("online"), choice("banbury", show_if=parse("lives_in_north = true"))),
    )
    assert submit(page_of(venue), {"venue": ["banbury"]}, answers={"lives_in_north": False}).errors[
        "venue"
    ].code == ("invalid_option")
    assert submit(page_of(venue), {"venue": ["banbury"]}, answers={"lives_in_north": True}).answers == {
        "venue": "banbury"
    }


def test_a_hidden_grid_statement_is_not_asked() -> None:
    grid = ask(
        "views",
        "grid",
        options=(choice("agree"), choice("disagree")),
        statements=(choice("safe"), choice("school", show_if=parse("age < 18"))),
    )
    assert submit(page_of(grid), {"views-safe": ["agree"]}, answers={"age": 30}).answers == {
        "views": {"safe": "agree"}
    }


def test_an_optional_question_left_empty_has_no_answer_and_no_error() -> None:
    result = submit(page_of(ask("nickname", "text", optional=True)), {"nickname": ["   "]})
    assert (result.errors, result.answers) == ({}, {})


def test_the_raw_input_of_the_pages_fields_is_kept_to_show_back() -> None:
    page = page_of(ask("born", "date"), ask("email", "email"))
    raw = {
        "born-day": ["31"],
        "born-month": ["2"],
        "born-year": ["2007"],
        "email": ["x"],
        "csrf_token": ["t"],
    }
    assert submit(page, raw).raw == {
        "born-day": ("31",),
        "born-month": ("2",),
        "born-year": ("2007",),
        "email": ("x",),
    }


def test_a_repeating_page_is_validated_one_item_at_a_time() -> None:
    journey = Page(
        id="journeys",
        questions=(ask("from_town", "text"), ask("cost", "money")),
        title=Text("Your journeys"),
    )
    earlier_items = {"journeys": ({"from_town": "Banbury", "cost": "3.10"},)}
    result = submit(journey, {"from_town": ["Bicester"], "cost": ["£4.5"]}, answers=earlier_items)
    assert result.ok
    assert result.answers["from_town"] == "Bicester"
    assert str(result.answers["cost"]) == "4.50"


@pytest.mark.parametrize("value", ["\x00", "\udc00", "\x1b[31m"])
def test_unsafe_characters_in_a_part_link_to_that_part(value: str) -> None:
    born = ask("born", "date")
    error = submit(page_of(born), {"born-day": ["1"], "born-month": [value], "born-year": ["2000"]}).errors[
        "born"
    ]
    assert (error.code, error.target_id) == ("invalid_characters", "born-month")


def test_tabs_and_line_breaks_are_safe_in_long_text() -> None:
    story = ask("story", "long_text")
    assert submit(page_of(story), {"story": ["First\tline\r\nSecond"]}).answers == {
        "story": "First\tline\nSecond"
    }


def test_an_authors_limit_above_the_standard_one_raises_the_raw_limit() -> None:
    essay = ask("essay", "text", max_length=1_500)
    assert submit(page_of(essay), {"essay": ["a" * 1_200]}).ok
    assert submit(page_of(essay), {"essay": ["a" * 1_501]}).errors["essay"].message == (
        "Answer must be 1500 characters or fewer"
    )
