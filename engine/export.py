"""CSV, XLSX and JSON Lines exports of a form's submissions, streamed in constant memory.

A form changes while it is live, so an export is laid out from every recorded version at once
(`FormHistory`): one column per question id, in the order the ids first appeared, labelled as the
newest version words it. Composite answers are spread over columns so a spreadsheet can count them::

    role                 -> "Your role"                          "Carer"
    activities (boxes)   -> "Activities: Sport", "Activities: Art"  1, blank
    activities__other    -> "Activities: other (please say)"     "Chess"
    address              -> "Address: address line 1", ..., "Address: postcode"
    feelings (grid)      -> "How do you feel: at school", ...    "Happy"
    journeys (repeating) -> "Journeys: number of items"           2   (items: a second sheet or file)

Without personal data (always for the board role) a question marked personal in any version has
no column at all, and neither do answers the recorded versions cannot name.

Writers are async generators of bytes over batches of `storage.ExportRecord`, so the web layer
streams them straight out. Nothing is kept on disk by name: CSV and JSON Lines are encoded batch by
batch; XLSX is built by xlsxwriter in constant-memory mode inside a private temporary directory that
is removed when the generator ends, however it ends (finished, failed or the download cut off).
"""

from __future__ import annotations

import asyncio
import csv
import datetime as dt
import io
import json
import tempfile
from collections.abc import AsyncGenerator, AsyncIterator, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import cached_property, partial
from typing import Any, TypeVar

import xlsxwriter  # type: ignore[import-untyped]

from engine import storage
from engine.definition import PIPE_PATTERN, Form, Option, Question, Text
from engine.review import answered_version, hidden_from_board
from engine.storage import JSON, ExportRecord

#: A cell as written: text, a whole number, a decimal, or nothing.
Cell = str | int | Decimal | None

#: What a spreadsheet would run as a formula when a cell starts with it (OWASP's list, plus the
#: full-width forms some spreadsheets also accept).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "＝", "＋", "－", "＠")

#: The columns every export starts with, whatever the form.
RECORD_HEADERS = ("reference", "submitted_at", "version", "language", "review_status", "tags")
#: The columns the items sheet or file starts with.
ITEM_HEADERS = ("reference", "repeating_page", "item")

UTF8_BOM = "\ufeff".encode()
_NUMBER_TYPES = frozenset({"number", "decimal", "money"})
_PLAIN_TYPES = frozenset({"text", "long_text", "email", "phone", "postcode", "name", "date"})
_PARTS = {
    "address": (
        ("line1", "address line 1"),
        ("line2", "address line 2"),
        ("town", "town or city"),
        ("postcode", "postcode"),
    ),
    "bank_account": (
        ("account_name", "name on the account"),
        ("sort_code", "sort code"),
        ("account_number", "account number"),
    ),
}
#: How much of an XLSX file is held in memory before it goes to an anonymous temporary file.
_SPOOL_BYTES = 1 << 20
_CHUNK_BYTES = 1 << 16

T = TypeVar("T")


# --- the form across its versions ----------------------------------------------------------------------


@dataclass(frozen=True)
class MergedQuestion:
    """A question as every version of the form asked it: the newest wording, every option any
    version offered (newest labels), and personal if in any version the board may not see it (it
    was marked personal, or its label pipes in a personal answer)."""

    id: str
    newest: Question
    options: tuple[tuple[str, Text], ...]
    statements: tuple[tuple[str, Text], ...]
    personal: bool
    has_other: bool
    #: The repeating page whose items hold this question's answers, or None for a plain question.
    repeating_page: str | None

    @property
    def type(self) -> str:
        return self.newest.type

    @cached_property
    def option_labels(self) -> Mapping[str, str]:
        """Option value -> the label an export shows (read for every cell, so looked up, not searched)."""
        return {value: label.default for value, label in self.options}


@dataclass(frozen=True)
class RepeatingPage:
    id: str
    title: str
    questions: tuple[MergedQuestion, ...]


@dataclass(frozen=True)
class FormHistory:
    """Every recorded version of one form, oldest first, merged question by question."""

    forms: tuple[Form, ...]
    questions: tuple[MergedQuestion, ...]
    repeating_pages: tuple[RepeatingPage, ...]

    @classmethod
    def of(cls, forms: Sequence[Form]) -> FormHistory:
        if not forms:
            raise ValueError("a form history needs at least one version")
        merged = _merge_questions(forms)
        pages: dict[str, RepeatingPage] = {}
        for form in forms:
            for page in form.pages:
                if page.repeat is not None:
                    title = page.title.default if page.title else page.repeat.item_name.default
                    pages[page.id] = RepeatingPage(page.id, plain_label(Text(title)), ())
        for question in merged:
            page_id = question.repeating_page
            if page_id is not None:
                known = pages[page_id]
                pages[page_id] = RepeatingPage(known.id, known.title, (*known.questions, question))
        plain = tuple(question for question in merged if question.repeating_page is None)
        order = [page_id for page_id in dict.fromkeys(q.repeating_page for q in merged) if page_id]
        return cls(tuple(forms), plain, tuple(pages[page_id] for page_id in order))

    @property
    def newest(self) -> Form:
        return self.forms[-1]

    def question(self, question_id: str) -> MergedQuestion | None:
        for question in self.questions:
            if question.id == question_id:
                return question
        for page in self.repeating_pages:
            for question in page.questions:
                if question.id == question_id:
                    return question
        return None


async def form_history(current: Form) -> FormHistory:
    """The form as each recorded version defined it, oldest first, with the served version newest.

    A recorded version whose YAML was not kept (or no longer loads) reads as the current form, so
    its answers land in the columns of the question ids the current form knows.
    """
    forms: dict[str, Form] = {}
    for stored in await storage.form_versions(current.slug):
        form = await answered_version(current, stored.version)
        forms.setdefault(form.version, form)
    forms.pop(current.version, None)
    return FormHistory.of([*forms.values(), current])


def plain_label(text: Text) -> str:
    """A label without anyone's answer in it: "Thanks ((name))" -> "Thanks [name]"."""
    return PIPE_PATTERN.sub(lambda match: f"[{match.group(1)}]", text.default)


def _merge_questions(forms: Sequence[Form]) -> tuple[MergedQuestion, ...]:
    versions: dict[str, list[tuple[Question, str | None, bool]]] = {}
    for form in forms:
        for question in form.iter_questions():
            if question.is_content:
                continue
            page = form.page_of[question.id]
            asked = (question, page.id if page.repeat else None, hidden_from_board(form, question))
            versions.setdefault(question.id, []).append(asked)
    return tuple(_merged(question_id, asked) for question_id, asked in versions.items())


def _merged(question_id: str, asked: list[tuple[Question, str | None, bool]]) -> MergedQuestion:
    newest, page_id, _ = asked[-1]
    return MergedQuestion(
        id=question_id,
        newest=newest,
        options=_union(option for question, _, _ in asked for option in question.options),
        statements=_union(statement for question, _, _ in asked for statement in question.statements),
        personal=any(hidden for _, _, hidden in asked),
        has_other=any(option.other for question, _, _ in asked for option in question.options),
        repeating_page=page_id,
    )


def _union(options: Iterable[Option]) -> tuple[tuple[str, Text], ...]:
    """Option values in the order they first appeared, each with the label the newest version gave."""
    labels: dict[str, Text] = {}
    for option in options:
        labels[option.value] = option.label
    return tuple(labels.items())


# --- columns ---------------------------------------------------------------------------------------------


Reader = Callable[[Mapping[str, JSON]], Cell]
#: What a reader does to each text cell: keep it as typed, or `neutralise` it for a CSV file.
TextCell = Callable[[str], str]


@dataclass(frozen=True)
class Column:
    """One column: `key` is stable and machine-readable ("activities.sport"), `header` is for people.

    `read` gives text as typed (XLSX, items); `read_csv` the same cells with text neutralised, so a
    CSV row is built in one pass instead of being checked again cell by cell.
    """

    key: str
    header: str
    read: Reader
    read_csv: Reader


@dataclass(frozen=True)
class ExportLayout:
    """The columns of an export of one form, with or without personal data."""

    columns: tuple[Column, ...]
    item_columns: tuple[tuple[RepeatingPage, tuple[Column, ...]], ...]
    #: Top-level answer keys an export may show (question ids, "<id>__other", repeating page ids).
    answer_keys: frozenset[str]
    #: Answer keys an export may show inside a repeating page's items.
    item_keys: frozenset[str]

    @classmethod
    def of(cls, history: FormHistory, *, personal: bool) -> ExportLayout:
        shown = [q for q in history.questions if personal or not q.personal]
        columns = [column for question in shown for column in _columns(question)]
        keys = {key for question in shown for key in (question.id, _other_key(question.id))}
        item_columns = []
        item_keys: set[str] = set()
        for page in history.repeating_pages:
            asked = [q for q in page.questions if personal or not q.personal]
            item_keys.update(key for question in asked for key in (question.id, _other_key(question.id)))
            count = _item_count(page.id)
            columns.append(_column(f"{page.id}.count", f"{page.title}: number of items", count))
            keys.add(page.id)
            item_columns.append((page, tuple(column for q in asked for column in _columns(q))))
        return cls(tuple(columns), tuple(item_columns), frozenset(keys), frozenset(item_keys))

    @property
    def headers(self) -> tuple[str, ...]:
        return (*RECORD_HEADERS, *(column.header for column in self.columns))

    @property
    def item_headers(self) -> tuple[str, ...]:
        return (*ITEM_HEADERS, *(column.header for _, columns in self.item_columns for column in columns))

    @cached_property
    def readers(self) -> tuple[Reader, ...]:
        return tuple(column.read for column in self.columns)

    @cached_property
    def csv_readers(self) -> tuple[Reader, ...]:
        return tuple(column.read_csv for column in self.columns)

    def row(self, record: ExportRecord) -> list[Cell]:
        """The cells of one submission, in header order."""
        answers = record.answers
        return [
            record.reference,
            record.submitted_at.astimezone(dt.UTC).isoformat(timespec="seconds"),
            record.version[:12],
            record.language,
            record.review_status,
            "; ".join(record.tags),
            *[read(answers) for read in self.readers],
        ]

    def csv_row(self, record: ExportRecord) -> list[Cell]:
        """`row` with every text cell neutralised (the reference and time are never formulas)."""
        answers = record.answers
        status = record.review_status
        return [
            record.reference,
            record.submitted_at.astimezone(dt.UTC).isoformat(timespec="seconds"),
            neutralise(record.version[:12]),
            neutralise(record.language),
            None if status is None else neutralise(status),
            neutralise("; ".join(record.tags)) if record.tags else "",
            *[read(answers) for read in self.csv_readers],
        ]

    def item_rows(self, record: ExportRecord) -> list[list[Cell]]:
        """One row per item of each repeating page, blank under the other pages' columns."""
        rows: list[list[Cell]] = []
        before = 0
        width = sum(len(columns) for _, columns in self.item_columns)
        for page, columns in self.item_columns:
            items = record.answers.get(page.id)
            for number, item in enumerate(items if isinstance(items, list) else [], start=1):
                if not isinstance(item, dict):
                    continue
                cells: list[Cell] = [record.reference, page.title, number, *([None] * width)]
                for offset, column in enumerate(columns):
                    cells[len(ITEM_HEADERS) + before + offset] = column.read(item)
                rows.append(cells)
            before += len(columns)
        return rows

    def shown_answers(self, answers: Mapping[str, JSON]) -> dict[str, JSON]:
        """The stored answers an export may show, items filtered the same way (for JSON Lines)."""
        shown: dict[str, JSON] = {}
        for key, value in answers.items():
            if key not in self.answer_keys:
                continue
            if isinstance(value, list) and any(key == page.id for page, _ in self.item_columns):
                value = [
                    {k: v for k, v in item.items() if k in self.item_keys}
                    for item in value
                    if isinstance(item, dict)
                ]
            shown[key] = value
        return shown


def _other_key(question_id: str) -> str:
    return f"{question_id}__other"


def _columns(question: MergedQuestion) -> list[Column]:
    label = plain_label(question.newest.label)
    qid = question.id
    kind = question.type
    columns: list[Column]
    if kind in ("checkboxes", "ranking"):
        read_option = _ticked if kind == "checkboxes" else _rank
        columns = [
            _column(f"{qid}.{value}", f"{label}: {text.default}", read_option(qid, value))
            for value, text in question.options
        ]
    elif kind == "grid":
        columns = [
            _text_column(f"{qid}.{value}", f"{label}: {text.default}", partial(_grid_cell, question, value))
            for value, text in question.statements
        ]
    elif kind in _PARTS:
        columns = [
            _text_column(f"{qid}.{part}", f"{label}: {name}", partial(_part, qid, part))
            for part, name in _PARTS[kind]
        ]
    elif kind in _NUMBER_TYPES:
        columns = [_text_column(qid, label, partial(_number, qid))]
    elif kind in ("yes_no", "consent"):
        columns = [_column(qid, label, _yes_no(qid))]
    elif kind in ("radios", "dropdown", "scale"):
        columns = [_text_column(qid, label, partial(_choice, question))]
    elif kind == "file":
        columns = [_column(qid, f"{label}: number of files", _file_count(qid))]
    elif kind in _PLAIN_TYPES:
        columns = [_text_column(qid, label, partial(_text, qid))]
    else:
        raise ValueError(f"no export columns for question type {kind!r}")
    if question.has_other:
        other = _other_key(qid)
        columns.append(_text_column(other, f"{label}: other (please say)", partial(_text, other)))
    return columns


def _column(key: str, header: str, read: Reader) -> Column:
    """A column that never holds text (numbers, ticks, "yes"/"no"): one reader serves every format."""
    return Column(key, header, read, read)


def _text_column(key: str, header: str, reader: Callable[[TextCell], Reader]) -> Column:
    """A column that may hold text: its reader made twice, keeping the text and neutralising it."""
    return Column(key, header, reader(_as_typed), reader(neutralise))


def _as_typed(text: str) -> str:
    return text


def _text(key: str, shown: TextCell) -> Reader:
    def read(answers: Mapping[str, JSON]) -> Cell:
        value = answers.get(key)
        return None if value is None else shown(value if isinstance(value, str) else json.dumps(value))

    return read


def _number(key: str, shown: TextCell) -> Reader:
    def read(answers: Mapping[str, JSON]) -> Cell:
        value = answers.get(key)
        if isinstance(value, bool) or value is None:
            return None
        if isinstance(value, int):
            return value
        try:
            return Decimal(str(value))
        except InvalidOperation:
            return shown(str(value))

    return read


def _yes_no(key: str) -> Reader:
    def read(answers: Mapping[str, JSON]) -> Cell:
        value = answers.get(key)
        return "yes" if value is True else "no" if value is False else None

    return read


def _choice(question: MergedQuestion, shown: TextCell) -> Reader:
    labels = question.option_labels
    key = question.id

    def read(answers: Mapping[str, JSON]) -> Cell:
        value = answers.get(key)
        return shown(labels.get(value, value)) if isinstance(value, str) else None

    return read


def _ticked(key: str, option: str) -> Reader:
    def read(answers: Mapping[str, JSON]) -> Cell:
        value = answers.get(key)
        return 1 if isinstance(value, list) and option in value else None

    return read


def _rank(key: str, option: str) -> Reader:
    """The option's place in a ranking answer, 1 being the most preferred."""

    def read(answers: Mapping[str, JSON]) -> Cell:
        value = answers.get(key)
        return value.index(option) + 1 if isinstance(value, list) and option in value else None

    return read


def _grid_cell(question: MergedQuestion, statement: str, shown: TextCell) -> Reader:
    labels = question.option_labels
    key = question.id

    def read(answers: Mapping[str, JSON]) -> Cell:
        value = answers.get(key)
        chosen = value.get(statement) if isinstance(value, dict) else None
        return shown(labels.get(chosen, chosen)) if isinstance(chosen, str) else None

    return read


def _part(key: str, part: str, shown: TextCell) -> Reader:
    def read(answers: Mapping[str, JSON]) -> Cell:
        value = answers.get(key)
        found = value.get(part) if isinstance(value, dict) else None
        return shown(found) if isinstance(found, str) and found else None

    return read


def _file_count(key: str) -> Reader:
    def read(answers: Mapping[str, JSON]) -> Cell:
        value = answers.get(key)
        return len(value) if isinstance(value, list) else None

    return read


def _item_count(page_id: str) -> Reader:
    def read(answers: Mapping[str, JSON]) -> Cell:
        value = answers.get(page_id)
        return len(value) if isinstance(value, list) else None

    return read


# --- writers -----------------------------------------------------------------------------------------------


Batches = AsyncIterator[list[ExportRecord]]
#: What every writer below is: a layout and batches of submissions in, bytes out.
Writer = Callable[["ExportLayout", Batches], AsyncGenerator[bytes, None]]


def neutralise(text: str) -> str:
    """Text a spreadsheet will show, never run: "=SUM(A1)" -> "'=SUM(A1)"; "Carer" is unchanged."""
    return f"'{text}" if text.startswith(FORMULA_STARTS) else text


async def csv_stream(layout: ExportLayout, batches: Batches) -> AsyncGenerator[bytes, None]:
    """The submissions as CSV: UTF-8 with a byte order mark (so Excel reads it as UTF-8), one row each."""
    yield UTF8_BOM + _csv_lines([list(layout.headers)])
    row = layout.csv_row
    async for batch in batches:
        yield _csv_text([row(record) for record in batch])


async def csv_items_stream(layout: ExportLayout, batches: Batches) -> AsyncGenerator[bytes, None]:
    """The items of repeating pages as CSV, one row per item, each naming its submission's reference."""
    yield UTF8_BOM + _csv_lines([list(layout.item_headers)])
    async for batch in batches:
        yield _csv_lines([row for record in batch for row in layout.item_rows(record)])


async def jsonl_stream(layout: ExportLayout, batches: Batches) -> AsyncGenerator[bytes, None]:
    """The submissions as JSON Lines: one object per submission with its answers as stored."""
    async for batch in batches:
        lines = [
            json.dumps(
                {
                    "reference": record.reference,
                    "submitted_at": record.submitted_at.astimezone(dt.UTC).isoformat(),
                    "version": record.version,
                    "language": record.language,
                    "review_status": record.review_status,
                    "tags": list(record.tags),
                    "answers": layout.shown_answers(record.answers),
                },
                ensure_ascii=False,
            )
            for record in batch
        ]
        yield ("\n".join(lines) + "\n").encode()


async def xlsx_stream(layout: ExportLayout, batches: Batches) -> AsyncGenerator[bytes, None]:
    """The submissions as an XLSX workbook: a "Responses" sheet, and an "Items" sheet for repeating pages.

    Every text is written with write_string, so "=SUM(A1)", "-5" and "+44 7700 900123" arrive as
    typed and are never run or turned into numbers; number questions are written as numbers.
    """
    with (
        tempfile.TemporaryDirectory(prefix="coform-export-") as scratch,
        tempfile.SpooledTemporaryFile(max_size=_SPOOL_BYTES) as output,
    ):
        workbook = xlsxwriter.Workbook(
            output,
            {
                "constant_memory": True,
                "tmpdir": scratch,
                "strings_to_numbers": False,
                "strings_to_formulas": False,
                "strings_to_urls": False,
            },
        )
        responses = workbook.add_worksheet("Responses")
        items = workbook.add_worksheet("Items") if layout.item_columns else None
        _write_row(responses, 0, list(layout.headers))
        if items is not None:
            _write_row(items, 0, list(layout.item_headers))
        written = [1, 1]

        def write(batch: list[ExportRecord]) -> None:
            for record in batch:
                _write_row(responses, written[0], layout.row(record))
                written[0] += 1
                if items is not None:
                    for row in layout.item_rows(record):
                        _write_row(items, written[1], row)
                        written[1] += 1

        try:
            async for batch in batches:
                await _in_thread(write, batch)
            await _in_thread(workbook.close)
        except BaseException:
            _abandon(workbook)
            raise
        output.seek(0)
        while chunk := output.read(_CHUNK_BYTES):
            yield chunk


def _csv_lines(rows: list[list[Cell]]) -> bytes:
    """CSV text of the rows, each text cell neutralised."""
    return _csv_text([[neutralise(cell) if isinstance(cell, str) else cell for cell in row] for row in rows])


def _csv_text(rows: list[list[Cell]]) -> bytes:
    """CSV text of rows already neutralised; the csv module writes None as an empty field and
    numbers with str()."""
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    return buffer.getvalue().encode()


def _write_row(sheet: Any, row: int, cells: list[Cell]) -> None:
    for column, cell in enumerate(cells):
        if cell is None:
            continue
        if isinstance(cell, str):
            sheet.write_string(row, column, cell)
        else:
            sheet.write_number(row, column, float(cell))


def _abandon(workbook: Any) -> None:
    """Close the row files of a workbook that will never be finished (its directory goes next).

    xlsxwriter has no way to give up on a workbook: only close() closes these files, and close()
    would write the whole workbook out first.
    """
    for sheet in workbook.worksheets():
        handle = getattr(sheet, "row_data_fh", None)
        if handle is not None and not handle.closed:
            handle.close()


async def _in_thread(function: Callable[..., T], *args: Any) -> T:
    """Run blocking work in a thread; if the download is cut off meanwhile, let the thread finish
    before giving up, so the scratch directory is not removed under its feet."""
    work = asyncio.ensure_future(asyncio.to_thread(function, *args))
    try:
        return await asyncio.shield(work)
    except asyncio.CancelledError:
        await asyncio.wait([work])
        raise
