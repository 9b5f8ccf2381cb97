"""The contract every entry of QUESTION_TYPES keeps, from a valid answer to the export and the summary.

For each answerable type, a valid answer (`journeys.story.sample_answer`, posted as its raw fields)
goes through validate_page -> to_json -> save_answers and submit -> get_submission -> from_json and
comes back the same value with a display text; the CSV, XLSX and JSON Lines exports show it in the
type's own columns and never as a formula; the summary counts it (choices, grids, yes/no), gives
lowest, median and highest (numbers), lists it (free text), or is known to leave it out. Free-text
fields keep right-to-left text byte for byte; a NUL byte in any field is refused before storage.
Content blocks take no answer and get no column.

The rest of the contract lives beside the code it covers: parsing and validation (empty, too long,
a NUL byte, a lone surrogate, right-to-left text) in tests/test_questions.py, the markup of each
type in tests/web/test_question_markup.py, and storage refusing a NUL byte in tests/test_storage.py.

Storing takes a fresh database per backend once for the whole module (the `contract` fixture), not
once per type, so the module stays quick on both SQLite and PostgreSQL.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import csv
import datetime as dt
import io
import json
import os
import re
import uuid
from collections.abc import Coroutine, Iterator, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from functools import cached_property
from typing import Any, TypeVar

import asyncpg  # type: ignore[import-untyped]
import openpyxl
import pytest
from openpyxl.cell.cell import Cell as OpenpyxlCell
from openpyxl.cell.cell import MergedCell

from engine import storage
from engine.definition import Question
from engine.export import (
    FORMULA_STARTS,
    ExportLayout,
    FormHistory,
    Writer,
    csv_stream,
    form_history,
    jsonl_stream,
    xlsx_stream,
)
from engine.loader import load_form_text
from engine.questions import QUESTION_TYPES
from engine.storage import Criteria
from engine.summary import Summary, summarise
from engine.validation import validate_page
from tests.conftest import POSTGRES_SERVER
from tests.journeys.story import fields_for, sample_answer

T = TypeVar("T")

TODAY = dt.date(2026, 11, 26)

#: One question of every type, each answerable one on a page of its own (id "q_<type>").
FORM_YAML = """
title: Every question type
reference_prefix: QC
pages:
  - id: content
    title: Before you start
    questions:
      - {id: c_heading, type: heading, label: About this form}
      - {id: c_paragraph, type: paragraph, body: Each page asks one question.}
      - {id: c_warning, type: warning, body: Do not enter real details.}
      - id: c_image
        type: image
        image: {src: /static/forms/community-garden.svg, alt: A community garden}
  - id: p_text
    questions: [{id: q_text, type: text, label: A few words}]
  - id: p_long_text
    questions: [{id: q_long_text, type: long_text, label: Tell us more}]
  - id: p_email
    questions: [{id: q_email, type: email, label: Email address}]
  - id: p_phone
    questions: [{id: q_phone, type: phone, label: Phone number}]
  - id: p_postcode
    questions: [{id: q_postcode, type: postcode, label: Postcode}]
  - id: p_address
    questions: [{id: q_address, type: address, label: Home address}]
  - id: p_name
    questions: [{id: q_name, type: name, label: Full name}]
  - id: p_number
    questions: [{id: q_number, type: number, label: How many visits}]
  - id: p_decimal
    questions: [{id: q_decimal, type: decimal, label: How far}]
  - id: p_money
    questions: [{id: q_money, type: money, label: How much}]
  - id: p_date
    questions: [{id: q_date, type: date, must_be: past, label: Date of birth}]
  - id: p_bank_account
    questions: [{id: q_bank_account, type: bank_account, label: Bank details}]
  - id: p_yes_no
    questions: [{id: q_yes_no, type: yes_no, label: Will you come back}]
  - id: p_radios
    questions:
      - id: q_radios
        type: radios
        label: How did you travel
        options: [{value: bus, label: Bus}, {value: train, label: Train}]
  - id: p_checkboxes
    questions:
      - id: q_checkboxes
        type: checkboxes
        label: What do you like
        options:
          - {value: plants, label: The plants}
          - {value: people, label: Meeting people}
          - {value: quiet, label: Somewhere quiet}
  - id: p_dropdown
    questions:
      - id: q_dropdown
        type: dropdown
        label: Which bed
        options: [{value: bed_1, label: Bed 1 – herbs}, {value: bed_2, label: Bed 2 – salad}]
  - id: p_scale
    questions:
      - id: q_scale
        type: scale
        label: How good is it
        options: [{value: good, label: Good}, {value: ok, label: OK}, {value: poor, label: Poor}]
  - id: p_grid
    questions:
      - id: q_grid
        type: grid
        label: Rate each
        statements: [{value: paths, label: The paths}, {value: seating, label: The seating}]
        options: [{value: good, label: Good}, {value: poor, label: Poor}]
  - id: p_ranking
    questions:
      - id: q_ranking
        type: ranking
        label: Put in order
        options:
          - {value: seating, label: More seating}
          - {value: events, label: More events}
          - {value: paths, label: Step-free paths}
  - id: p_consent
    questions: [{id: q_consent, type: consent, label: I agree}]
  - id: p_file
    questions: [{id: q_file, type: file, accept: [pdf, png], label: Receipts}]
"""
FORM = load_form_text(FORM_YAML, "every-type.yaml")

ANSWERABLE = sorted(name for name, kind in QUESTION_TYPES.items() if not kind.content_only)
CONTENT_ONLY = sorted(name for name, kind in QUESTION_TYPES.items() if kind.content_only)

#: A cell of a worksheet as openpyxl reads it.
XlsxCell = OpenpyxlCell | MergedCell
#: A cell as an export writes it: text, a number, or blank.
Cell = str | int | Decimal | None

#: What the sample answer of each type puts in the type's columns, by header.
EXPORTED: Mapping[str, Mapping[str, Cell]] = {
    "text": {"A few words": "Sample answer"},
    "long_text": {"Tell us more": "Sample answer"},
    "email": {"Email address": "sam@example.org"},
    "phone": {"Phone number": "01865000000"},
    "postcode": {"Postcode": "OX1 1AA"},
    "address": {
        "Home address: address line 1": "1 High Street",
        "Home address: address line 2": None,
        "Home address: town or city": "Oxford",
        "Home address: postcode": "OX1 1AA",
    },
    "name": {"Full name": "Sam Taylor"},
    "number": {"How many visits": 1},
    "decimal": {"How far": Decimal("1.5")},
    "money": {"How much": Decimal("12.50")},
    "date": {"Date of birth": "1996-11-26"},
    "bank_account": {
        "Bank details: name on the account": "Sam Taylor",
        "Bank details: sort code": "309430",
        "Bank details: account number": "00733445",
    },
    "yes_no": {"Will you come back": "yes"},
    "radios": {"How did you travel": "Bus"},
    "checkboxes": {
        "What do you like: The plants": 1,
        "What do you like: Meeting people": None,
        "What do you like: Somewhere quiet": None,
    },
    "dropdown": {"Which bed": "Bed 1 – herbs"},
    "scale": {"How good is it": "Good"},
    "grid": {"Rate each: The paths": "Good", "Rate each: The seating": "Good"},
    "ranking": {
        "Put in order: More seating": 1,
        "Put in order: More events": 2,
        "Put in order: Step-free paths": 3,
    },
    "consent": {"I agree": "yes"},
    "file": {"Receipts: number of files": 1},
}


@dataclass(frozen=True)
class FreeText:
    """A field whose text is kept as typed: its raw field name and the export column it lands in."""

    field: str
    header: str


FREE_TEXT: Mapping[str, FreeText] = {
    "text": FreeText("q_text", "A few words"),
    "long_text": FreeText("q_long_text", "Tell us more"),
    "name": FreeText("q_name", "Full name"),
    "address": FreeText("q_address-line1", "Home address: address line 1"),
    "bank_account": FreeText("q_bank_account-account_name", "Bank details: name on the account"),
}
#: Already NFC and trimmed, so "as typed" and "as stored" are the same bytes; with a right-to-left
#: mark, Arabic vowel marks and digits, and a currency sign.
RIGHT_TO_LEFT = ("مَرْحَبًا بالعالم \u200f(١٢٣)", "שלום עולם, 42 ₪")
#: Text a spreadsheet would run, one per character that starts a formula.
FORMULAS = ('=HYPERLINK("https://example.org","x")', "+1+cmd|' /C calc'!A0", "-2+3", "@SUM(A1)")

#: What the summary draws for the sample answer of a choice-like type: chart title -> bar -> count.
COUNTED: Mapping[str, Mapping[str, Mapping[str, int]]] = {
    "yes_no": {"Will you come back": {"Yes": 1, "No": 0}},
    "consent": {"I agree": {"Agreed": 1}},
    "radios": {"How did you travel": {"Bus": 1, "Train": 0}},
    "dropdown": {"Which bed": {"Bed 1 – herbs": 1, "Bed 2 – salad": 0}},
    "scale": {"How good is it": {"Good": 1, "OK": 0, "Poor": 0}},
    "checkboxes": {"What do you like": {"The plants": 1, "Meeting people": 0, "Somewhere quiet": 0}},
    "grid": {
        "Rate each: The paths": {"Good": 1, "Poor": 0},
        "Rate each: The seating": {"Good": 1, "Poor": 0},
    },
}
#: Two more raw answers to each number type, and the summary's (lowest, median, highest) of all three.
NUMBER_SPREAD: Mapping[str, tuple[tuple[str, str], tuple[str, str, str]]] = {
    "number": (("-3", "1 200"), ("-3", "1", "1,200")),
    "decimal": (("0.25", "99.5"), ("0.25", "1.5", "99.5")),
    "money": (("0.99", "£1,200"), ("£0.99", "£12.50", "£1,200.00")),
}
#: Free text the summary lists answer by answer.
LISTED = frozenset({"text", "long_text"})
#: Types the summary leaves out, and why: a type moves to a table above when the summary covers it.
NOT_SUMMARISED: Mapping[str, str] = {
    "email": "a personal detail, never summarised",
    "phone": "a personal detail, never summarised",
    "postcode": "a personal detail, never summarised",
    "address": "a personal detail, never summarised",
    "name": "a personal detail, never summarised",
    "bank_account": "a personal detail, never summarised",
    "file": "uploads are counted in the export, not summarised",
    "date": "engine.summary has no section for dates yet",
    "ranking": "engine.summary has no chart for rankings yet",
}


def question_of(type_name: str) -> Question:
    return FORM.question_index[f"q_{type_name}"]


def sample_raw(type_name: str) -> dict[str, tuple[str, ...]]:
    """The raw fields a person fills in to give the sample answer to the type's question."""
    asked = question_of(type_name)
    return fields_for([asked], {asked.id: sample_answer(asked, TODAY)})


def validated(type_name: str, raw: Mapping[str, Sequence[str]]) -> Any:
    """The clean answer validate_page makes of `raw` on the type's page; fails on any error."""
    asked = question_of(type_name)
    result = validate_page(FORM, FORM.page_of[asked.id], raw, {}, TODAY)
    assert result.errors == {}, f"{type_name}: {dict(result.errors)} for {dict(raw)}"
    return result.answers[asked.id]


# --- what is stored and exported, once per database ------------------------------------------------


@dataclass(frozen=True)
class Case:
    """One submission: the type whose page is answered, what it is called here, and the raw fields."""

    type_name: str
    name: str
    raw: Mapping[str, Sequence[str]]


def cases() -> Iterator[Case]:
    for type_name in ANSWERABLE:
        yield Case(type_name, "sample", sample_raw(type_name))
    for type_name, (extra, _) in NUMBER_SPREAD.items():
        for typed in extra:
            yield Case(type_name, typed, {f"q_{type_name}": (typed,)})
    for type_name, free in FREE_TEXT.items():
        for text in (*RIGHT_TO_LEFT, *FORMULAS):
            yield Case(type_name, text, {**sample_raw(type_name), free.field: (text,)})


@dataclass(frozen=True)
class Stored:
    """Every case submitted to one database, read back, exported three ways and summarised."""

    references: Mapping[tuple[str, str], str]
    submissions: Mapping[str, storage.Submission]
    csv: bytes
    xlsx: bytes
    jsonl: bytes
    summary: Summary

    def reference(self, type_name: str, name: str = "sample") -> str:
        return self.references[(type_name, name)]

    def csv_row(self, reference: str) -> dict[str, str]:
        return self._csv_rows[reference]

    def xlsx_row(self, reference: str) -> dict[str, XlsxCell]:
        return self._xlsx_rows[reference]

    def jsonl_answers(self, reference: str) -> dict[str, Any]:
        answers: dict[str, Any] = self._jsonl_lines[reference]["answers"]
        return answers

    @cached_property
    def _csv_rows(self) -> dict[str, dict[str, str]]:
        header, *rows = csv.reader(io.StringIO(self.csv.decode("utf-8-sig")))
        return {row[0]: dict(zip(header, row, strict=True)) for row in rows}

    @cached_property
    def _xlsx_rows(self) -> dict[str, dict[str, XlsxCell]]:
        header, *rows = openpyxl.load_workbook(io.BytesIO(self.xlsx))["Responses"].iter_rows()
        return {
            str(row[0].value): {str(h.value): c for h, c in zip(header, row, strict=True)} for row in rows
        }

    @cached_property
    def _jsonl_lines(self) -> dict[str, dict[str, Any]]:
        lines = [json.loads(line) for line in self.jsonl.splitlines()]
        return {line["reference"]: line for line in lines}


async def submitted(case: Case) -> str:
    """Validate the case's page, save it to a new draft and submit it, as the web layer does."""
    asked = question_of(case.type_name)
    value = validated(case.type_name, case.raw)
    draft, _ = await storage.create_draft(FORM.slug, FORM.version, "en")
    kind = QUESTION_TYPES[case.type_name]
    draft = await storage.save_answers(
        draft.id, {asked.id: kind.to_json(value)}, seen_page=FORM.page_of[asked.id].id
    )
    return (await storage.submit(draft.id, draft.answers, FORM.reference_prefix)).reference


async def exported(layout: ExportLayout, writer: Writer) -> bytes:
    batches = storage.export_batches(FORM.slug, Criteria(), batch_size=10)
    return b"".join([chunk async for chunk in writer(layout, batches)])


async def store_every_case(database_url: str) -> Stored:
    await storage.migrate(database_url)
    async with storage.connect(database_url):
        await storage.record_form_version(FORM.slug, FORM.version, {"yaml": FORM_YAML})
        references = {(case.type_name, case.name): await submitted(case) for case in cases()}
        submissions = {}
        for reference in references.values():
            found = await storage.get_submission(reference)
            assert found is not None, f"{reference} is not stored"
            submissions[reference] = found
        history = await form_history(FORM)
        layout = ExportLayout.of(history, personal=True)
        return Stored(
            references=references,
            submissions=submissions,
            csv=await exported(layout, csv_stream),
            xlsx=await exported(layout, xlsx_stream),
            jsonl=await exported(layout, jsonl_stream),
            summary=await summarise(history, Criteria(), board=False),
        )


def run_aside(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run `coroutine` on its own event loop in a worker thread, as conftest does, and return its result."""
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


async def on_postgres_server(statement: str) -> None:
    connection = await asyncpg.connect(f"{POSTGRES_SERVER}/postgres", timeout=5)
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def contract(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stored]:
    """Every case stored in one fresh database for the module: SQLite, then PostgreSQL (skipped as
    conftest's `database_url` skips it when the server is not reachable, and failed under CI)."""
    if request.param == "sqlite":
        yield run_aside(
            store_every_case(f"sqlite://{tmp_path_factory.mktemp('contract') / 'coform.sqlite3'}")
        )
        return
    name = f"coform_test_{uuid.uuid4().hex[:16]}"
    try:
        run_aside(on_postgres_server(f'CREATE DATABASE "{name}"'))
    except (OSError, asyncpg.PostgresError) as error:
        reason = f"PostgreSQL is not reachable at {POSTGRES_SERVER} ({error})"
        if os.environ.get("CI") == "true":
            pytest.fail(f"{reason}; CI must run every test against PostgreSQL")
        pytest.skip(reason)
    try:
        yield run_aside(store_every_case(f"{POSTGRES_SERVER}/{name}"))
    finally:
        run_aside(on_postgres_server(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


# --- the tables cover the registry --------------------------------------------------------------------


def test_the_contract_form_asks_every_registered_type_once() -> None:
    asked = sorted(question.type for question in FORM.iter_questions())
    assert asked == sorted(QUESTION_TYPES)
    assert sorted(EXPORTED) == ANSWERABLE


def test_every_answerable_type_is_counted_listed_or_known_to_be_left_out_of_the_summary() -> None:
    groups = [set(COUNTED), set(NUMBER_SPREAD), set(LISTED), set(NOT_SUMMARISED)]
    assert sorted(set().union(*groups)) == ANSWERABLE
    assert sum(len(group) for group in groups) == len(ANSWERABLE), "a type is in two summary groups"


# --- validated, stored and read back ---------------------------------------------------------------------


@pytest.mark.parametrize("type_name", ANSWERABLE)
def test_a_valid_answer_is_stored_and_read_back_as_the_same_value_with_a_display_text(
    type_name: str, contract: Stored
) -> None:
    asked = question_of(type_name)
    kind = QUESTION_TYPES[type_name]
    value = validated(type_name, sample_raw(type_name))

    submission = contract.submissions[contract.reference(type_name)]

    assert submission.answers == {asked.id: kind.to_json(value)}
    assert kind.from_json(submission.answers[asked.id]) == value
    for language in ("en", "cy"):
        assert kind.display(asked, kind.from_json(submission.answers[asked.id]), language).strip()


@pytest.mark.parametrize("type_name", ANSWERABLE)
def test_a_nul_byte_in_any_field_is_refused_before_storage(type_name: str) -> None:
    asked = question_of(type_name)
    raw = sample_raw(type_name)
    for field in QUESTION_TYPES[type_name].field_names(asked):
        poisoned = {**raw, field: ((raw.get(field) or ("",))[0] + "\x00",)}
        result = validate_page(FORM, FORM.page_of[asked.id], poisoned, {}, TODAY)
        assert (result.errors[asked.id].code, dict(result.answers)) == ("invalid_characters", {}), field


@pytest.mark.parametrize("type_name", CONTENT_ONLY)
def test_a_content_block_takes_no_answer_and_has_no_export_column(type_name: str) -> None:
    (block,) = [question for question in FORM.iter_questions() if question.type == type_name]
    kind = QUESTION_TYPES[type_name]
    page = FORM.page_of[block.id]

    result = validate_page(FORM, page, {block.id: ("typed anyway",)}, {}, TODAY)

    assert (kind.field_names(block), dict(result.answers), dict(result.errors)) == ((), {}, {})
    with pytest.raises(TypeError):
        kind.to_json("typed anyway")
    layout = ExportLayout.of(FormHistory.of([FORM]), personal=True)
    assert block.id not in layout.answer_keys
    assert not [column for column in layout.columns if column.key.startswith(block.id)]


# --- exported ----------------------------------------------------------------------------------------------


def own_columns(row: Mapping[str, T], type_name: str) -> dict[str, T]:
    """The cells of the type's question: its label, or its label then ": " and a part or option."""
    label = question_of(type_name).label.default
    return {
        header: cell for header, cell in row.items() if header == label or header.startswith(f"{label}: ")
    }


def as_csv(cell: Cell) -> str:
    return "" if cell is None else str(cell)


def as_xlsx(cell: XlsxCell) -> Cell:
    """A spreadsheet cell as the export wrote it: numbers as Decimal (openpyxl reads them as floats)."""
    value = cell.value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return Decimal(str(value))
    assert value is None or isinstance(value, str), repr(value)
    return value


def formula_risks(cells: Mapping[str, str]) -> dict[str, str]:
    """Cells a spreadsheet would run: starting with a formula character and not a plain number."""
    return {
        header: text
        for header, text in cells.items()
        if text.startswith(FORMULA_STARTS) and not re.fullmatch(r"-?[0-9]+(\.[0-9]+)?", text)
    }


def texts_of(stored: storage.JSON) -> list[str]:
    """The texts of a stored answer: the answer itself, or the parts of an address or bank account."""
    parts = stored.values() if isinstance(stored, dict) else [stored]
    return [part for part in parts if isinstance(part, str)]


@pytest.mark.parametrize("type_name", ANSWERABLE)
def test_the_csv_export_shows_the_answer_in_the_types_own_columns(type_name: str, contract: Stored) -> None:
    row = contract.csv_row(contract.reference(type_name))

    assert own_columns(row, type_name) == {
        header: as_csv(cell) for header, cell in EXPORTED[type_name].items()
    }


@pytest.mark.parametrize("type_name", ANSWERABLE)
def test_the_xlsx_export_shows_the_answer_in_the_types_own_columns_as_text_or_numbers(
    type_name: str, contract: Stored
) -> None:
    row = contract.xlsx_row(contract.reference(type_name))

    cells = own_columns(row, type_name)
    assert {header: as_xlsx(cell) for header, cell in cells.items()} == {
        header: Decimal(cell) if isinstance(cell, int | Decimal) else cell
        for header, cell in EXPORTED[type_name].items()
    }
    assert {cell.data_type for cell in cells.values()} <= {"s", "n"}


@pytest.mark.parametrize("type_name", ANSWERABLE)
def test_the_json_lines_export_keeps_the_answer_as_stored(type_name: str, contract: Stored) -> None:
    reference = contract.reference(type_name)

    answers = contract.jsonl_answers(reference)

    assert answers == dict(contract.submissions[reference].answers)


@pytest.mark.parametrize("type_name", ANSWERABLE)
def test_no_exported_cell_of_the_types_answers_would_run_as_a_formula(
    type_name: str, contract: Stored
) -> None:
    references = [reference for (kind, _), reference in contract.references.items() if kind == type_name]

    for reference in references:
        assert formula_risks(contract.csv_row(reference)) == {}, reference
        assert {cell.data_type for cell in contract.xlsx_row(reference).values()} <= {"s", "n"}, reference


@pytest.mark.parametrize("text", FORMULAS)
@pytest.mark.parametrize("type_name", sorted(FREE_TEXT))
def test_free_text_a_spreadsheet_would_run_is_neutralised_in_csv_and_kept_as_text_elsewhere(
    type_name: str, text: str, contract: Stored
) -> None:
    reference = contract.reference(type_name, text)
    header = FREE_TEXT[type_name].header

    assert contract.csv_row(reference)[header] == f"'{text}"
    cell = contract.xlsx_row(reference)[header]
    assert (cell.value, cell.data_type) == (text, "s")
    stored = contract.submissions[reference].answers
    assert text in texts_of(stored[question_of(type_name).id])
    assert contract.jsonl_answers(reference) == stored


@pytest.mark.parametrize("text", RIGHT_TO_LEFT)
@pytest.mark.parametrize("type_name", sorted(FREE_TEXT))
def test_right_to_left_text_survives_storage_and_export_byte_for_byte(
    type_name: str, text: str, contract: Stored
) -> None:
    free = FREE_TEXT[type_name]
    reference = contract.reference(type_name, text)
    asked = question_of(type_name)

    stored = contract.submissions[reference].answers[asked.id]

    assert texts_of(stored).count(text) == 1
    assert own_columns(contract.csv_row(reference), type_name) == {
        header: as_csv(text if header == free.header else cell)
        for header, cell in EXPORTED[type_name].items()
    }
    assert contract.xlsx_row(reference)[free.header].value == text
    assert contract.jsonl_answers(reference) == {asked.id: stored}
    for data in (contract.csv, contract.jsonl):
        assert text.encode() in data


# --- summarised --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("type_name", sorted(COUNTED))
def test_a_choice_like_answer_is_counted_in_the_summary(type_name: str, contract: Stored) -> None:
    (choice,) = [choice for choice in contract.summary.choices if choice.question_id == f"q_{type_name}"]

    drawn = {chart.title: {bar.label: bar.count for bar in chart.bars} for chart in choice.charts}

    assert drawn == COUNTED[type_name]


@pytest.mark.parametrize("type_name", sorted(NUMBER_SPREAD))
def test_number_answers_are_summarised_as_lowest_median_and_highest(type_name: str, contract: Stored) -> None:
    (numbers,) = [numbers for numbers in contract.summary.numbers if numbers.question_id == f"q_{type_name}"]

    assert (numbers.minimum, numbers.median, numbers.maximum) == NUMBER_SPREAD[type_name][1]
    assert numbers.answered == "3"


@pytest.mark.parametrize("type_name", sorted(LISTED))
def test_free_text_answers_are_listed_in_the_summary_as_typed(type_name: str, contract: Stored) -> None:
    (texts,) = [texts for texts in contract.summary.texts if texts.question_id == f"q_{type_name}"]
    typed = [name for kind, name in contract.references if kind == type_name and name != "sample"]

    assert sorted(answer.text for answer in texts.answers) == sorted(["Sample answer", *typed])


@pytest.mark.parametrize("type_name", sorted(NOT_SUMMARISED))
def test_types_the_summary_does_not_cover_are_left_out_of_it(type_name: str, contract: Stored) -> None:
    summary = contract.summary
    summarised = {item.question_id for item in summary.choices}
    summarised |= {item.question_id for item in summary.numbers}
    summarised |= {item.question_id for item in summary.texts}

    assert f"q_{type_name}" not in summarised, NOT_SUMMARISED[type_name]
