"""Exports: CSV, XLSX and JSON Lines columns across form versions, safety of cells, streaming and memory."""

from __future__ import annotations

import asyncio
import contextlib
import csv
import io
import json
import tempfile
import tracemalloc
from collections.abc import AsyncIterator
from pathlib import Path

import openpyxl
import pytest

from engine import storage
from engine.definition import Form
from engine.export import (
    ExportLayout,
    Writer,
    csv_items_stream,
    csv_stream,
    form_history,
    jsonl_stream,
    xlsx_stream,
)
from engine.storage import Criteria
from tests import export_golden
from tests.export_forms import YOUTH_V1, YOUTH_V2, recorded, submitted

INJECTIONS = ("=SUM(A1:A2)", "+44 7700 900123", "-5", "@cmd", "\tx", "\rx")
#: XLSX keeps a carriage return as the escape "_x000D_", which Excel reads back and openpyxl does not.
XLSX_INJECTIONS = INJECTIONS[:-1]


async def exported(
    form: Form, writer: Writer, *, personal: bool = True, criteria: Criteria | None = None
) -> bytes:
    layout = ExportLayout.of(await form_history(form), personal=personal)
    batches = storage.export_batches(form.slug, criteria or Criteria(), batch_size=2)
    return b"".join([chunk async for chunk in writer(layout, batches)])


def csv_rows(data: bytes) -> tuple[list[str], dict[str, dict[str, str]]]:
    """The header and each row by its first cell (the reference)."""
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    return rows[0], {row[0]: dict(zip(rows[0], row, strict=True)) for row in rows[1:]}


def xlsx_sheets(data: bytes) -> dict[str, list[tuple[object, ...]]]:
    workbook = openpyxl.load_workbook(io.BytesIO(data))
    return {sheet.title: list(sheet.iter_rows(values_only=True)) for sheet in workbook.worksheets}


@pytest.mark.parametrize(("name", "writer", "personal"), export_golden.EXPORTS)
@pytest.mark.parametrize("batch_size", [1, 3, 1000])
async def test_every_question_type_exports_byte_for_byte_as_it_always_has(
    name: str, writer: Writer, personal: bool, batch_size: int
) -> None:
    data = await export_golden.exported(writer, personal=personal, batch_size=batch_size)

    assert data == (export_golden.GOLDEN / name).read_bytes()


@pytest.mark.usefixtures("storage")
async def test_csv_starts_with_a_byte_order_mark_so_excel_reads_utf8() -> None:
    form = await recorded(YOUTH_V1)
    await submitted(form, {"name": "Siân", "role": "carer"})

    data = await exported(form, csv_stream)

    assert data.startswith(b"\xef\xbb\xbfreference,submitted_at,version,language,review_status,tags,")
    _, rows = csv_rows(data)
    assert [row["Your name"] for row in rows.values()] == ["Siân"]


@pytest.mark.usefixtures("storage")
async def test_csv_cells_a_spreadsheet_would_run_as_formulas_are_neutralised() -> None:
    form = await recorded(YOUTH_V1)
    references = await submitted(form, *({"role": "carer", "comment": text} for text in INJECTIONS))

    _, rows = csv_rows(await exported(form, csv_stream))

    comments = [rows[reference]["Anything to add, [name]?"] for reference in references]
    assert comments == [f"'{text}" for text in INJECTIONS]


@pytest.mark.usefixtures("storage")
async def test_xlsx_writes_text_as_string_cells_exactly_as_typed() -> None:
    form = await recorded(YOUTH_V2)
    answers: list[dict[str, storage.JSONInput]] = [
        {"role": "carer", "note": text, "age": 14} for text in XLSX_INJECTIONS
    ]
    await submitted(form, *answers)

    sheets = xlsx_sheets(await exported(form, xlsx_stream))

    header, *rows = sheets["Responses"]
    note, age = header.index("A note"), header.index("How old are you?")
    assert sorted(str(row[note]) for row in rows) == sorted(XLSX_INJECTIONS)
    workbook = openpyxl.load_workbook(io.BytesIO(await exported(form, xlsx_stream)))
    cells = [row[note] for row in workbook["Responses"].iter_rows(min_row=2)]
    assert {cell.data_type for cell in cells} == {"s"}
    assert {row[age] for row in rows} == {14}


@pytest.mark.usefixtures("storage")
async def test_columns_stay_stable_across_two_versions_of_a_form_with_the_newest_labels() -> None:
    old = await recorded(YOUTH_V1)
    new = await recorded(YOUTH_V2)
    (first,) = await submitted(old, {"role": "carer", "activities": ["art"], "comment": "from v1"})
    (second,) = await submitted(new, {"role": "staff", "activities": ["music"], "age": 15})

    header, rows = csv_rows(await exported(new, csv_stream))

    assert header[6:] == [
        "Your name",
        "Which describes you best?",
        "What do you do?: Sport",
        "What do you do?: Art",
        "What do you do?: Something else",
        "What do you do?: Music",
        "What do you do?: other (please say)",
        "Anything to add, [name]?",
        "How old are you?",
        "A note",
        "How do you feel: At school",
        "How do you feel: At home",
        "Your trips: number of items",
    ]
    assert rows[first]["What do you do?: Art"] == "1"
    assert (rows[first]["Anything to add, [name]?"], rows[first]["How old are you?"]) == ("from v1", "")
    assert (rows[second]["Which describes you best?"], rows[second]["What do you do?: Music"]) == (
        "Staff",
        "1",
    )
    assert rows[first]["version"] == old.version[:12]
    assert rows[second]["version"] == new.version[:12]


@pytest.mark.usefixtures("storage")
async def test_checkbox_answers_get_a_column_per_option_and_other_text_its_own_column() -> None:
    form = await recorded(YOUTH_V1)
    (reference,) = await submitted(
        form, {"role": "young_person", "activities": ["sport", "other"], "activities__other": "Chess"}
    )

    _, rows = csv_rows(await exported(form, csv_stream))

    row = rows[reference]
    ticked = {key: row[f"What do you do?: {key}"] for key in ("Sport", "Art", "Something else")}
    assert ticked == {"Sport": "1", "Art": "", "Something else": "1"}
    assert row["What do you do?: other (please say)"] == "Chess"


@pytest.mark.usefixtures("storage")
async def test_grid_answers_get_a_column_per_statement_with_the_chosen_label() -> None:
    form = await recorded(YOUTH_V2)
    (reference,) = await submitted(form, {"role": "carer", "feelings": {"school": "sad", "home": "happy"}})

    _, rows = csv_rows(await exported(form, csv_stream))

    assert rows[reference]["How do you feel: At school"] == "Sad"
    assert rows[reference]["How do you feel: At home"] == "Happy"


@pytest.mark.usefixtures("storage")
async def test_repeating_items_are_one_row_per_item_in_a_second_file_and_a_second_sheet() -> None:
    form = await recorded(YOUTH_V1)
    trips = [{"destination": "Oxford", "cost": "12.50"}, {"destination": "=Banbury", "cost": "3.00"}]
    (reference,) = await submitted(form, {"role": "carer", "trips": trips})

    items = list(csv.reader(io.StringIO((await exported(form, csv_items_stream)).decode("utf-8-sig"))))
    sheets = xlsx_sheets(await exported(form, xlsx_stream))

    assert items == [
        ["reference", "repeating_page", "item", "Where did you go?", "What did it cost?"],
        [reference, "Your trips", "1", "Oxford", "12.50"],
        [reference, "Your trips", "2", "'=Banbury", "3.00"],
    ]
    assert sheets["Items"][1:] == [
        (reference, "Your trips", 1, "Oxford", 12.5),
        (reference, "Your trips", 2, "=Banbury", 3),
    ]
    _, rows = csv_rows(await exported(form, csv_stream))
    assert rows[reference]["Your trips: number of items"] == "2"


@pytest.mark.usefixtures("storage")
async def test_without_personal_data_personal_columns_and_labels_piping_them_are_left_out() -> None:
    form = await recorded(YOUTH_V1)
    (reference,) = await submitted(form, {"name": "Siân Jones", "role": "carer", "comment": "Thanks"})

    csv_data = await exported(form, csv_stream, personal=False)
    xlsx_data = await exported(form, xlsx_stream, personal=False)
    jsonl_data = await exported(form, jsonl_stream, personal=False)

    header, rows = csv_rows(csv_data)
    assert "Your name" not in header
    assert "Anything to add, [name]?" not in header
    assert rows[reference]["Your role"] == "Carer"
    for data in (csv_data, jsonl_data):
        assert "Siân".encode() not in data
        assert b"Thanks" not in data
    responses = xlsx_sheets(xlsx_data)["Responses"]
    assert not any(cell in ("Siân Jones", "Thanks") for row in responses for cell in row)
    assert json.loads(jsonl_data)["answers"] == {"role": "carer"}


@pytest.mark.usefixtures("storage")
async def test_json_lines_keep_the_stored_answers_with_the_reference_and_tags() -> None:
    form = await recorded(YOUTH_V1)
    (reference,) = await submitted(form, {"role": "carer", "activities": ["sport"]})
    await storage.create_tag(form.slug, "transport", "reviewer@example.org")
    await storage.tag_submissions(form.slug, [reference], "transport", "reviewer@example.org")

    line = json.loads(await exported(form, jsonl_stream))

    assert line["reference"] == reference
    assert line["tags"] == ["transport"]
    assert line["answers"] == {"role": "carer", "activities": ["sport"]}


@pytest.mark.usefixtures("storage")
async def test_an_export_is_filtered_like_the_list() -> None:
    form = await recorded(YOUTH_V1)
    carers = await submitted(form, {"role": "carer"}, {"role": "carer"}, {"role": "carer"})
    await submitted(form, {"role": "young_person"}, {"role": "young_person"})

    _, rows = csv_rows(await exported(form, csv_stream, criteria=Criteria(answers=(("role", "carer"),))))

    assert sorted(rows) == sorted(carers)


@pytest.mark.usefixtures("storage")
async def test_submissions_imported_at_one_moment_are_each_exported_once_with_their_answers() -> None:
    form = await recorded(YOUTH_V1)
    answers: list[dict[str, storage.JSONInput]] = [
        {"name": f"Person {number}", "role": "carer", "activities": ["sport"]} for number in range(7)
    ]
    references = await storage.import_submissions(form.slug, form.version, "en", answers, "YS")

    _, rows = csv_rows(await exported(form, csv_stream))

    assert sorted(rows) == sorted(references)
    assert sorted(row["Your name"] for row in rows.values()) == [f"Person {number}" for number in range(7)]
    assert {row["What do you do?: Sport"] for row in rows.values()} == {"1"}


@pytest.mark.usefixtures("storage")
async def test_an_export_reads_each_submission_with_the_answers_it_was_submitted_with() -> None:
    form = await recorded(YOUTH_V1)
    draft, _ = await storage.create_draft(form.slug, form.version, "en")
    await storage.save_answers(draft.id, {"role": "young_person", "comment": "draft text"})
    final = {"role": "carer", "activities": ["sport", "other"], "activities__other": "Chess", "name": "Ann"}
    by_hand = await storage.submit(draft.id, final, "YS")
    imported = await submitted(form, {"trips": [{"destination": "Oxford", "cost": "2.50"}], "name": "Bo"})
    empty = await submitted(form, {})

    records = [record async for batch in storage.export_batches(form.slug, Criteria()) for record in batch]

    answers = {record.reference: record.answers for record in records}
    assert answers == {
        by_hand.reference: final,
        imported[0]: {"trips": [{"destination": "Oxford", "cost": "2.50"}], "name": "Bo"},
        empty[0]: {},
    }
    # In question id order, as the answer rows were read before the answers were stored whole.
    assert list(answers[by_hand.reference]) == sorted(final)


@pytest.mark.usefixtures("storage")
async def test_a_submission_without_its_answers_stored_whole_exports_them_from_its_answer_rows() -> None:
    form = await recorded(YOUTH_V1)
    references = await submitted(form, {"role": "carer", "activities": ["art"]}, {"role": "young_person"})
    await storage.Response.filter(reference=references[0]).update(submitted_answers=None)

    records = [record async for batch in storage.export_batches(form.slug, Criteria()) for record in batch]

    assert {record.reference: record.answers for record in records} == {
        references[0]: {"role": "carer", "activities": ["art"]},
        references[1]: {"role": "young_person"},
    }


@pytest.mark.usefixtures("storage")
async def test_an_xlsx_download_cut_off_part_way_leaves_no_file_behind(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    form = await recorded(YOUTH_V1)
    await submitted(form, *({"role": "carer", "comment": "x" * 500} for _ in range(50)))
    layout = ExportLayout.of(await form_history(form), personal=True)

    stream = xlsx_stream(layout, storage.export_batches(form.slug, Criteria(), batch_size=10))
    first = await anext(stream)
    await stream.aclose()

    assert first.startswith(b"PK")
    assert list(scratch.iterdir()) == []


@pytest.mark.usefixtures("storage")
async def test_an_xlsx_export_cancelled_while_writing_leaves_no_file_behind(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    form = await recorded(YOUTH_V1)
    await submitted(form, {"role": "carer"})
    layout = ExportLayout.of(await form_history(form), personal=True)
    stalled = asyncio.Event()

    async def batches() -> AsyncIterator[list[storage.ExportRecord]]:
        async for batch in storage.export_batches(form.slug, Criteria()):
            yield batch
        stalled.set()
        await asyncio.Event().wait()  # the database stalls; the person gives up
        yield []

    async def download() -> None:
        async for _ in xlsx_stream(layout, batches()):
            pass

    task = asyncio.create_task(download())
    await stalled.wait()
    assert list(scratch.iterdir()) != []  # xlsxwriter's row files exist while it writes
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task

    assert list(scratch.iterdir()) == []


@pytest.mark.usefixtures("storage")
async def test_memory_stays_flat_as_an_export_grows() -> None:
    form = await recorded(YOUTH_V1)
    answers = {"name": "Ann", "role": "carer", "activities": ["sport", "art"], "comment": "c" * 200}
    await submitted(form, *([answers] * 200))
    layout = ExportLayout.of(await form_history(form), personal=True)

    async def peak(limit: int) -> int:
        criteria = Criteria()
        tracemalloc.start()
        try:
            seen = 0
            stream = csv_stream(layout, storage.export_batches(form.slug, criteria, batch_size=50))
            async with contextlib.aclosing(stream):
                async for chunk in stream:
                    seen += chunk.count(b"\n")
                    if seen > limit:
                        break
            return tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()

    small, large = await peak(60), await peak(200)

    # Four times the rows, but the same batches held one at a time: the peak barely moves.
    assert large < small * 1.5
