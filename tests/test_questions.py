"""Question types: the contract every registry entry keeps, then each type's forgiving input and rules."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from types import MappingProxyType
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.definition import Form, Option, Page, Question, Section, Text
from engine.expressions import ValueKind
from engine.loader import FILE_EXTENSIONS
from engine.questions import (
    ACCEPT_CONTENT_TYPES,
    QUESTION_TYPES,
    Invalid,
    accepted_content_types,
    sniff_content_type,
)
from engine.validation import PageResult, validate_page

TODAY = dt.date(2026, 11, 26)


def options(*values: str) -> tuple[Option, ...]:
    return tuple(Option(value=value, label=Text(value.replace("_", " ").capitalize())) for value in values)


def question(type_: str, **settings: Any) -> Question:
    return Question(id="q", type=type_, label=Text("Question"), **settings)


def answer(q: Question, raw: Mapping[str, Sequence[str]]) -> PageResult:
    """Submit one question's page, the way the web layer calls the pipeline."""
    page = Page(id="page", questions=(q,))
    form = Form(
        slug="f", version="1", title=Text("F"), sections=(Section(id="s", title=None, pages=(page,)),)
    )
    return validate_page(form, page, raw, {}, TODAY)


def parse(asked: Question, /, **raw: str) -> Any:
    """Parse keyword fields as posted: q_day="27" is the field "q-day"."""
    fields = {name.replace("_", "-", 1): [value] for name, value in raw.items()}
    return QUESTION_TYPES[asked.type].parse(asked, fields)


def code_of(q: Question, raw: Mapping[str, Sequence[str]]) -> str:
    return answer(q, raw).errors[q.id].code


@dataclass(frozen=True)
class Sample:
    """A typical question of one type, input a respondent might give, and how the answer reads back."""

    question: Question
    raw: Mapping[str, Sequence[str]]
    display: str
    free_text_field: str | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)


SAMPLES: Mapping[str, Sample] = MappingProxyType(
    {
        "text": Sample(question("text"), {"q": ["  Youth council  "]}, "Youth council", "q"),
        "long_text": Sample(
            question("long_text"), {"q": ["Line one\r\nLine two"]}, "Line one\nLine two", "q"
        ),
        "email": Sample(question("email"), {"q": [" sam@Example.ORG "]}, "sam@example.org"),
        "phone": Sample(question("phone"), {"q": ["07700 900-982"]}, "07700900982"),
        "postcode": Sample(question("postcode"), {"q": ["ox11aa"]}, "OX1 1AA"),
        "address": Sample(
            question("address"),
            {"q-line1": ["1 High Street"], "q-line2": [""], "q-town": ["Oxford"], "q-postcode": ["OX1 1AA"]},
            "1 High Street\nOxford\nOX1 1AA",
            "q-line1",
        ),
        "name": Sample(question("name"), {"q": ["Sam Jones"]}, "Sam Jones", "q"),
        "number": Sample(question("number"), {"q": ["1 200"]}, "1,200"),
        "decimal": Sample(question("decimal"), {"q": ["12.5"]}, "12.5"),
        "money": Sample(question("money"), {"q": ["£1,200.5"]}, "£1,200.50"),
        "date": Sample(
            question("date"), {"q-day": ["27"], "q-month": ["3"], "q-year": ["2007"]}, "27 March 2007"
        ),
        "bank_account": Sample(
            question("bank_account"),
            {"q-account_name": ["Sam Jones"], "q-sort_code": ["30-94-30"], "q-account_number": ["733445"]},
            "Sam Jones\nSort code: 30-94-30\nAccount number: 00733445",
        ),
        "yes_no": Sample(question("yes_no"), {"q": ["yes"]}, "Yes"),
        "radios": Sample(question("radios", options=options("bus", "train")), {"q": ["train"]}, "Train"),
        "checkboxes": Sample(
            question("checkboxes", options=options("bus", "train", "bike")),
            {"q": ["bike", "bus"]},
            "Bus\nBike",
        ),
        "dropdown": Sample(
            question("dropdown", options=options("oxford", "banbury")), {"q": ["banbury"]}, "Banbury"
        ),
        "scale": Sample(question("scale", options=options("agree", "disagree")), {"q": ["agree"]}, "Agree"),
        "grid": Sample(
            question("grid", options=options("agree", "disagree"), statements=options("safe", "heard")),
            {"q-safe": ["agree"], "q-heard": ["disagree"]},
            "Safe: Agree\nHeard: Disagree",
        ),
        "ranking": Sample(
            question("ranking", options=options("parks", "buses", "youth_clubs")),
            {"q-parks": ["2"], "q-buses": ["3"], "q-youth_clubs": ["1"]},
            "1. Youth clubs\n2. Parks\n3. Buses",
        ),
        "consent": Sample(question("consent"), {"q": ["yes"]}, "Yes"),
        "file": Sample(question("file", max_files=2), {"q": ["f_1a2b", "f_3c4d"]}, "2 files uploaded"),
    }
)

ANSWERABLE = sorted(name for name, kind in QUESTION_TYPES.items() if not kind.content_only)
FREE_TEXT = sorted(name for name, sample in SAMPLES.items() if sample.free_text_field)


def test_every_answerable_type_has_a_contract_sample() -> None:
    assert sorted(SAMPLES) == ANSWERABLE


def test_the_registry_names_each_type_by_its_own_name() -> None:
    assert {name: kind.name for name, kind in QUESTION_TYPES.items()} == {
        name: name for name in QUESTION_TYPES
    }


def test_the_registry_cannot_be_changed_at_run_time() -> None:
    with pytest.raises(TypeError):
        QUESTION_TYPES["extra"] = QUESTION_TYPES["text"]  # type: ignore[index]


@pytest.mark.parametrize("type_name", sorted(QUESTION_TYPES))
def test_every_type_accepts_only_settings_that_questions_have(type_name: str) -> None:
    attributes = set(Question.__dataclass_fields__)
    assert QUESTION_TYPES[type_name].settings <= attributes


@pytest.mark.parametrize("type_name", sorted(QUESTION_TYPES))
def test_types_that_need_options_accept_the_options_setting(type_name: str) -> None:
    kind = QUESTION_TYPES[type_name]
    assert kind.needs_options == ("options" in kind.settings)
    assert kind.needs_statements == ("statements" in kind.settings)


@pytest.mark.parametrize("type_name", ANSWERABLE)
def test_a_typical_answer_parses_round_trips_through_json_and_displays(type_name: str) -> None:
    sample = SAMPLES[type_name]
    kind = QUESTION_TYPES[type_name]
    result = answer(sample.question, sample.raw)
    assert result.errors == {}
    value = result.answers["q"]
    assert kind.from_json(kind.to_json(value)) == value
    assert kind.display(sample.question, value, "en") == sample.display


@pytest.mark.parametrize("type_name", ANSWERABLE)
def test_a_stored_answer_is_plain_json_without_floats(type_name: str) -> None:
    sample = SAMPLES[type_name]
    stored = QUESTION_TYPES[type_name].to_json(answer(sample.question, sample.raw).answers["q"])
    flat = (
        list(stored.values())
        if isinstance(stored, dict)
        else stored
        if isinstance(stored, list)
        else [stored]
    )
    assert all(isinstance(item, str | int | bool) for item in flat)


@pytest.mark.parametrize("type_name", ANSWERABLE)
def test_an_empty_required_question_is_an_error_and_an_empty_optional_one_is_absent(type_name: str) -> None:
    sample = SAMPLES[type_name]
    empty = {name: [""] for name in sample.raw}
    assert code_of(sample.question, empty) == "required"
    optional = answer(dataclasses.replace(sample.question, optional=True), empty)
    assert (optional.errors, optional.answers) == ({}, {})


@pytest.mark.parametrize("type_name", ANSWERABLE)
def test_an_over_long_input_is_refused_as_too_long(type_name: str) -> None:
    sample = SAMPLES[type_name]
    first = next(iter(sample.raw))
    result = answer(sample.question, {**sample.raw, first: ["a" * 20_001]})
    assert result.errors["q"].code == "too_long"


@pytest.mark.parametrize("type_name", ANSWERABLE)
def test_a_nul_byte_is_refused_as_invalid_characters(type_name: str) -> None:
    sample = SAMPLES[type_name]
    first = next(iter(sample.raw))
    poisoned = {**sample.raw, first: [sample.raw[first][0] + "\x00"]}
    assert code_of(sample.question, poisoned) == "invalid_characters"


@pytest.mark.parametrize("type_name", ANSWERABLE)
def test_a_lone_surrogate_is_refused_as_invalid_characters(type_name: str) -> None:
    sample = SAMPLES[type_name]
    first = next(iter(sample.raw))
    assert code_of(sample.question, {**sample.raw, first: ["\udc80"]}) == "invalid_characters"


@pytest.mark.parametrize("words", ["مرحبا بالعالم", "שלום עולם"])
@pytest.mark.parametrize("type_name", FREE_TEXT)
def test_right_to_left_text_is_accepted_where_text_is_free(type_name: str, words: str) -> None:
    sample = SAMPLES[type_name]
    field_name = sample.free_text_field
    assert field_name is not None
    result = answer(sample.question, {**sample.raw, field_name: [words]})
    assert result.errors == {}
    assert words in QUESTION_TYPES[type_name].display(sample.question, result.answers["q"], "en")


@pytest.mark.parametrize(
    "type_name", sorted(name for name, kind in QUESTION_TYPES.items() if kind.content_only)
)
def test_content_blocks_take_no_answer(type_name: str) -> None:
    kind = QUESTION_TYPES[type_name]
    assert (kind.value_kind, kind.field_names(question(type_name))) == (ValueKind.NONE, ())
    with pytest.raises(TypeError):
        kind.parse(question(type_name), {})


def test_field_names_follow_the_design_for_composite_inputs() -> None:
    assert QUESTION_TYPES["date"].field_names(question("date")) == ("q-day", "q-month", "q-year")
    assert QUESTION_TYPES["address"].field_names(question("address")) == (
        "q-line1",
        "q-line2",
        "q-town",
        "q-postcode",
    )
    grid = question("grid", options=options("yes"), statements=options("safe", "heard"))
    assert QUESTION_TYPES["grid"].field_names(grid) == ("q-safe", "q-heard")
    with_other = question("radios", options=(*options("bus"), Option("other", Text("Other"), other=True)))
    assert QUESTION_TYPES["radios"].field_names(with_other) == ("q", "q__other")


def test_autocomplete_tokens_default_per_type_and_spread_over_date_parts() -> None:
    assert QUESTION_TYPES["email"].autocomplete(question("email")) == {"q": "email"}
    assert QUESTION_TYPES["phone"].autocomplete(question("phone")) == {"q": "tel"}
    assert QUESTION_TYPES["name"].autocomplete(question("name", autocomplete="given-name")) == {
        "q": "given-name"
    }
    assert QUESTION_TYPES["date"].autocomplete(question("date", autocomplete="bday")) == {
        "q-day": "bday-day",
        "q-month": "bday-month",
        "q-year": "bday-year",
    }
    assert QUESTION_TYPES["address"].autocomplete(question("address"))["q-town"] == "address-level2"


# --- forgiving input -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "stored"),
    [("ox1 1aa", "OX1 1AA"), (" OX11AA ", "OX1 1AA"), ("sw1a-2aa", "SW1A 2AA"), ("m1 1ae", "M1 1AE")],
)
def test_postcodes_are_forgiven_spaces_hyphens_and_case(typed: str, stored: str) -> None:
    assert parse(question("postcode"), q=typed) == stored


@pytest.mark.parametrize("typed", ["OX1", "12345", "OX1 1A", "ΟΧ1 1ΑΑ"])
def test_a_postcode_that_is_not_a_uk_postcode_is_refused(typed: str) -> None:
    with pytest.raises(Invalid, match="postcode_invalid"):
        parse(question("postcode"), q=typed)


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("07700 900 982", "07700900982"),
        ("(01865) 000-000", "01865000000"),
        ("+44 (0)7700 900982", "07700900982"),
        ("0044 7700 900982", "07700900982"),
        ("+353 1 234 5678", "+35312345678"),
    ],
)
def test_phone_numbers_are_forgiven_spaces_hyphens_brackets_and_country_codes(
    typed: str, stored: str
) -> None:
    assert parse(question("phone"), q=typed) == stored


@pytest.mark.parametrize("typed", ["12345", "07700 900 98x", "+12", "٠٧٧٠٠٩٠٠٩٨٢"])
def test_a_phone_number_that_cannot_be_dialled_is_refused(typed: str) -> None:
    with pytest.raises(Invalid, match="phone_invalid"):
        parse(question("phone"), q=typed)


@pytest.mark.parametrize("typed", ["name@", "name.example.com", "name@example", "a b@example.com"])
def test_an_email_address_in_the_wrong_format_is_refused(typed: str) -> None:
    with pytest.raises(Invalid, match="email_invalid"):
        parse(question("email"), q=typed)


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("£1,200.5", Decimal("1200.50")),
        ("12", Decimal("12.00")),
        (" £ 0.99 ", Decimal("0.99")),
        ("3.10", Decimal("3.10")),
    ],
)
def test_money_is_forgiven_the_pound_sign_commas_and_missing_pence(typed: str, stored: Decimal) -> None:
    value = parse(question("money"), q=typed)
    assert (value, str(value)) == (stored, str(stored))


def test_money_to_a_fraction_of_a_penny_is_refused() -> None:
    with pytest.raises(Invalid, match="too_many_decimal_places"):
        parse(question("money"), q="12.505")


def test_negative_money_is_refused_unless_the_author_allows_it() -> None:
    assert code_of(question("money"), {"q": ["-5"]}) == "too_small"
    assert answer(question("money", min=Decimal(-10)), {"q": ["-5"]}).answers["q"] == Decimal("-5.00")


@pytest.mark.parametrize(("typed", "stored"), [("1 200", 1200), ("1,200", 1200), ("-3", -3), ("12.0", 12)])
def test_whole_numbers_are_forgiven_spaces_and_thousands_commas(typed: str, stored: int) -> None:
    assert parse(question("number"), q=typed) == stored


@pytest.mark.parametrize(
    ("typed", "code"),
    [
        ("12.5", "not_whole_number"),
        ("twelve", "not_a_number"),
        ("1e5", "not_a_number"),
        ("NaN", "not_a_number"),
    ],
)
def test_a_whole_number_question_refuses_anything_else(typed: str, code: str) -> None:
    with pytest.raises(Invalid, match=code):
        parse(question("number"), q=typed)


@pytest.mark.parametrize("typed", ["Infinity", "1.2.3", "--1", "12a"])
def test_a_decimal_question_refuses_what_is_not_a_plain_number(typed: str) -> None:
    with pytest.raises(Invalid, match="not_a_number"):
        parse(question("decimal"), q=typed)


@pytest.mark.parametrize(
    ("month", "number"), [("march", 3), ("Mar", 3), ("03", 3), ("Sept", 9), ("Mawrth", 3)]
)
def test_dates_accept_month_names_and_two_digit_months(month: str, number: int) -> None:
    assert parse(question("date"), q_day="07", q_month=month, q_year="2007") == dt.date(2007, number, 7)


@pytest.mark.parametrize(
    ("day", "month", "year", "code", "part"),
    [
        ("", "3", "2007", "missing_day", "day"),
        ("27", "", "2007", "missing_month", "month"),
        ("27", "3", "", "missing_year", "year"),
        ("", "", "2007", "missing_day_month", "day"),
        ("27", "", "", "missing_month_year", "month"),
        ("30", "2", "2007", "invalid_date", "day"),
        ("27", "13", "2007", "invalid_date", "month"),
        ("27", "smarch", "2007", "invalid_date", "month"),
        ("27", "3", "07", "year_four_digits", "year"),
    ],
)
def test_a_date_that_cannot_be_read_names_the_part_to_fix(
    day: str, month: str, year: str, code: str, part: str
) -> None:
    with pytest.raises(Invalid) as caught:
        parse(question("date"), q_day=day, q_month=month, q_year=year)
    assert (caught.value.code, caught.value.part) == (code, part)


@pytest.mark.parametrize(
    ("typed", "stored"), [("30-94-30", "309430"), ("30 94 30", "309430"), (" 309430 ", "309430")]
)
def test_sort_codes_are_forgiven_spaces_and_hyphens(typed: str, stored: str) -> None:
    value = parse(
        question("bank_account"), q_account_name="Sam", q_sort_code=typed, q_account_number="00733445"
    )
    assert value["sort_code"] == stored


@pytest.mark.parametrize(
    ("sort_code", "account_number", "code", "part"),
    [
        ("3094", "00733445", "sort_code_invalid", "sort_code"),
        ("309430", "12345", "account_number_invalid", "account_number"),
        ("", "00733445", "sort_code_required", "sort_code"),
    ],
)
def test_bank_details_name_the_part_to_fix(sort_code: str, account_number: str, code: str, part: str) -> None:
    with pytest.raises(Invalid) as caught:
        parse(
            question("bank_account"),
            q_account_name="Sam",
            q_sort_code=sort_code,
            q_account_number=account_number,
        )
    assert (caught.value.code, caught.value.part) == (code, part)


def test_an_address_needs_line_one_town_and_a_real_postcode() -> None:
    address = question("address")
    filled = {"q-line1": ["1 High St"], "q-town": ["Oxford"], "q-postcode": ["OX1 1AA"]}
    assert code_of(address, {**filled, "q-line1": [""]}) == "line1_required"
    assert answer(address, {**filled, "q-town": [" "]}).errors["q"].target_id == "q-town"
    assert answer(address, {**filled, "q-postcode": ["nowhere"]}).errors["q"].target_id == "q-postcode"
    assert answer(address, filled).answers["q"] == {
        "line1": "1 High St",
        "line2": "",
        "town": "Oxford",
        "postcode": "OX1 1AA",
    }


# --- each type's rules -------------------------------------------------------------------------------


def test_text_longer_than_the_authors_limit_is_too_long() -> None:
    limited = question("text", max_length=5)
    assert code_of(limited, {"q": ["abcdef"]}) == "too_long"
    assert answer(limited, {"q": ["abcde"]}).answers["q"] == "abcde"


def test_a_line_break_counts_as_one_character() -> None:
    assert answer(question("long_text", max_length=3), {"q": ["a\r\nb"]}).answers["q"] == "a\nb"


def test_long_text_over_the_word_limit_is_too_many_words() -> None:
    assert code_of(question("long_text", max_words=3), {"q": ["one two three four"]}) == "too_many_words"


def test_text_shorter_than_the_minimum_is_too_short() -> None:
    assert code_of(question("text", min_length=3), {"q": ["ab"]}) == "too_short"


@pytest.mark.parametrize(
    ("settings", "typed", "code"),
    [
        ({"min": Decimal(1)}, "0", "too_small"),
        ({"max": Decimal(10)}, "11", "too_large"),
        ({"min": Decimal(1), "max": Decimal(10)}, "11", "out_of_range"),
    ],
)
def test_numbers_outside_the_authors_range_are_refused(
    settings: dict[str, Decimal], typed: str, code: str
) -> None:
    assert code_of(question("number", **settings), {"q": [typed]}) == code


def test_a_money_range_error_shows_the_bounds_as_money() -> None:
    error = answer(question("money", max=Decimal(100)), {"q": ["150"]}).errors["q"]
    assert error.message == "Answer must be £100.00 or less"


@pytest.mark.parametrize(
    ("settings", "day", "code"),
    [
        ({"date_rule": "past"}, TODAY, "not_in_past"),
        ({"date_rule": "future"}, TODAY, "not_in_future"),
        ({"earliest": dt.date(2026, 1, 1)}, dt.date(2025, 12, 31), "too_early"),
        ({"latest": "today"}, TODAY + dt.timedelta(days=1), "too_late"),
    ],
)
def test_dates_outside_the_authors_rule_are_refused(
    settings: dict[str, Any], day: dt.date, code: str
) -> None:
    raw = {"q-day": [str(day.day)], "q-month": [str(day.month)], "q-year": [str(day.year)]}
    assert code_of(question("date", **settings), raw) == code


def test_an_early_date_error_names_the_earliest_date_in_words() -> None:
    raw = {"q-day": ["1"], "q-month": ["1"], "q-year": ["2020"]}
    error = answer(question("date", earliest=dt.date(2026, 3, 27)), raw).errors["q"]
    assert (error.message, error.target_id) == ("Date must be the same as or after 27 March 2026", "q-day")


def test_an_exclusive_option_cannot_be_chosen_with_others() -> None:
    none_of_these = Option("none", Text("None of these"), exclusive=True)
    boxes = question("checkboxes", options=(*options("bus", "train"), none_of_these))
    error = answer(boxes, {"q": ["bus", "none"]}).errors["q"]
    assert error.code == "exclusive"
    assert "None of these" in error.message
    assert answer(boxes, {"q": ["none"]}).answers["q"] == ("none",)


def test_checkboxes_keep_within_the_minimum_and_maximum_selections() -> None:
    boxes = question("checkboxes", options=options("a", "b", "c", "d"), min_selected=2, max_selected=3)
    assert code_of(boxes, {"q": ["a"]}) == "too_few_selected"
    assert answer(boxes, {"q": ["a", "b", "c", "d"]}).errors["q"].message == "Select no more than 3 options"
    assert answer(boxes, {"q": ["d", "a"]}).answers["q"] == ("a", "d")


def test_a_value_that_is_not_an_option_is_refused() -> None:
    assert code_of(question("radios", options=options("a")), {"q": ["b"]}) == "invalid_option"
    assert code_of(question("checkboxes", options=options("a")), {"q": ["a", "zz"]}) == "invalid_option"
    assert code_of(question("yes_no"), {"q": ["maybe"]}) == "invalid_option"


def test_a_required_grid_needs_every_statement_and_links_to_the_first_unanswered() -> None:
    grid = question("grid", options=options("agree", "disagree"), statements=options("safe", "heard"))
    error = answer(grid, {"q-safe": ["agree"]}).errors["q"]
    assert (error.code, error.target_id, error.message) == (
        "grid_incomplete",
        "q-heard",
        "Select an answer for “Heard”",
    )


def test_an_optional_grid_keeps_the_statements_answered() -> None:
    grid = question("grid", options=options("agree"), statements=options("safe", "heard"), optional=True)
    assert answer(grid, {"q-heard": ["agree"]}).answers["q"] == {"heard": "agree"}


def test_ranking_needs_each_item_in_a_different_position() -> None:
    ranking = question("ranking", options=options("a", "b", "c"))
    assert code_of(ranking, {"q-a": ["1"], "q-b": ["1"], "q-c": ["2"]}) == "rank_duplicate"
    assert answer(ranking, {"q-a": ["1"], "q-c": ["2"]}).errors["q"].target_id == "q-b"
    assert code_of(ranking, {"q-a": ["4"], "q-b": ["1"], "q-c": ["2"]}) == "invalid_option"


def test_ranking_a_top_few_is_allowed_when_the_author_sets_a_minimum() -> None:
    top_two = question("ranking", options=options("a", "b", "c"), min_selected=2, max_selected=2)
    assert answer(top_two, {"q-c": ["1"], "q-a": ["2"]}).answers["q"] == ("c", "a")
    assert code_of(top_two, {"q-c": ["1"]}) == "too_few_ranked"


def test_consent_is_given_only_by_the_confirming_box() -> None:
    assert answer(question("consent"), {"q": ["yes"]}).answers["q"] is True
    assert code_of(question("consent"), {"q": [""]}) == "required"
    assert answer(question("consent"), {"q": [""]}).errors["q"].message == "Select the box to confirm"


def test_files_are_limited_to_one_unless_the_author_allows_more() -> None:
    assert code_of(question("file"), {"q": ["f1", "f2"]}) == "too_many_files"
    assert code_of(question("file", max_files=3), {"q": ["../etc/passwd"]}) == "file_invalid"


def test_welsh_displays_use_welsh_months_and_words() -> None:
    assert QUESTION_TYPES["date"].display(question("date"), dt.date(2007, 3, 27), "cy") == "27 Mawrth 2007"
    assert QUESTION_TYPES["yes_no"].display(question("yes_no"), False, "cy") == "Na"


@pytest.mark.parametrize(
    ("kind", "data"),
    [
        ("number", 1.5),
        ("number", True),
        ("money", 12.5),
        ("date", 20070327),
        ("checkboxes", "a"),
        ("address", ["x"]),
    ],
)
def test_stored_json_of_the_wrong_shape_is_refused(kind: str, data: object) -> None:
    with pytest.raises((ValueError, TypeError)):
        QUESTION_TYPES[kind].from_json(data)


# --- file content ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("head", "content_type"),
    [
        (b"%PDF-1.7\n", "application/pdf"),
        (b"\x89PNG\r\n\x1a\n\x00\x00", "image/png"),
        (b"\xff\xd8\xff\xe0\x00\x10JFIF", "image/jpeg"),
        (b"GIF89a\x01\x00", "image/gif"),
        (b"RIFF\x00\x00\x00\x00WEBPVP8 ", "image/webp"),
        (b"\x00\x00\x00\x18ftypheic\x00\x00", "image/heic"),
        (
            b"PK\x03\x04" + b"\x00" * 26 + b"[Content_Types].xml...word/document.xml",
            ACCEPT_CONTENT_TYPES["docx"],
        ),
        (
            b"PK\x03\x04" + b"\x00" * 26 + b"[Content_Types].xml...xl/workbook.xml",
            ACCEPT_CONTENT_TYPES["xlsx"],
        ),
        (
            b"PK\x03\x04" + b"\x00" * 26 + b"mimetypeapplication/vnd.oasis.opendocument.textPK",
            ACCEPT_CONTENT_TYPES["odt"],
        ),
        (b"name,town\nSam,Oxford\n", "text/plain"),
        ("Café ☕".encode()[:-1], "text/plain"),
        (b"{\\rtf1\\ansi", "application/rtf"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1\x00", "application/x-ole-storage"),
        (b"II*\x00\x08\x00", "image/tiff"),
        (b"RIFF\x00\x00\x00\x00WAVEfmt ", "audio/wav"),
        (b"\x00\x00\x00\x20ftypisom\x00\x00", "video/mp4"),
        (b"\x00\x00\x00\x14ftypqt  \x00\x00", "video/quicktime"),
        (
            b"PK\x03\x04" + b"\x00" * 26 + b"[Content_Types].xml...ppt/slides/slide1.xml",
            ACCEPT_CONTENT_TYPES["pptx"],
        ),
        (b"MZ\x90\x00\x03\x00", None),
        (b"PK\x03\x04" + b"\x00" * 40, None),
        (b"", None),
    ],
)
def test_uploads_are_recognised_by_their_content(head: bytes, content_type: str | None) -> None:
    assert sniff_content_type(head) == content_type


def test_accepted_content_types_follow_the_authors_extensions() -> None:
    upload = question("file", accept=("pdf", "jpg", "jpeg"))
    assert accepted_content_types(upload) == {"application/pdf", "image/jpeg"}


def test_every_extension_an_author_may_accept_has_a_content_type_to_check_uploads_against() -> None:
    assert set(ACCEPT_CONTENT_TYPES) >= FILE_EXTENSIONS


@settings(max_examples=60, deadline=None)
@given(data=st.data())
@pytest.mark.parametrize("type_name", ANSWERABLE)
def test_any_input_gives_an_answer_or_a_worded_error_never_a_crash(
    type_name: str, data: st.DataObject
) -> None:
    sample = SAMPLES[type_name].question
    names = QUESTION_TYPES[type_name].field_names(sample)
    raw = {name: data.draw(st.lists(st.text(max_size=40), max_size=3), label=name) for name in names}
    result = answer(sample, raw)
    if result.errors:
        assert result.errors["q"].message
        assert "{" not in result.errors["q"].message
    else:
        assert "q" in result.answers
