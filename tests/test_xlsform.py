"""Importing XLSForm workbooks: each test builds its workbook with openpyxl from small inline tables.

A table is a list of rows, the first being the header row, as an author would type them in Excel.
"""

from __future__ import annotations

import datetime as dt
import html
import re
from collections.abc import Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import yaml
from openpyxl import Workbook
from starlette.testclient import TestClient

from app import create_app
from engine import storage
from engine.cli import main
from engine.definition import Form
from engine.loader import load_form_text
from engine.settings import Settings
from engine.xlsform import (
    Imported,
    NameInfo,
    XLSFormError,
    XPathProblem,
    clean_name,
    import_xlsform,
    translate_condition,
    translate_constraint,
    yaml_scalar,
)

Table = Sequence[Sequence[object]]

YES_NO: Table = [["list_name", "name", "label"], ["yn", "yes", "Yes"], ["yn", "no", "No"]]


@pytest.fixture
def workbook(tmp_path: Path) -> Any:
    """Build an .xlsx from inline tables and import it: workbook(survey=[...], choices=[...])."""

    def build(
        survey: Table | None = None,
        choices: Table | None = None,
        settings: Table | None = None,
        name: str = "survey.xlsx",
        **extra: Table,
    ) -> Imported:
        book = Workbook()
        book.remove(book.active)  # type: ignore[arg-type]
        for title, table in (
            ("survey", survey),
            ("choices", choices),
            ("settings", settings),
            *extra.items(),
        ):
            if table is None:
                continue
            sheet = book.create_sheet(title)
            for row in table:
                sheet.append(list(row))
        path = tmp_path / name
        book.save(path)
        return import_xlsform(path)

    return build


def form_of(imported: Imported) -> Form:
    assert imported.problems == (), imported.report()
    assert imported.checker_errors == (), imported.report()
    assert imported.yaml is not None
    return load_form_text(imported.yaml, f"{imported.slug}.yaml")


def data_of(imported: Imported) -> dict[str, Any]:
    form_of(imported)
    assert imported.yaml is not None
    loaded: dict[str, Any] = yaml.safe_load(imported.yaml)
    return loaded


def first_question(imported: Imported) -> dict[str, Any]:
    question: dict[str, Any] = data_of(imported)["pages"][0]["questions"][0]
    return question


def problems_of(imported: Imported) -> list[str]:
    assert imported.yaml is None
    return [str(problem) for problem in imported.problems]


def notes_of(imported: Imported) -> list[str]:
    return [str(note) for note in imported.notes]


# --- question types ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("xlsform_type", "appearance", "coform_type"),
    [
        ("text", "", "text"),
        ("string", "", "text"),
        ("text", "multiline", "long_text"),
        ("integer", "", "number"),
        ("int", "", "number"),
        ("decimal", "", "decimal"),
        ("date", "", "date"),
        ("select_one yn", "", "radios"),
        ("select_one yn", "minimal", "dropdown"),
        ("select_one yn", "likert", "scale"),
        ("select one yn", "", "radios"),
        ("select_multiple yn", "", "checkboxes"),
        ("rank yn", "", "ranking"),
        ("acknowledge", "", "consent"),
        ("trigger", "", "consent"),
        ("file", "", "file"),
        ("image", "", "file"),
    ],
)
def test_each_xlsform_question_type_becomes_its_coform_type(
    workbook: Any, xlsform_type: str, appearance: str, coform_type: str
) -> None:
    imported = workbook(
        survey=[["type", "name", "label", "appearance"], [xlsform_type, "q", "Question?", appearance]],
        choices=YES_NO,
    )

    assert first_question(imported)["type"] == coform_type


def test_file_and_image_questions_accept_documents_images_or_the_extensions_given(workbook: Any) -> None:
    imported = workbook(
        survey=[
            ["type", "name", "label", "body::accept"],
            ["file", "cv", "Upload your CV", ".pdf,.docx"],
            ["file", "letter", "Upload the letter", ""],
            ["image", "photo", "Upload a photo", ""],
        ]
    )

    pages = data_of(imported)["pages"]
    assert pages[0]["questions"][0]["accept"] == ["pdf", "docx"]
    assert "pdf" in pages[1]["questions"][0]["accept"]
    assert pages[2]["questions"][0]["accept"] == ["jpg", "jpeg", "png", "gif", "webp", "heic", "heif"]


def test_or_other_adds_an_other_option_that_asks_please_say(workbook: Any) -> None:
    imported = workbook(
        survey=[["type", "name", "label"], ["select_multiple yn or_other", "q", "Which?"]],
        choices=YES_NO,
    )

    assert first_question(imported)["options"][-1] == {"value": "other", "label": "Other", "other": True}


def test_or_other_on_a_dropdown_keeps_the_question_as_radios_and_says_so(workbook: Any) -> None:
    imported = workbook(
        survey=[
            ["type", "name", "label", "appearance"],
            ["select_one yn or_other", "q", "Which?", "minimal"],
        ],
        choices=YES_NO,
    )

    assert first_question(imported)["type"] == "radios"
    assert notes_of(imported) == [
        "sheet survey, row 2, column D (appearance): shown as radios, not a dropdown, so 'Other' can ask "
        "'please say'"
    ]


def test_a_range_with_few_points_becomes_a_scale_of_those_points(workbook: Any) -> None:
    imported = workbook(
        survey=[["type", "name", "label", "parameters"], ["range", "r", "Rate it", "start=0 end=10 step=2"]]
    )

    question = first_question(imported)
    assert question["type"] == "scale"
    assert [option["label"] for option in question["options"]] == ["0", "2", "4", "6", "8", "10"]


def test_a_range_with_many_points_becomes_a_number_between_its_ends_and_says_so(workbook: Any) -> None:
    imported = workbook(
        survey=[["type", "name", "label", "parameters"], ["range", "r", "How far?", "start=1 end=100"]]
    )

    question = first_question(imported)
    assert (question["type"], question["min"], question["max"]) == ("number", 1, 100)
    assert notes_of(imported) == [
        "sheet survey, row 2, column A (type): the range became a number box from 1 to 100, as it has too "
        "many points for a scale"
    ]


def test_a_note_becomes_a_paragraph_of_its_label_and_hint(workbook: Any) -> None:
    imported = workbook(
        survey=[["type", "name", "label", "hint"], ["note", "intro", "Welcome", "It takes 5 minutes."]]
    )

    assert first_question(imported) == {"type": "paragraph", "body": "Welcome\n\nIt takes 5 minutes."}


def test_a_label_hint_and_required_message_carry_their_translations(workbook: Any) -> None:
    imported = workbook(
        survey=[
            [
                *("type", "name", "label", "label::Welsh (cy)", "hint::Welsh (cy)", "hint", "required"),
                *("required_message", "required_message::Welsh (cy)"),
            ],
            ["text", "name", "Your name", "Eich enw", "Fel y mae", "As it is", "yes", "Enter it", "Rhowch"],
        ],
        settings=[["form_title", "default_language"], ["Names", "English (en)"]],
    )

    form = form_of(imported)
    question = form.question("name")
    assert form.languages == ("en", "cy")
    assert (question.label.get("cy"), question.hint and question.hint.get("cy")) == ("Eich enw", "Fel y mae")
    assert question.errors["required"].get("cy") == "Rhowch"
    assert not question.optional


def test_the_default_language_may_be_welsh(workbook: Any) -> None:
    imported = workbook(
        survey=[
            ["type", "name", "label::Cymraeg (cy)", "label::English (en)"],
            ["text", "enw", "Eich enw", "Your name"],
        ],
        settings=[["default_language"], ["Cymraeg (cy)"]],
    )

    form = form_of(imported)
    assert form.languages == ("cy", "en")
    assert form.question("enw").label.get("en") == "Your name"


def test_a_label_piping_an_earlier_answer_shows_it_the_coform_way(workbook: Any) -> None:
    imported = workbook(
        survey=[["type", "name", "label"], ["text", "name", "Your name?"], ["text", "why", "Why, ${name}?"]]
    )

    assert form_of(imported).question("why").label.default == "Why, ((name))?"


# --- settings -------------------------------------------------------------------------------------------


def test_settings_give_the_title_and_slug_and_say_what_was_not_kept(workbook: Any) -> None:
    imported = workbook(
        survey=[["type", "name", "label"], ["text", "q", "Q?"]],
        settings=[
            ["form_title", "form_id", "version", "style", "instance_name"],
            ["Library survey", "Library_Survey 2024", 2024010101, "pages", "concat(${q})"],
        ],
    )

    form = form_of(imported)
    assert (form.title.default, imported.slug) == ("Library survey", "library-survey-2024")
    assert notes_of(imported) == [
        "sheet settings, row 2, column C (version): version '2024010101' was not kept: coform versions a "
        "form by its content",
        "sheet settings, row 2, column E (instance_name): the setting instance_name 'concat(${q})' has no "
        "coform equivalent and was left out",
    ]


def test_a_style_other_than_pages_is_noted(workbook: Any) -> None:
    imported = workbook(
        survey=[["type", "name", "label"], ["text", "q", "Q?"]], settings=[["style"], ["theme-grid"]]
    )

    assert notes_of(imported)[0] == (
        "sheet settings, row 2, column A (style): style 'theme-grid' was not kept: coform shows one question "
        "per page"
    )


# --- groups and repeats -----------------------------------------------------------------------------------


def test_a_field_list_group_becomes_one_page_titled_by_its_label(workbook: Any) -> None:
    imported = workbook(
        survey=[
            ["type", "name", "label", "appearance", "relevant"],
            ["integer", "age", "Age?", "", ""],
            ["begin group", "contact", "How to contact you", "field-list", "${age} >= 18"],
            ["text", "phone", "Phone", "", ""],
            ["text", "email", "Email", "", "${phone} = ''"],
            ["end group", "", "", "", ""],
        ]
    )

    page = data_of(imported)["pages"][1]
    assert (page["id"], page["title"], page["show_if"]) == ("contact", "How to contact you", "age >= 18")
    assert [question["id"] for question in page["questions"]] == ["phone", "email"]
    assert page["questions"][1]["show_if"] == "not answered(phone)"


def test_top_level_groups_become_sections_and_nested_groups_pass_their_relevant_to_their_pages(
    workbook: Any,
) -> None:
    imported = workbook(
        survey=[
            ["type", "name", "label", "relevant"],
            ["select_one yn", "carer", "Are you a carer?", ""],
            ["begin group", "caring", "Caring", "${carer} = 'yes'"],
            ["begin group", "hours_group", "Hours", "${carer} != 'no'"],
            ["integer", "hours", "Hours a week?", ""],
            ["end group", "", "", ""],
            ["end group", "", "", ""],
        ],
        choices=YES_NO,
    )

    sections = data_of(imported)["sections"]
    assert [section["id"] for section in sections] == ["part", "caring"]
    assert (sections[1]["title"], sections[1]["show_if"]) == ("Caring", "carer = 'yes'")
    assert sections[1]["pages"][0]["show_if"] == "carer != 'no'"
    assert notes_of(imported) == [
        "sheet survey, row 4, column C (label): the label of the group 'hours_group' was not kept: a group "
        "inside a section becomes pages of that section"
    ]


def test_a_repeat_becomes_a_repeating_page_and_a_fixed_repeat_count_fixes_the_items(workbook: Any) -> None:
    imported = workbook(
        survey=[
            ["type", "name", "label", "jr:count"],
            ["begin repeat", "journeys", "Journey", 3],
            ["text", "from_place", "From", ""],
            ["text", "to_place", "To", ""],
            ["end repeat", "", "", ""],
        ]
    )

    page = form_of(imported).page("journeys")
    assert page.repeat is not None
    assert (page.repeat.item_name.default, page.repeat.min_items, page.repeat.max_items) == ("Journey", 3, 3)
    assert [question.id for question in page.questions] == ["from_place", "to_place"]


def test_a_nested_repeat_is_refused_at_its_row(workbook: Any) -> None:
    imported = workbook(
        survey=[
            ["type", "name", "label"],
            ["begin repeat", "people", "Person"],
            ["begin repeat", "jobs", "Job"],
            ["text", "job", "Job title"],
            ["end repeat", "", ""],
            ["end repeat", "", ""],
        ]
    )

    assert problems_of(imported) == [
        "sheet survey, row 3, column A (type): the repeat 'jobs' is inside the repeat at row 2; coform "
        "cannot nest repeats. Fix: ask the inner questions once per item of the outer repeat, or on a "
        "page of their own"
    ]


def test_unmatched_begin_and_end_rows_are_refused(workbook: Any) -> None:
    imported = workbook(
        survey=[
            ["type", "name", "label"],
            ["begin group", "a", "A"],
            ["end repeat", "", ""],
            ["end group", "", ""],
            ["begin repeat", "b", "B"],
        ]
    )

    assert problems_of(imported) == [
        "sheet survey, row 3, column A (type): 'end repeat' closes the begin group at row 2. Fix: write "
        "end group here, or move the rows so each begin has its own end",
        "sheet survey, row 4, column A (type): 'end group' has no begin group before it. "
        "Fix: delete this row",
        "sheet survey, row 5, column A (type): 'begin repeat' is never ended. Fix: add the matching end "
        "row after its last question",
    ]


# --- required, relevant, constraints ---------------------------------------------------------------------


@pytest.mark.parametrize(("required", "optional"), [("yes", False), ("TRUE", False), ("true()", False)])
def test_required_words_make_a_question_required(workbook: Any, required: str, optional: bool) -> None:
    imported = workbook(survey=[["type", "name", "label", "required"], ["text", "q", "Q?", required]])

    assert first_question(imported).get("optional", False) is optional


def test_a_question_not_marked_required_is_optional(workbook: Any) -> None:
    imported = workbook(survey=[["type", "name", "label", "required"], ["text", "q", "Q?", "no"]])

    assert first_question(imported)["optional"] is True


def test_a_required_expression_leaves_the_question_optional_and_says_so(workbook: Any) -> None:
    imported = workbook(
        survey=[
            ["type", "name", "label", "required"],
            ["integer", "age", "Age?", "yes"],
            ["text", "school", "School?", "${age} < 18"],
        ]
    )

    assert form_of(imported).question("school").optional
    assert notes_of(imported) == [
        "sheet survey, row 3, column D (required): required only when '${age} < 18': coform cannot make a "
        "question required on a condition, so it is optional"
    ]


@pytest.mark.parametrize(
    ("relevant", "show_if"),
    [
        ("${age} >= 18", "age >= 18"),
        ("selected(${role}, 'carer')", "selected(role, 'carer')"),
        ("${role} = 'Not sure'", "role = 'not_sure'"),
        ("count-selected(${needs}) > 1", "count_selected(needs) > 1"),
        ("string-length(${name}) > 0", "length(name) > 0"),
        ("regex(${name}, '^[A-Z]')", "matches(name, '^[A-Z]')"),
        ("${born} < today()", "born < today()"),
        ("${born} >= date('2000-01-01')", "born >= date('2000-01-01')"),
        ("${name} != ''", "answered(name)"),
        ("${name} = ''", "not answered(name)"),
        ("not(selected(${role}, 'carer'))", "not selected(role, 'carer')"),
        ("not(${age} > 1 or ${age} < 0)", "not (age > 1 or age < 0)"),
        ("(${age} > 1 or ${age} < 0) and ${name} != ''", "(age > 1 or age < 0) and answered(name)"),
        ("18 <= ${age}", "age >= 18"),
        ("true()", "true"),
        ("count(${visits}) > 0", "count(visits) > 0"),
        ('${name} = "it\'s"', 'name = "it\'s"'),
    ],
)
def test_relevant_expressions_are_translated_into_coform_conditions(relevant: str, show_if: str) -> None:
    names = _names("age", "name", "born", "needs", role={"carer": "carer", "Not sure": "not_sure"})
    names["visits"] = NameInfo("visits", "repeat", 9)

    assert translate_condition(relevant, names) == show_if


@pytest.mark.parametrize(
    ("relevant", "message"),
    [
        ("pulldata('f', 'a', 'b', ${age})", "pulldata() reads an external file, which coform cannot do"),
        ("jr:choice-name(${age}, '${age}') = 'x'", "jr:choice-name() looks up a choice's label"),
        ("indexed-repeat(${age}, ${age}, 1) > 2", "indexed-repeat() reads one item of a repeat"),
        ("${age} + 1 > 2", "arithmetic ('+') cannot be used"),
        ("/data/age > 2", "XPath paths (/data/..., .., @attribute, [predicates]) cannot be followed"),
        ("concat(${age}, 'x') = 'y'", "concat() has no coform equivalent"),
        ("${total} > 2", "${total} is a calculate (row 4), which coform cannot work out"),
        ("${started} != ''", "${started} is metadata (row 2), which coform does not collect"),
        ("${agee} > 2", "${agee} is not a name in the survey sheet"),
        ("${age} > ", "the expression ends too soon"),
    ],
)
def test_relevant_expressions_coform_cannot_express_are_refused_with_the_reason(
    relevant: str, message: str
) -> None:
    names = _names("age")
    names["total"] = NameInfo("total", "calculate", 4)
    names["started"] = NameInfo("started", "metadata", 2)

    with pytest.raises(XPathProblem) as raised:
        translate_condition(relevant, names)

    assert raised.value.message.startswith(message)


def test_an_untranslatable_relevant_refuses_the_import_naming_its_cell(workbook: Any) -> None:
    imported = workbook(
        survey=[
            ["type", "name", "label", "calculation", "relevance"],
            ["integer", "age", "Age?", "", ""],
            ["calculate", "double", "", "${age} * 2", ""],
            ["text", "why", "Why?", "", "${double} > 40"],
        ]
    )

    assert problems_of(imported) == [
        "sheet survey, row 4, column E (relevance): relevant '${double} > 40' cannot be translated: "
        "${double} is a calculate (row 3), which coform cannot work out. Fix: rewrite this condition "
        "using the questions the calculation reads"
    ]


def test_a_calculate_nothing_uses_and_metadata_are_left_out_with_a_note(workbook: Any) -> None:
    imported = workbook(
        survey=[
            ["type", "name", "label", "calculation"],
            ["start", "start", "", ""],
            ["deviceid", "device", "", ""],
            ["text", "q", "Q?", ""],
            ["calculate", "stamp", "", "now()"],
        ]
    )

    form_of(imported)
    assert notes_of(imported) == [
        "sheet survey, row 2, column A (type): start was left out: coform does not collect 'start' metadata",
        "sheet survey, row 3, column A (type): device was left out: coform does not collect 'deviceid' "
        "metadata",
        "sheet survey, row 5, column A (type): stamp was left out: coform does not collect calculations",
    ]


@pytest.mark.parametrize(
    ("constraint", "coform_type", "settings"),
    [
        (". >= 0 and . <= 120", "number", {"min": "0", "max": "120"}),
        (". > 0", "number", {"min": "1"}),
        (". < 10", "number", {"max": "9"}),
        ("0 <= .", "decimal", {"min": "0"}),
        (". <= 99.5", "decimal", {"max": "99.5"}),
        ("string-length(.) <= 50", "text", {"max_length": "50"}),
        ("string-length(.) >= 2 and string-length(.) < 11", "text", {"min_length": "2", "max_length": "10"}),
        ("regex(., '^[0-9]{6}$')", "text", {"pattern": "[0-9]{6}"}),
        ("regex(., 'OX')", "text", {"pattern": "(?s).*(?:OX).*"}),
        (". <= today()", "date", {"latest": "today"}),
        (". < today()", "date", {"must_be": "past"}),
        (". > today()", "date", {"must_be": "future"}),
        (". >= date('2020-01-01')", "date", {"earliest": "2020-01-01"}),
        (". < date('2030-01-01')", "date", {"latest": "2029-12-31"}),
        ("count-selected(.) <= 3", "checkboxes", {"max_selected": "3"}),
        ("count-selected(.) >= 2", "checkboxes", {"min_selected": "2"}),
        ("count-selected(.) >= 0", "checkboxes", {}),
    ],
)
def test_constraints_become_coform_settings(
    constraint: str, coform_type: str, settings: dict[str, str]
) -> None:
    assert translate_constraint(constraint, coform_type) == settings


@pytest.mark.parametrize(
    ("constraint", "coform_type"),
    [
        (". != 'x'", "radios"),
        (". > 0.5", "decimal"),
        (". = 5", "number"),
        ("regex(., 'x')", "number"),
        (". > ${age}", "number"),
        ("string-length(.) <= 5", "number"),
    ],
)
def test_constraints_without_a_coform_setting_are_not_translated(constraint: str, coform_type: str) -> None:
    with pytest.raises(XPathProblem):
        translate_constraint(constraint, coform_type)


def test_a_constraint_message_becomes_the_wording_of_each_error_the_settings_raise(workbook: Any) -> None:
    imported = workbook(
        survey=[
            ["type", "name", "label", "constraint", "constraint_message", "constraint_message::Welsh (cy)"],
            ["integer", "age", "Age?", ". >= 16 and . <= 25", "Enter 16 to 25", "Rhowch 16 i 25"],
        ]
    )

    question = form_of(imported).question("age")
    assert (question.min, question.max) == (Decimal(16), Decimal(25))
    assert set(question.errors) == {"too_small", "too_large", "out_of_range"}
    assert question.errors["out_of_range"].get("cy") == "Rhowch 16 i 25"


def test_an_untranslatable_constraint_on_a_required_question_is_refused(workbook: Any) -> None:
    imported = workbook(
        survey=[
            ["type", "name", "label", "required", "constraint"],
            ["integer", "age", "Age?", "yes", ". mod 2 = 0"],
        ]
    )

    assert problems_of(imported) == [
        "sheet survey, row 2, column E (constraint): the constraint '. mod 2 = 0' on a required question "
        "cannot be kept: this part of the constraint has no coform setting for a number question. Fix: use "
        "limits coform has: . >= N and . <= N on numbers and dates, string-length(.) <= N and "
        "regex(., 'pattern') on text, count-selected(.) <= N on select_multiple; or remove the constraint "
        "if it is not needed"
    ]


def test_an_untranslatable_constraint_on_an_optional_question_is_left_out_with_a_note(workbook: Any) -> None:
    imported = workbook(
        survey=[["type", "name", "label", "constraint"], ["integer", "age", "Age?", ". mod 2 = 0"]]
    )

    form_of(imported)
    assert notes_of(imported) == [
        "sheet survey, row 2, column D (constraint): the constraint '. mod 2 = 0' was left out: this part of "
        "the constraint has no coform setting for a number question"
    ]


def test_defaults_read_only_and_appearances_coform_lacks_are_noted(workbook: Any) -> None:
    imported = workbook(
        survey=[
            ["type", "name", "label", "default", "read_only", "appearance"],
            ["text", "town", "Town?", "Oxford", "yes", "numbers"],
        ]
    )

    form_of(imported)
    assert notes_of(imported) == [
        "sheet survey, row 2, column D (default): the default 'Oxford' was left out: coform does not fill "
        "in answers in advance",
        "sheet survey, row 2, column E (read_only): read_only was left out: coform questions can always be "
        "answered",
        "sheet survey, row 2, column F (appearance): the appearance 'numbers' was not kept",
    ]


# --- what coform cannot ask -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("xlsform_type", "what"),
    [
        ("geopoint", "a map location"),
        ("geotrace", "a line drawn on a map"),
        ("geoshape", "a shape drawn on a map"),
        ("audio", "an audio recording"),
        ("video", "a video recording"),
        ("barcode", "a scanned barcode"),
        ("select_one_from_file towns.csv", "choices from an external file"),
    ],
)
def test_questions_coform_cannot_ask_refuse_the_import_at_their_type_cell(
    workbook: Any, xlsform_type: str, what: str
) -> None:
    imported = workbook(survey=[["type", "name", "label"], ["text", "a", "A?"], [xlsform_type, "q", "Q?"]])

    assert problems_of(imported) == [
        f"sheet survey, row 3, column A (type): '{xlsform_type}' asks for {what}, which coform cannot ask. "
        "Fix: remove the question, or change it to a type coform has: text, integer, decimal, date, "
        "select_one, select_multiple, rank, range, acknowledge, file or image"
    ]


def test_a_kobotoolbox_matrix_is_refused_once_with_its_rows_skipped(workbook: Any) -> None:
    imported = workbook(
        survey=[
            ["type", "name", "label"],
            ["begin_kobomatrix yn", "m", "Matrix"],
            ["select_one yn", "row_a", "Row A"],
            ["end_kobomatrix", "", ""],
        ],
        choices=YES_NO,
    )

    assert problems_of(imported) == [
        "sheet survey, row 2, column A (type): KoboToolbox's matrix (begin_kobomatrix) is a vendor "
        "extension, so its questions cannot be imported. Fix: rewrite them as ordinary questions (for a "
        "matrix, one select_one per row in a field-list group)"
    ]


def test_an_unknown_type_is_refused_with_the_nearest_known_type(workbook: Any) -> None:
    imported = workbook(survey=[["type", "name", "label"], ["integr", "q", "Q?"]])

    assert problems_of(imported) == [
        "sheet survey, row 2, column A (type): 'integr' is not an XLSForm type coform knows. Fix: did you "
        "mean integer?"
    ]


def test_a_choice_filter_is_refused(workbook: Any) -> None:
    imported = workbook(
        survey=[["type", "name", "label", "choice_filter"], ["select_one yn", "q", "Q?", "x = 1"]],
        choices=YES_NO,
    )

    assert problems_of(imported) == [
        "sheet survey, row 2, column D (choice_filter): the choice_filter 'x = 1' cannot be kept: coform "
        "offers every choice of the list. Fix: split the list into one list per case and ask each with a "
        "relevant, or remove the filter"
    ]


def test_a_select_from_a_missing_list_is_refused_with_the_nearest_list(workbook: Any) -> None:
    imported = workbook(
        survey=[["type", "name", "label"], ["select_one yesno", "q", "Q?"]],
        choices=[["list_name", "name", "label"], ["yes_no", "yes", "Yes"]],
    )

    assert problems_of(imported) == [
        "sheet survey, row 2, column A (type): the list 'yesno' is not on the choices sheet. Fix: did you "
        "mean yes_no?"
    ]


def test_a_question_without_a_label_or_name_is_refused(workbook: Any) -> None:
    imported = workbook(survey=[["type", "name", "label"], ["text", "q", ""], ["text", "", "Name?"]])

    assert problems_of(imported) == [
        "sheet survey, row 3, column B (name): the text row has no name. "
        "Fix: write a name, such as full_name",
        "sheet survey, row 2, column C (label): the question 'q' has no label. "
        "Fix: write the question in the label column",
    ]


def test_a_workbook_without_a_survey_sheet_is_refused(workbook: Any) -> None:
    imported = workbook(choices=YES_NO)

    assert problems_of(imported) == [
        "sheet survey: the workbook has no survey sheet. Fix: name the sheet of questions 'survey', with a "
        "header row such as type, name, label"
    ]


def test_an_old_xls_file_is_refused_with_how_to_save_it_as_xlsx(tmp_path: Path) -> None:
    path = tmp_path / "old.xls"
    path.write_bytes(b"\xd0\xcf\x11\xe0")

    with pytest.raises(XLSFormError, match=r"save it as \.xlsx"):
        import_xlsform(path)


def test_a_file_that_is_not_a_workbook_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "notes.xlsx"
    path.write_text("hello")

    with pytest.raises(XLSFormError, match=r"cannot be read as an \.xlsx workbook"):
        import_xlsform(path)


# --- Excel's habits -----------------------------------------------------------------------------------------


def test_choice_names_excel_made_numbers_or_dates_or_typed_with_spaces_become_values_with_a_note(
    workbook: Any,
) -> None:
    imported = workbook(
        survey=[
            ["type", "name", "label", "relevant"],
            ["select_one l", "q", "Q?", ""],
            ["text", "t", "T?", "${q} = '1'"],
        ],
        choices=[
            ["list_name", "name", "label"],
            ["l", 1.0, "One"],
            ["l", dt.datetime(2024, 1, 31), "A date"],
            ["l", "Not sure ", "Not sure"],
        ],
    )

    data = data_of(imported)
    assert [o["value"] for o in data["pages"][0]["questions"][0]["options"]] == [
        "n1",
        "n2024_01_31",
        "not_sure",
    ]
    assert data["pages"][1]["show_if"] == "q = 'n1'"
    assert notes_of(imported) == [
        "sheet choices, row 2, column B (name): choice names in list 'l' changed to coform values (lower "
        "case, no spaces, starting with a letter): '1' -> n1 (Excel stored it as a number), '2024-01-31' -> "
        "n2024_01_31 (Excel stored it as a date), 'Not sure ' -> not_sure"
    ]


def test_choice_names_that_become_the_same_value_are_refused_never_merged(workbook: Any) -> None:
    imported = workbook(
        survey=[["type", "name", "label"], ["select_one l", "q", "Q?"]],
        choices=[["list_name", "name", "label"], ["l", "not_sure", "Not sure"], ["l", "Not Sure", "Unsure"]],
    )

    assert problems_of(imported) == [
        "sheet choices, row 3, column B (name): choice name 'Not Sure' in list 'l' becomes 'not_sure', "
        "already used at row 2. Fix: give each choice in the list its own name "
        "(names that differ only in spaces, capitals or punctuation are the same in coform)"
    ]


def test_question_names_are_trimmed_and_made_snake_case_with_a_note_and_duplicates_refused(
    workbook: Any,
) -> None:
    renamed = workbook(survey=[["type", "name", "label"], ["text", "First Name ", "First name?"]])
    duplicated = workbook(
        survey=[["type", "name", "label"], ["text", "firstName", "A?"], ["text", "first_name", "B?"]],
        name="duplicated.xlsx",
    )

    assert first_question(renamed)["id"] == "first_name"
    assert notes_of(renamed) == [
        "sheet survey, row 2, column B (name): the name 'First Name ' became 'first_name'"
    ]
    assert problems_of(duplicated) == [
        "sheet survey, row 3, column B (name): the name 'first_name' becomes 'first_name', which is already "
        "used at row 2. Fix: give every row its own name (names that differ only in capitals or punctuation "
        "are the same)"
    ]


def test_empty_rows_are_skipped_and_header_spellings_and_aliases_are_understood(workbook: Any) -> None:
    imported = workbook(
        survey=[
            ["Type", "Name ", "Caption", "Relevance", "Required Message"],
            [None, None, None, None, None],
            ["integer", "age", "Age?", "", ""],
            ["", "  ", "", "", ""],
            ["text", "why", "Why?", "${age} > 1", ""],
        ]
    )

    form = form_of(imported)
    assert [question.id for question in form.iter_questions()] == ["age", "why"]
    assert form.page("why_page").show_if is not None


def test_choices_may_head_their_names_value(workbook: Any) -> None:
    imported = workbook(
        survey=[["type", "name", "label"], ["select_one l", "q", "Q?"]],
        choices=[["List_Name", "Value", "Label"], ["l", "a", "A"]],
    )

    assert first_question(imported)["options"] == [{"value": "a", "label": "A"}]


def test_a_duplicate_header_with_answers_in_both_columns_is_refused(workbook: Any) -> None:
    imported = workbook(survey=[["type", "name", "label", "Label"], ["text", "q", "Q?", "Q again?"]])

    assert problems_of(imported) == [
        "sheet survey, row 1, column D (Label): column C and column D are both 'label'. Fix: delete one of "
        "the two columns, or rename it"
    ]


def test_an_empty_duplicate_header_is_ignored_with_a_note(workbook: Any) -> None:
    imported = workbook(survey=[["type", "name", "label", "label "], ["text", "q", "Q?", None]])

    assert first_question(imported)["label"] == "Q?"
    assert notes_of(imported) == [
        "sheet survey, row 1, column D (label): 'label' is also column C; the empty one was ignored"
    ]


def test_columns_and_sheets_coform_does_not_read_are_noted(workbook: Any) -> None:
    imported = workbook(
        survey=[["type", "name", "label", "media::image", "comments"], ["text", "q", "Q?", "a.png", "check"]],
        notes=[["anything"]],
    )

    form_of(imported)
    assert notes_of(imported) == [
        "sheet notes: this sheet is not part of XLSForm's survey, choices or settings, so it was left out",
        "sheet survey, row 1, column D (media::image): media (1 row) were not imported: add images in coform",
        "sheet survey, row 1, column E (comments): 'comments' is not an XLSForm survey column coform reads, "
        "so it was left out",
    ]


# --- names and YAML -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "value"),
    [
        ("First Name", "first_name"),
        ("fullName", "full_name"),
        ("1", "n1"),
        ("-1", "minus_1"),
        ("Café", "cafe"),
    ],
)
def test_names_become_coform_ids(typed: str, value: str) -> None:
    assert clean_name(typed) == value


@pytest.mark.parametrize(
    "text",
    ["Yes", "no", "ON", "07", "1.10", "null", "~", "a: b", "x #y", " lead", "", "1:30", "it's", "tab\there"],
)
def test_every_scalar_yaml_1_1_could_misread_is_quoted_and_reads_back_as_the_same_text(text: str) -> None:
    written = yaml_scalar(text)

    assert written != text or text[:1].isalpha()
    assert yaml.safe_load(f"key: {written}") == {"key": text}


def test_multi_line_notes_are_written_as_block_text_that_the_checker_reads(workbook: Any) -> None:
    imported = workbook(survey=[["type", "name", "label"], ["note", "n", "Line one\nLine two: with a colon"]])

    assert imported.yaml is not None
    assert "body: |-" in imported.yaml
    assert first_question(imported)["body"] == "Line one\nLine two: with a colon"


def test_checker_errors_on_the_result_point_back_at_the_workbook_cell(workbook: Any) -> None:
    imported = workbook(
        survey=[
            ["type", "name", "label", "relevant"],
            ["text", "a", "A?", "${b} = 'x'"],
            ["text", "b", "B?", ""],
        ]
    )

    assert not imported.ok
    assert imported.checker_errors == (
        "sheet survey, row 2, column D (relevant): show_if: 'b' is asked later (on page 'b_page'), so it has "
        "no answer yet here. Fix: refer only to questions asked before this point, or move that question "
        "earlier (YAML line 4)",
    )


# --- the command --------------------------------------------------------------------------------------------


def test_the_command_writes_the_form_and_lists_what_was_left_out(
    workbook: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    workbook(survey=[["type", "name", "label"], ["start", "start", ""], ["text", "q", "Q?"]], name="in.xlsx")
    output = tmp_path / "forms" / "my-form.yaml"

    code = main(["import-xlsform", str(tmp_path / "in.xlsx"), "-o", str(output)])

    assert code == 0
    assert load_form_text(output.read_text(), str(output)).slug == "my-form"
    assert "start was left out: coform does not collect 'start' metadata" in capsys.readouterr().err


def test_the_command_refuses_with_exit_code_1_and_writes_nothing(
    workbook: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    workbook(survey=[["type", "name", "label"], ["geopoint", "where", "Where?"]], name="in.xlsx")
    output = tmp_path / "my-form.yaml"

    code = main(["import-xlsform", str(tmp_path / "in.xlsx"), "-o", str(output)])

    assert code == 1
    assert not output.exists()
    assert (
        "sheet survey, row 2, column A (type): 'geopoint' asks for a map location" in capsys.readouterr().err
    )


# --- end to end ---------------------------------------------------------------------------------------------

SURVEY_OF_THE_LIBRARY: Table = [
    ["type", "name", "label", "label::Welsh (cy)", "required", "relevant", "constraint", "appearance"],
    [
        "select_one yn",
        "visited",
        "Have you visited the library?",
        "Ydych chi wedi ymweld?",
        "yes",
        "",
        "",
        "",
    ],
    ["begin group", "visit", "Your visit", "Eich ymweliad", "", "${visited} = 'yes'", "", "field-list"],
    ["integer", "visits", "How many times?", "Sawl gwaith?", "yes", "", ". >= 1", ""],
    ["select_multiple uses or_other", "uses", "What did you do?", "Beth wnaethoch chi?", "", "", "", ""],
    ["end group", "", "", "", "", "", "", ""],
    ["text", "ideas", "Any ideas?", "Unrhyw syniadau?", "", "", "", "multiline"],
]
LIBRARY_CHOICES: Table = [
    ["list_name", "name", "label", "label::Welsh (cy)"],
    ["yn", "yes", "Yes", "Ydw"],
    ["yn", "no", "No", "Na"],
    ["uses", "Borrow books", "Borrow books", "Benthyg llyfrau"],
    ["uses", "computers", "Use the computers", "Defnyddio'r cyfrifiaduron"],
]


def test_an_imported_workbook_renders_in_the_preview(workbook: Any) -> None:
    form = form_of(workbook(survey=SURVEY_OF_THE_LIBRARY, choices=LIBRARY_CHOICES, name="library.xlsx"))
    app = create_app(Settings(secret_key="test", secure_cookies=False), forms={form.slug: form})

    with TestClient(app) as client:
        page = client.get(f"/forms/{form.slug}/preview")

    assert page.status_code == 200
    assert "Have you visited the library?" in page.text
    assert 'name="uses" type="checkbox" value="borrow_books"' in page.text


def test_a_respondent_answers_an_imported_workbook_and_the_answers_are_stored(
    workbook: Any, database_url: str
) -> None:
    form = form_of(workbook(survey=SURVEY_OF_THE_LIBRARY, choices=LIBRARY_CHOICES, name="library.xlsx"))
    settings = Settings(database_url=database_url, secret_key="test", secure_cookies=False)
    app = create_app(settings, forms={form.slug: form})

    with TestClient(app) as client:
        page = _post_first_form(client, client.get(f"/forms/{form.slug}"), {})
        page = _post_first_form(client, page, {"visited": "yes"})
        page = _post_first_form(
            client, page, {"visits": "3", "uses": ["borrow_books", "other"], "uses__other": "Read papers"}
        )
        page = _post_first_form(client, page, {"ideas": "Open on Sundays"})
        assert page.url.path == f"/forms/{form.slug}/check-answers", page.text
        page = _post_first_form(client, page, {})
        reference = re.search(r"<strong>([A-Z]{2,5}-[0-9A-Z]{4}-[0-9A-Z]{4})</strong>", page.text)
        assert reference is not None, page.text
        portal = client.portal
        assert portal is not None
        submission = portal.call(storage.get_submission, reference.group(1))

    assert submission is not None
    assert submission.answers == {
        "visited": "yes",
        "visits": 3,
        "uses": ["borrow_books", "other"],
        "uses__other": "Read papers",
        "ideas": "Open on Sundays",
    }


def _post_first_form(client: TestClient, page: Any, answers: dict[str, Any]) -> Any:
    """Post the first form on `page` with its hidden fields and `answers`, as a browser without JS would."""
    action, body = re.findall(r'<form method="post" action="([^"]*)"[^>]*>(.*?)</form>', page.text, re.S)[0]
    data: dict[str, Any] = {
        name: html.unescape(value)
        for name, value in re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', body)
    }
    data.update(answers)
    return client.post(html.unescape(action) or str(page.url), data=data)


def _names(*questions: str, role: dict[str, str] | None = None) -> dict[str, NameInfo]:
    names = {name: NameInfo(name, "question", 2) for name in questions}
    if role is not None:
        names["role"] = NameInfo("role", "question", 3, role)
    return names
