"""Wording: every error code the engine raises has words, in plain GOV.UK style, in English and Welsh."""

from __future__ import annotations

import ast
import datetime as dt
import string
from decimal import Decimal
from pathlib import Path

import pytest

from engine import messages
from engine.definition import Text
from engine.messages import ERROR_CODES, error_message, format_date, format_money, furniture

ENGINE = Path(__file__).resolve().parent.parent / "engine"

#: Codes built from a part name ("missing_" + parts, f"{part}_required"), spelled out.
BUILT_CODES = {
    "missing_day",
    "missing_month",
    "missing_year",
    "missing_day_month",
    "missing_day_year",
    "missing_month_year",
    "line1_required",
    "town_required",
    "postcode_required",
    "account_name_required",
    "sort_code_required",
    "account_number_required",
}

#: Every parameter a wording may use, so a typo in a placeholder cannot reach a respondent.
KNOWN_PARAMS = {
    "max_length", "min_length", "max_words", "min", "max", "earliest", "latest", "option", "statement",
    "count", "max_size", "accept", "label", "item", "title", "number", "total", "size", "types", "date",
    "days", "reference",
}  # fmt: skip

TABLES = {
    "errors": messages._ERRORS,
    "furniture": messages._FURNITURE,
}


def codes_raised_in(module: str) -> set[str]:
    """The literal codes passed to Invalid(...) in an engine module."""
    tree = ast.parse((ENGINE / module).read_text(encoding="utf-8"))
    return {
        node.args[0].value
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id == "Invalid"
        and node.args
        and isinstance(node.args[0], ast.Constant)
        and isinstance(node.args[0].value, str)
    }


def placeholders(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


@pytest.mark.parametrize("module", ["questions.py", "validation.py"])
def test_every_error_code_the_engine_raises_has_wording(module: str) -> None:
    raised = codes_raised_in(module)
    assert raised, "the scan found no codes, so it is not reading the module"
    assert raised <= ERROR_CODES


def test_codes_built_from_part_names_have_wording() -> None:
    assert BUILT_CODES <= ERROR_CODES


@pytest.mark.parametrize("table", sorted(TABLES))
def test_welsh_wording_uses_the_same_placeholders_as_english(table: str) -> None:
    english, welsh = TABLES[table]["en"], TABLES[table]["cy"]
    assert set(welsh) <= set(english), "a Welsh key with no English original is never looked up"
    assert {key: placeholders(welsh[key]) for key in welsh} == {
        key: placeholders(english[key]) for key in welsh
    }


@pytest.mark.parametrize("table", sorted(TABLES))
def test_wording_uses_only_known_placeholders(table: str) -> None:
    used = {
        name for wording in TABLES[table].values() for text in wording.values() for name in placeholders(text)
    }
    assert used <= KNOWN_PARAMS


def test_error_wording_avoids_blame_and_jargon() -> None:
    # GOV.UK style: say what to do; never "invalid", "error", "please", "must not be blank" or exclamation.
    banned = ("invalid", "error", "please", "blank", "!", "field")
    offending = [
        text for text in messages._ERRORS["en"].values() if any(word in text.lower() for word in banned)
    ]
    assert offending == []


def test_a_type_can_have_its_own_wording_for_a_shared_code() -> None:
    assert error_message("required") == "Enter an answer"
    assert error_message("required", "date") == "Enter a date"
    assert error_message("required", "checkboxes") == "Select at least one option"


def test_parameters_are_filled_in() -> None:
    assert error_message("too_long", max_length=200) == "Answer must be 200 characters or fewer"
    assert error_message("too_many_selected", count=3) == "Select no more than 3 options"


def test_a_count_of_one_uses_the_singular_wording() -> None:
    assert error_message("too_many_selected", count=1) == "Select only 1 option"
    assert furniture("characters_remaining", count=1) == "You have 1 character remaining"
    assert furniture("characters_remaining", count=2) == "You have 2 characters remaining"


def test_dates_and_author_text_in_parameters_are_shown_in_the_respondents_language() -> None:
    assert error_message("too_late", latest=dt.date(2027, 3, 31), language="cy") == (
        "Date must be the same as or before 31 Mawrth 2027"
    )
    label = Text("None of these", {"cy": "Dim un o'r rhain"})
    assert "Dim un o'r rhain" in error_message("exclusive", option=label, language="cy")


def test_an_unknown_code_is_a_programming_error_not_a_blank_message() -> None:
    with pytest.raises(KeyError, match="no_such_code"):
        error_message("no_such_code")
    with pytest.raises(KeyError, match="no_such_key"):
        furniture("no_such_key")


def test_furniture_is_translated_into_welsh() -> None:
    assert [furniture(key, "cy") for key in ("continue", "back", "there_is_a_problem", "optional")] == [
        "Parhau",
        "Yn ôl",
        "Mae problem wedi codi",
        "(dewisol)",
    ]
    assert furniture("add_another", "cy", item="taith") == "Ychwanegu taith arall"


def test_furniture_without_a_welsh_translation_falls_back_to_english() -> None:
    assert "easy_read" not in messages._FURNITURE["cy"]
    assert furniture("easy_read", "cy") == "Easy read"
    assert furniture("continue", "fr") == "Continue"


def test_the_page_furniture_the_journey_needs_is_all_there() -> None:
    needed = {
        "continue", "back", "there_is_a_problem", "error_prefix", "day", "month", "year", "optional",
        "change", "check_your_answers", "submit", "save_and_come_back_later", "character_count_limit",
        "characters_remaining", "characters_too_many", "exit_this_page", "add_another", "remove",
    }  # fmt: skip
    assert needed <= set(messages._FURNITURE["en"])
    assert needed <= set(messages._FURNITURE["cy"])


@pytest.mark.parametrize(
    ("day", "english", "welsh"),
    [
        (dt.date(2007, 3, 27), "27 March 2007", "27 Mawrth 2007"),
        (dt.date(2026, 1, 1), "1 January 2026", "1 Ionawr 2026"),
    ],
)
def test_dates_are_written_out_as_people_write_them(day: dt.date, english: str, welsh: str) -> None:
    assert (format_date(day), format_date(day, "cy")) == (english, welsh)


@pytest.mark.parametrize(
    ("amount", "shown"),
    [
        (Decimal("1200.5"), "£1,200.50"),
        (Decimal("0.99"), "£0.99"),
        (Decimal(-3), "-£3.00"),
        (Decimal(0), "£0.00"),
    ],
)
def test_money_is_shown_in_pounds_and_pence(amount: Decimal, shown: str) -> None:
    assert format_money(amount) == shown
