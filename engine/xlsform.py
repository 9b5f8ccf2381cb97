"""XLSForm workbooks -> coform YAML, naming the sheet, row and column of anything that cannot come across.

    import_xlsform("survey.xlsx") reads the survey, choices and settings sheets as raw rows and
    returns an `Imported`: the YAML text, notes of what was left out or changed, refusals such as
    "sheet survey, row 7, column F (relevant): pulldata() has no coform equivalent. Fix: ...", and
    the checker's errors on the result, mapped back to the cell each YAML line came from.

The import goes on when only things respondents never see are left out (metadata, calculations
nothing uses, appearances), and refuses when the form would change meaning (a question it cannot
ask, a condition or a required question's rule it cannot translate). It never drops a question
silently. pyxform is not used: it rejects many workbooks other tools accept, and its errors do not
name the cell.
"""

from __future__ import annotations

import datetime as dt
import difflib
import io
import json
import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from engine.loader import LANGUAGE_CODES, MAX_REPEAT_ITEMS, DefinitionErrors, load_form_text

#: More points than this and a range becomes a number box: a scale of 50 radios helps no one.
MAX_SCALE_POINTS = 11

#: Header spellings seen in the wild -> the XLSForm column they mean.
_HEADER_ALIASES: Mapping[str, str] = {
    "relevance": "relevant",
    "calculate": "calculation",
    "caption": "label",
    "jr:count": "repeat_count",
    "jr:constraintmsg": "constraint_message",
    "jr:requiredmsg": "required_message",
}
#: Columns that may carry a translation (`label::Welsh (cy)`).
_TRANSLATED = ("label", "hint", "required_message", "constraint_message")
_SURVEY_COLUMNS = frozenset(
    {
        "type",
        "name",
        "label",
        "hint",
        "required",
        "required_message",
        "relevant",
        "constraint",
        "constraint_message",
        "calculation",
        "default",
        "appearance",
        "parameters",
        "repeat_count",
        "choice_filter",
        "read_only",
        "guidance_hint",
        "trigger",
        "body::accept",
    }
)
_CHOICES_COLUMNS = frozenset({"list_name", "name", "label"})
_SETTINGS_USED = frozenset({"form_title", "form_id", "version", "default_language", "style"})

#: Language names authors write without a code, as in `label::Welsh`.
_LANGUAGE_NAMES: Mapping[str, str] = {
    "english": "en",
    "welsh": "cy",
    "cymraeg": "cy",
    "gaelic": "gd",
    "irish": "ga",
    "french": "fr",
    "spanish": "es",
    "polish": "pl",
    "urdu": "ur",
    "arabic": "ar",
    "bengali": "bn",
    "punjabi": "pa",
    "somali": "so",
}

#: Types whose rows are bookkeeping a respondent never sees: left out, with a note.
_METADATA_TYPES = frozenset(
    {
        "start",
        "end",
        "today",
        "deviceid",
        "subscriberid",
        "simserial",
        "phonenumber",
        "username",
        "email",
        "audit",
        "hidden",
        "start-geopoint",
        "background-audio",
        "background-geopoint",
        "xml-external",
        "csv-external",
    }
)
#: Types respondents answer that coform cannot ask: the form would lose a question, so it refuses.
_CANNOT_ASK: Mapping[str, str] = {
    "geopoint": "a map location",
    "geotrace": "a line drawn on a map",
    "geoshape": "a shape drawn on a map",
    "audio": "an audio recording",
    "video": "a video recording",
    "barcode": "a scanned barcode",
    "time": "a time of day",
    "datetime": "a date and time",
    "select_one_from_file": "choices from an external file",
    "select_multiple_from_file": "choices from an external file",
    "select_one_external": "choices from an external file",
    "osm": "an OpenStreetMap feature",
}
#: Containers coform has nothing like: KoboToolbox matrices and scores, old ODK loops.
_CANNOT_NEST: Mapping[str, str] = {
    "kobomatrix": "KoboToolbox's matrix (begin_kobomatrix) is a vendor extension",
    "score": "KoboToolbox's score block (begin_score) is a vendor extension",
    "rank": "KoboToolbox's rank block (begin_rank) is a vendor extension",
    "loop": "the old ODK loop (begin loop) has no coform equivalent",
}
_TYPE_ALIASES: Mapping[str, str] = {
    "string": "text",
    "int": "integer",
    "photo": "image",
    "gps": "geopoint",
    "trigger": "acknowledge",
    "select one": "select_one",
    "select all that apply": "select_multiple",
    "select multiple": "select_multiple",
    "select_all_that_apply": "select_multiple",
}
_ASKABLE = frozenset(
    {"text", "integer", "decimal", "date", "select_one", "select_multiple", "rank", "range", "note"}
    | {"acknowledge", "file", "image"}
)
_IMAGE_EXTENSIONS = ("jpg", "jpeg", "png", "gif", "webp", "heic", "heif")
_DOCUMENT_EXTENSIONS = ("pdf", "doc", "docx", "odt", "rtf", "txt", "jpg", "jpeg", "png")
#: Appearances that change what a question is; the rest only change its look.
_APPEARANCES_USED = {
    "text": frozenset({"multiline"}),
    "select_one": frozenset({"minimal", "likert"}),
}


# --- where things are, and what went wrong ------------------------------------------------------------


@dataclass(frozen=True, order=True)
class Place:
    """A cell, row or sheet of the workbook; rows are Excel's numbers (the header is row 1)."""

    sheet: str
    row: int = 0
    column: str = ""
    header: str = ""

    def __str__(self) -> str:
        parts = [f"sheet {self.sheet}"]
        if self.row:
            parts.append(f"row {self.row}")
        if self.column:
            parts.append(f"column {self.column}" + (f" ({self.header})" if self.header else ""))
        return ", ".join(parts)


@dataclass(frozen=True, order=True)
class Problem:
    """Something that stops the import: what is wrong at `place`, and how to fix the workbook."""

    place: Place
    message: str
    fix: str

    def __str__(self) -> str:
        return f"{self.place}: {self.message}. Fix: {self.fix}"


@dataclass(frozen=True, order=True)
class Note:
    """Something the import left out or changed, said so the author can check it."""

    place: Place
    message: str

    def __str__(self) -> str:
        return f"{self.place}: {self.message}"


@dataclass(frozen=True)
class Imported:
    """The outcome of one import. `yaml` is set when nothing was refused, even if the checker objects."""

    slug: str
    yaml: str | None
    problems: tuple[Problem, ...]
    notes: tuple[Note, ...]
    checker_errors: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return self.yaml is not None and not self.problems and not self.checker_errors

    def report(self) -> list[str]:
        """Lines for the author: refusals, then the checker's errors, then what was left out."""
        lines: list[str] = []
        if self.problems:
            lines.append(f"The import was refused ({_count(len(self.problems), 'problem')}):")
            lines.extend(f"  {problem}" for problem in self.problems)
        if self.checker_errors:
            lines.append(f"coform check found {_count(len(self.checker_errors), 'mistake')} in the result:")
            lines.extend(f"  {error}" for error in self.checker_errors)
        if self.notes:
            lines.append(f"Left out or changed ({_count(len(self.notes), 'item')}):")
            lines.extend(f"  {note}" for note in self.notes)
        elif self.ok:
            lines.append("Nothing was left out.")
        return lines


class XLSFormError(Exception):
    """The file cannot be read as a workbook at all (wrong format, damaged)."""


# --- reading the workbook ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Cell:
    """One non-empty cell as text; `excel_made` says what Excel turned the typed value into, if anything."""

    text: str
    place: Place
    excel_made: str = ""


@dataclass
class Row:
    number: int
    sheet: str
    cells: dict[str, Cell]
    #: The sheet's columns (canonical header -> letter, header as typed), to place an empty cell.
    columns: Mapping[str, tuple[str, str]] = field(default_factory=dict)

    def text(self, key: str) -> str:
        cell = self.cells.get(key)
        return cell.text.strip() if cell else ""

    def place(self, key: str | None = None) -> Place:
        if key is not None and key in self.cells:
            return self.cells[key].place
        if key is not None and key in self.columns:
            letter, typed = self.columns[key]
            return Place(self.sheet, self.number, letter, typed)
        return Place(self.sheet, self.number)


@dataclass
class Sheet:
    name: str
    #: canonical header -> (column letter, header as typed)
    columns: dict[str, tuple[str, str]]
    rows: list[Row]

    def column_place(self, key: str) -> Place:
        letter, typed = self.columns[key]
        return Place(self.name, 1, letter, typed)


def canonical_header(typed: str) -> str:
    """'Label ' -> 'label'; 'Required Message' -> 'required_message'; 'caption::Welsh (cy)' ->
    'label::Welsh (cy)'; 'jr:count' -> 'repeat_count'."""
    base, separator, rest = typed.partition("::")
    base = re.sub(r"[\s_]+", "_", base.strip().lower())
    base = _HEADER_ALIASES.get(base, base)
    if not separator:
        return base
    return f"{base}::{' '.join(rest.split())}"


def cell_text(value: object) -> tuple[str, str]:
    """A cell's value as the text the author typed, and what Excel made of it: 1.0 -> ("1", "a number")."""
    if value is None:
        return "", ""
    if isinstance(value, bool):
        return ("true" if value else "false"), "TRUE/FALSE"
    if isinstance(value, int):
        return str(value), "a number"
    if isinstance(value, float):
        if value.is_integer():
            return str(int(value)), "a number"
        return format(Decimal(repr(value)), "f"), "a number"
    if isinstance(value, dt.datetime):
        if value.time() == dt.time():
            return value.date().isoformat(), "a date"
        return value.isoformat(sep=" "), "a date"
    if isinstance(value, dt.date):
        return value.isoformat(), "a date"
    if isinstance(value, dt.time):
        return value.isoformat(), "a time"
    return str(value).replace("\r\n", "\n").replace("\r", "\n"), ""


def read_sheets(source: str | Path | bytes) -> dict[str, list[list[object]]]:
    """Every sheet of an .xlsx as raw rows of cell values, keyed by the sheet's name in lower case."""
    from openpyxl import load_workbook

    if isinstance(source, str | Path) and Path(source).suffix.lower() == ".xls":
        raise XLSFormError(
            "this is an old Excel 97-2003 .xls file, which coform does not read. "
            "Fix: open it in Excel or LibreOffice and save it as .xlsx"
        )
    handle: Any = io.BytesIO(source) if isinstance(source, bytes) else source
    try:
        workbook = load_workbook(handle, read_only=True, data_only=True)
    except (OSError, KeyError, ValueError) as error:
        raise XLSFormError(
            f"the file cannot be read as an .xlsx workbook ({error}). Fix: save it from Excel as .xlsx"
        ) from error
    except Exception as error:  # openpyxl raises zipfile and XML errors of many kinds for a damaged file
        raise XLSFormError(
            f"the file cannot be read as an .xlsx workbook ({type(error).__name__}). "
            "Fix: save it from Excel as .xlsx"
        ) from error
    try:
        return {
            worksheet.title.strip().lower(): [list(row) for row in worksheet.iter_rows(values_only=True)]
            for worksheet in workbook.worksheets
        }
    finally:
        workbook.close()


def _letter(index: int) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(index + 1)


class _Reader:
    """Turns raw rows into `Sheet`s, noting Excel's habits and reporting duplicate headers."""

    def __init__(self, problems: list[Problem], notes: list[Note]) -> None:
        self.problems = problems
        self.notes = notes

    def sheet(self, name: str, raw: list[list[object]]) -> Sheet:
        texts = [[cell_text(value) for value in row] for row in raw]
        header_index = next((i for i, row in enumerate(texts) if any(t.strip() for t, _ in row)), None)
        if header_index is None:
            return Sheet(name, {}, [])
        header_row = texts[header_index]
        used: dict[int, str] = {}
        columns: dict[str, tuple[str, str]] = {}
        first_at: dict[str, int] = {}
        for index, (typed, _) in enumerate(header_row):
            if not typed.strip():
                continue
            key = canonical_header(typed)
            if name == "choices" and key == "value":
                key = "name"  # KoboToolbox and older forms head the choice names 'value'
            has_data = any(index < len(row) and row[index][0].strip() for row in texts[header_index + 1 :])
            if key in first_at:
                earlier = first_at[key]
                earlier_has_data = any(
                    earlier < len(row) and row[earlier][0].strip() for row in texts[header_index + 1 :]
                )
                place = Place(name, header_index + 1, _letter(index), typed.strip())
                if has_data and earlier_has_data:
                    self.problems.append(
                        Problem(
                            place,
                            f"column {_letter(earlier)} and column {_letter(index)} are both '{key}'",
                            "delete one of the two columns, or rename it",
                        )
                    )
                    continue
                self.notes.append(
                    Note(place, f"'{key}' is also column {_letter(earlier)}; the empty one was ignored")
                )
                if not has_data:
                    continue
                used.pop(earlier)
            first_at[key] = index
            used[index] = key
            columns[key] = (_letter(index), typed.strip())
        rows: list[Row] = []
        for offset, row in enumerate(texts[header_index + 1 :], header_index + 2):
            cells: dict[str, Cell] = {}
            for index, key in used.items():
                if index < len(row) and row[index][0].strip():
                    text, made = row[index]
                    cells[key] = Cell(text, Place(name, offset, _letter(index), columns[key][1]), made)
            if cells:
                rows.append(Row(offset, name, cells, columns))
        return Sheet(name, columns, rows)


# --- XPath expressions -> coform expressions ----------------------------------------------------------


class XPathProblem(Exception):
    """An expression (or part of one) coform cannot express; `message` and `fix` are for the author."""

    def __init__(self, message: str, fix: str) -> None:
        super().__init__(message)
        self.message = message
        self.fix = fix


@dataclass(frozen=True)
class _Token:
    kind: str  # ref, dot, num, str, name, op, end
    text: str


_XPATH_TOKEN = re.compile(
    r"""\s*(?:
      (?P<ref>\$\{\s*(?P<refname>[^}]*?)\s*\})
    | (?P<num>[0-9]+(?:\.[0-9]+)?|\.[0-9]+)
    | (?P<dots>\.\.?)
    | (?P<str>'[^']*'|"[^"]*")
    | (?P<name>[A-Za-z_][A-Za-z0-9_.:-]*)
    | (?P<op>!=|<=|>=|=|<|>|\(|\)|,|\+|-|\*|\||/|\[|\]|@)
    )""",
    re.VERBOSE,
)


def _tokens(source: str) -> list[_Token]:
    tokens: list[_Token] = []
    position = 0
    source = source.rstrip()
    while position < len(source):
        match = _XPATH_TOKEN.match(source, position)
        if match is None or match.end() == position:
            char = source[position:].lstrip()[:1]
            raise XPathProblem(
                f"'{char}' cannot be read as part of an XLSForm expression",
                "write the expression with ${name} references, quoted text, numbers and = != < <= > >=",
            )
        position = match.end()
        if match["ref"]:
            tokens.append(_Token("ref", match["refname"]))
        elif match["num"]:
            tokens.append(_Token("num", match["num"]))
        elif match["dots"]:
            tokens.append(_Token("dot" if match["dots"] == "." else "op", match["dots"]))
        elif match["str"]:
            tokens.append(_Token("str", match["str"][1:-1]))
        elif match["name"]:
            tokens.append(_Token("name", match["name"]))
        else:
            tokens.append(_Token("op", match["op"]))
    tokens.append(_Token("end", ""))
    return tokens


@dataclass(frozen=True)
class X:
    """A node of a parsed XLSForm expression: kind is or/and/cmp/arith/neg/call/ref/dot/num/str."""

    kind: str
    text: str = ""
    args: tuple[X, ...] = ()


_ARITHMETIC = frozenset({"+", "-", "*", "div", "mod"})
_UNSUPPORTED_FIX = "remove it from the workbook, or ask the coform team to add what it needs"


class _XPathParser:
    """XPath 1.0's precedence: or < and < = != < < <= > >= < + - < * div mod < unary minus."""

    def __init__(self, source: str) -> None:
        self.tokens = _tokens(source)
        self.index = 0

    @property
    def token(self) -> _Token:
        return self.tokens[self.index]

    def take(self) -> _Token:
        token = self.tokens[self.index]
        self.index += 1
        return token

    def at(self, kind: str, *texts: str) -> bool:
        return self.token.kind == kind and (not texts or self.token.text in texts)

    def parse(self) -> X:
        node = self.disjunction()
        if not self.at("end"):
            raise XPathProblem(
                f"the expression goes on after it seems complete, at '{self.token.text}'",
                "check the brackets and that and/or join the parts",
            )
        return node

    def binary(self, kind: str, operators: tuple[str, ...], operand: Callable[[], X], token: str) -> X:
        node = operand()
        while self.at(token, *operators):
            operator = self.take().text
            node = X(kind, operator, (node, operand()))
        return node

    def disjunction(self) -> X:
        return self.binary("or", ("or",), self.conjunction, "name")

    def conjunction(self) -> X:
        return self.binary("and", ("and",), self.equality, "name")

    def equality(self) -> X:
        return self.binary("cmp", ("=", "!="), self.relation, "op")

    def relation(self) -> X:
        return self.binary("cmp", ("<", "<=", ">", ">="), self.additive, "op")

    def additive(self) -> X:
        return self.binary("arith", ("+", "-"), self.multiplicative, "op")

    def multiplicative(self) -> X:
        node = self.unary()
        while self.at("op", "*") or self.at("name", "div", "mod"):
            operator = self.take().text
            node = X("arith", operator, (node, self.unary()))
        return node

    def unary(self) -> X:
        if self.at("op", "-"):
            self.take()
            operand = self.unary()
            if operand.kind == "num":
                return X("num", f"-{operand.text}")
            return X("neg", "-", (operand,))
        return self.primary()

    def primary(self) -> X:
        token = self.take()
        if token.kind in ("ref", "num", "str", "dot"):
            return X(token.kind, token.text)
        if token.kind == "op" and token.text == "(":
            node = self.disjunction()
            self.expect(")")
            return node
        if token.kind == "name" and self.at("op", "("):
            self.take()
            args: list[X] = []
            if not self.at("op", ")"):
                args.append(self.disjunction())
                while self.at("op", ","):
                    self.take()
                    args.append(self.disjunction())
            self.expect(")")
            return X("call", token.text, tuple(args))
        if token.kind == "end":
            raise XPathProblem("the expression ends too soon", "complete the expression")
        if token.kind == "op" and token.text in ("/", "..", "@", "["):
            raise XPathProblem(
                "XPath paths (/data/..., .., @attribute, [predicates]) cannot be followed in coform",
                "refer to questions as ${name}",
            )
        raise XPathProblem(
            f"'{token.text}' cannot be read here",
            "refer to questions as ${name}, put text in quotes, and join conditions with and/or",
        )

    def expect(self, text: str) -> None:
        if not self.at("op", text):
            raise XPathProblem(f"a '{text}' is missing", f"add the '{text}' that closes the bracket")
        self.take()


def parse_xpath(source: str) -> X:
    """Parse an XLSForm expression: "${age} >= 18 and selected(${role}, 'carer')" -> a tree of X."""
    return _XPathParser(source).parse()


@dataclass(frozen=True)
class NameInfo:
    """What an expression may need to know about a name in the survey sheet."""

    id: str
    kind: str  # question, choice_question, repeat, calculate, metadata, content, group
    row: int
    values: Mapping[str, str] = field(default_factory=dict)  # choice name as typed -> coform value


# Precedence levels of rendered coform text, to know when a part needs brackets.
_OR, _AND, _NOT, _COMPARE, _ATOM = 1, 2, 3, 4, 5

_FUNCTION_WORDS = {
    "if": "if() chooses between values, which coform expressions do not do",
    "jr:choice-name": "jr:choice-name() looks up a choice's label, which coform expressions do not do",
    "indexed-repeat": "indexed-repeat() reads one item of a repeat, which coform cannot do",
    "pulldata": "pulldata() reads an external file, which coform cannot do",
    "selected-at": "selected-at() reads a choice by position, which coform cannot do",
}


class _Translator:
    """Renders an X tree as coform expression text, for one cell of the survey sheet."""

    def __init__(self, names: Mapping[str, NameInfo], current: str | None) -> None:
        self.names = names
        self.current = current

    def condition(self, node: X) -> str:
        text, _ = self.render(node)
        return text

    def render(self, node: X) -> tuple[str, int]:
        if node.kind in ("or", "and"):
            level = _OR if node.kind == "or" else _AND
            parts = [self.wrap(child, level) for child in node.args]
            return f" {node.kind} ".join(parts), level
        if node.kind == "cmp":
            return self.compare(node)
        if node.kind in ("arith", "neg"):
            raise XPathProblem(
                f"arithmetic ('{node.text}') cannot be used: coform expressions compare answers but do "
                "not calculate",
                "compare an answer with a fixed number, such as ${age} >= 18",
            )
        if node.kind == "call":
            return self.call(node)
        if node.kind in ("ref", "dot"):
            return self.name(node), _ATOM
        if node.kind == "num":
            return node.text, _ATOM
        return _quote(node.text), _ATOM

    def wrap(self, node: X, level: int) -> str:
        text, own = self.render(node)
        return f"({text})" if own < level else text

    def name(self, node: X) -> str:
        if node.kind == "dot":
            if self.current is None:
                raise XPathProblem("'.' (this question) has no meaning here", "use ${name} instead")
            return self.current
        if node.kind != "ref":
            raise XPathProblem(
                "a question is needed here", "write ${name} for the question, e.g. selected(${q}, 'v')"
            )
        return self.lookup(node.text).id

    def lookup(self, name: str) -> NameInfo:
        info = self.names.get(name)
        if info is None:
            close = difflib.get_close_matches(name, list(self.names), n=1)
            raise XPathProblem(
                f"${{{name}}} is not a name in the survey sheet",
                f"did you mean ${{{close[0]}}}?"
                if close
                else "use the name of a question in the survey sheet",
            )
        if info.kind == "calculate":
            raise XPathProblem(
                f"${{{name}}} is a calculate (row {info.row}), which coform cannot work out",
                "rewrite this condition using the questions the calculation reads",
            )
        if info.kind == "metadata":
            raise XPathProblem(
                f"${{{name}}} is metadata (row {info.row}), which coform does not collect",
                "rewrite this condition without it",
            )
        if info.kind in ("content", "group"):
            raise XPathProblem(
                f"${{{name}}} (row {info.row}) is not a question with an answer",
                "refer to a question respondents answer",
            )
        return info

    def values_of(self, node: X) -> Mapping[str, str]:
        if node.kind == "ref" and node.text in self.names:
            return self.names[node.text].values
        if node.kind == "dot" and self.current is not None:
            for info in self.names.values():
                if info.id == self.current:
                    return info.values
        return {}

    def choice(self, question: X, literal: X) -> str:
        values = self.values_of(question)
        return values.get(literal.text.strip(), literal.text) if values else literal.text

    def compare(self, node: X) -> tuple[str, int]:
        left, right = node.args
        if right.kind in ("ref", "dot") and left.kind in ("str", "num"):
            left, right = right, left
            node = X("cmp", _FLIPPED[node.text], (left, right))
        if left.kind in ("ref", "dot") and right.kind == "str" and right.text == "":
            if node.text == "=":
                return f"not answered({self.name(left)})", _NOT
            if node.text == "!=":
                return f"answered({self.name(left)})", _ATOM
        if left.kind in ("ref", "dot") and right.kind == "str":
            right = X("str", self.choice(left, right))
        for side in (left, right):
            if side.kind in ("or", "and", "cmp"):
                raise XPathProblem(
                    "a comparison compares a condition, which coform cannot do",
                    "compare an answer with a value, such as ${q} = 'yes'",
                )
        return f"{self.wrap(left, _ATOM)} {node.text} {self.wrap(right, _ATOM)}", _COMPARE

    def call(self, node: X) -> tuple[str, int]:
        name, args = node.text, node.args
        if name == "not" and len(args) == 1:
            return f"not {self.wrap(args[0], _NOT)}", _NOT
        if name in ("true", "false") and not args:
            return name, _ATOM
        if name == "today" and not args:
            return "today()", _ATOM
        if name == "selected" and len(args) == 2 and args[1].kind == "str":
            return f"selected({self.name(args[0])}, {_quote(self.choice(args[0], args[1]))})", _ATOM
        if name == "count-selected" and len(args) == 1:
            return f"count_selected({self.name(args[0])})", _ATOM
        if name == "string-length" and len(args) == 1:
            return f"length({self.name(args[0])})", _ATOM
        if name == "regex" and len(args) == 2 and args[1].kind == "str":
            return f"matches({self.name(args[0])}, {_quote(args[1].text)})", _ATOM
        if name == "date" and len(args) == 1 and args[0].kind == "str":
            return f"date({_quote(args[0].text)})", _ATOM
        if name == "count" and len(args) == 1 and args[0].kind == "ref":
            info = self.lookup(args[0].text)
            if info.kind == "repeat":
                return f"count({info.id})", _ATOM
        reason = _FUNCTION_WORDS.get(name, f"{name}() has no coform equivalent")
        raise XPathProblem(reason, _UNSUPPORTED_FIX)


_FLIPPED = {"=": "=", "!=": "!=", "<": ">", "<=": ">=", ">": "<", ">=": "<="}


def _quote(text: str) -> str:
    if "'" not in text:
        return f"'{text}'"
    if '"' not in text:
        return f'"{text}"'
    raise XPathProblem(
        "the text holds both ' and \" quotes, which coform expressions cannot write",
        "remove one kind of quote from the text",
    )


def translate_condition(source: str, names: Mapping[str, NameInfo], current: str | None = None) -> str:
    """An XLSForm relevant as a coform show_if: "${age} >= 18 and ${consent} = 'yes'" -> "age >= 18 and
    consent = 'yes'". Raises XPathProblem for anything coform cannot express."""
    return _Translator(names, current).condition(parse_xpath(source))


#: Constraint setting -> the error codes it can raise, so constraint_message covers each of them.
_CODES_OF_SETTING: Mapping[str, tuple[str, ...]] = {
    "min": ("too_small", "out_of_range"),
    "max": ("too_large", "out_of_range"),
    "min_length": ("too_short",),
    "max_length": ("too_long",),
    "pattern": ("pattern",),
    "min_selected": ("too_few_selected",),
    "max_selected": ("too_many_selected",),
    "must_be:past": ("not_in_past",),
    "must_be:future": ("not_in_future",),
    "earliest": ("too_early",),
    "latest": ("too_late",),
}
_RANKING_CODES: Mapping[str, tuple[str, ...]] = {
    "min_selected": ("too_few_ranked",),
    "max_selected": ("too_many_ranked",),
}


def translate_constraint(source: str, coform_type: str) -> dict[str, str]:
    """An XLSForm constraint as coform settings, where one maps: ". >= 0 and . <= 120" on a number ->
    {"min": "0", "max": "120"}; "regex(., '^[0-9]{6}$')" on text -> {"pattern": "[0-9]{6}"}."""
    node = parse_xpath(source)
    settings: dict[str, str] = {}
    for atom in _conjuncts(node):
        for key, value in _constraint_atom(atom, coform_type).items():
            if key in settings and settings[key] != value:
                raise XPathProblem(f"the constraint sets {key} twice", "keep one limit of each kind")
            settings[key] = value
    return settings


def _conjuncts(node: X) -> list[X]:
    if node.kind == "and":
        return [part for child in node.args for part in _conjuncts(child)]
    return [node]


_NUMBER_TYPES = frozenset({"number", "decimal"})
_TEXT_TYPES = frozenset({"text", "long_text"})


def _constraint_atom(atom: X, coform_type: str) -> dict[str, str]:
    cannot = XPathProblem(
        f"this part of the constraint has no coform setting for a {coform_type} question",
        "use limits coform has: . >= N and . <= N on numbers and dates, string-length(.) <= N and "
        "regex(., 'pattern') on text, count-selected(.) <= N on select_multiple",
    )
    if atom.kind == "call" and atom.text == "regex" and len(atom.args) == 2:
        subject, pattern = atom.args
        if subject.kind != "dot" or pattern.kind != "str" or coform_type != "text":
            raise cannot
        return {"pattern": _full_match(pattern.text)}
    if atom.kind != "cmp":
        raise cannot
    operator, (left, right) = atom.text, atom.args
    if left.kind in ("num", "str") or (left.kind == "call" and left.text in ("today", "date")):
        left, right, operator = right, left, _FLIPPED[operator]
    if left.kind == "dot" and coform_type in _NUMBER_TYPES and right.kind == "num":
        return _bound(operator, Decimal(right.text), whole=coform_type == "number", low="min", high="max")
    if left.kind == "dot" and coform_type == "date":
        return _date_bound(operator, right, cannot)
    if left.kind == "call" and len(left.args) == 1 and left.args[0].kind == "dot" and right.kind == "num":
        if left.text == "string-length" and coform_type in _TEXT_TYPES:
            return _bound(operator, Decimal(right.text), True, "min_length", "max_length", floor=0)
        if left.text == "count-selected" and coform_type in ("checkboxes", "ranking"):
            return _bound(operator, Decimal(right.text), True, "min_selected", "max_selected", floor=0)
    raise cannot


def _bound(
    operator: str, number: Decimal, whole: bool, low: str, high: str, floor: int | None = None
) -> dict[str, str]:
    strict = operator in ("<", ">")
    if strict and not whole:
        raise XPathProblem(
            f"'{operator} {number}' excludes the number itself, but coform limits on decimals include it",
            f"write {operator}= with the limit you mean",
        )
    if whole and number != number.to_integral_value():
        number = number.to_integral_value(rounding="ROUND_CEILING" if operator[0] == ">" else "ROUND_FLOOR")
        strict = False
    if operator in (">", ">="):
        value = number + 1 if strict else number
        if floor is not None and value <= floor:
            return {}
        return {low: _plain(value)}
    if operator in ("<", "<="):
        return {high: _plain(number - 1 if strict else number)}
    raise XPathProblem(
        f"'{operator} {number}' asks for one exact value, which coform limits cannot say",
        "use a range with >= and <=",
    )


def _date_bound(operator: str, right: X, cannot: XPathProblem) -> dict[str, str]:
    if right.kind == "call" and right.text == "today" and not right.args:
        return {"<": {"must_be": "past"}, "<=": {"latest": "today"}, ">": {"must_be": "future"}}.get(
            operator, {"earliest": "today"} if operator == ">=" else None
        ) or _raise(cannot)
    if right.kind == "call" and right.text == "date" and len(right.args) == 1 and right.args[0].kind == "str":
        try:
            day = dt.date.fromisoformat(right.args[0].text)
        except ValueError:
            raise XPathProblem(f"'{right.args[0].text}' is not a date", "write date('YYYY-MM-DD')") from None
        shifted = {
            "<": ("latest", day - dt.timedelta(days=1)),
            "<=": ("latest", day),
            ">": ("earliest", day + dt.timedelta(days=1)),
            ">=": ("earliest", day),
        }.get(operator)
        if shifted is not None:
            return {shifted[0]: shifted[1].isoformat()}
    raise cannot


def _raise(problem: XPathProblem) -> dict[str, str]:
    raise problem


def _plain(number: Decimal) -> str:
    return format(number.normalize(), "f") if number != 0 else "0"


def _full_match(pattern: str) -> str:
    """XLSForm's regex() finds the pattern anywhere; coform's pattern must match the whole answer.

    '^[0-9]{5}$' -> '[0-9]{5}'; 'abc' -> '.*(?:abc).*' (the same meaning, written for a full match).
    """
    if (
        pattern.startswith("^")
        and pattern.endswith("$")
        and not pattern.endswith("\\$")
        and "|" not in pattern
    ):
        return pattern[1:-1]
    return f"(?s).*(?:{pattern}).*"


# --- names and values ---------------------------------------------------------------------------------


def clean_name(typed: str) -> str:
    """An XLSForm name or choice value as a coform id: 'First Name' -> 'first_name'; 'fullName' ->
    'full_name'; '1' -> 'n1'; '-1' -> 'minus_1'; 'Café' -> 'cafe'."""
    text = unicodedata.normalize("NFKD", typed.strip()).encode("ascii", "ignore").decode()
    text = re.sub(r"^-(?=[0-9])", "minus_", text)
    text = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", text)
    words = re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")
    if words and words[0].isdigit():
        return f"n{words}"
    return words


_ID = re.compile(r"[a-z][a-z0-9_]*\Z")


def _humanise(name: str) -> str:
    """'about_you' -> 'About you', for a page or item that needs a title the workbook does not give."""
    words = name.replace("_", " ").strip()
    return words[:1].upper() + words[1:] if words else "Items"


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}" if number == 1 else f"{number} {noun}s"


# --- emitting YAML ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class At:
    """A YAML value with the workbook cell it came from, so checker errors can point back at it."""

    value: object
    place: Place


_YAML11_WORDS = frozenset({"y", "yes", "n", "no", "true", "false", "on", "off", "null", "~"})
_PLAIN = re.compile(r"[A-Za-z][A-Za-z0-9 _,.?()/&'-]*\Z")
#: Characters PyYAML will not read raw, plus line and paragraph separators it would fold.
_ESCAPE = re.compile("[\x7f-\x9f\u2028\u2029\ud800-\udfff\ufffe\uffff]")


def yaml_scalar(text: str) -> str:
    """Text as a YAML scalar no YAML 1.1 reader could take for anything but this string:
    'Yes' -> '"Yes"', '07' -> '"07"', 'Your name' -> 'Your name', 'a: b' -> '"a: b"'."""
    if _PLAIN.match(text) and text == text.strip() and text.lower() not in _YAML11_WORDS and "  " not in text:
        return text
    quoted = json.dumps(text, ensure_ascii=False)
    return _ESCAPE.sub(lambda match: f"\\u{ord(match[0]):04x}", quoted)


def _block_ok(text: str) -> bool:
    return (
        "\n" in text
        and "\r" not in text
        and not text[:1].isspace()
        and not text.endswith("\n")
        and _ESCAPE.search(text) is None
        and all(char == "\n" or char == "\t" or char.isprintable() for char in text)
    )


class YamlWriter:
    """Writes mappings, lists and strings as block YAML, remembering the workbook place of each line."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.origins: dict[int, Place] = {}

    def text(self) -> str:
        return "\n".join(self.lines) + "\n"

    def line(self, text: str, place: Place | None) -> None:
        self.lines.append(text)
        if place is not None:
            self.origins[len(self.lines)] = place

    def mapping(
        self, data: Mapping[str, object], indent: int, dash: bool = False, place: Place | None = None
    ) -> None:
        for number, (key, raw) in enumerate(data.items()):
            value, here = (raw.value, raw.place) if isinstance(raw, At) else (raw, None)
            here = here or (place if number == 0 else None)
            lead = " " * (indent - 2) + "- " if dash and number == 0 else " " * indent
            self.entry(f"{lead}{key}:", value, indent, here)

    def entry(self, lead: str, value: object, indent: int, place: Place | None) -> None:
        if isinstance(value, At):
            place = value.place
            value = value.value
        if isinstance(value, bool):
            self.line(f"{lead} {'true' if value else 'false'}", place)
        elif isinstance(value, int | Decimal):
            self.line(f"{lead} {format(value, 'f') if isinstance(value, Decimal) else value}", place)
        elif isinstance(value, str):
            if _block_ok(value):
                self.line(f"{lead} |-", place)
                for text in value.split("\n"):
                    self.line(f"{' ' * (indent + 2)}{text}" if text else "", place)
            else:
                self.line(f"{lead} {yaml_scalar(value)}", place)
        elif isinstance(value, Mapping):
            self.line(lead, place)
            self.mapping(value, indent + 2)
        elif isinstance(value, list):
            self.line(lead, place)
            for item in value:
                item_value, item_place = (item.value, item.place) if isinstance(item, At) else (item, None)
                if isinstance(item_value, Mapping):
                    self.mapping(item_value, indent + 4, dash=True, place=item_place)
                else:
                    self.entry(f"{' ' * (indent + 2)}-", item_value, indent + 2, item_place)
        else:  # pragma: no cover - the builder only makes the kinds above
            raise TypeError(f"cannot write {type(value).__name__} as YAML")


# --- building the definition ------------------------------------------------------------------------


@dataclass
class _Entry:
    """A survey row that asks, shows or groups something, with the rows it contains."""

    row: Row
    kind: str  # an XLSForm type in _ASKABLE, or "group", "repeat", "skip"
    name: str
    id: str
    list_name: str = ""
    or_other: bool = False
    field_list: bool = False
    children: list[_Entry] = field(default_factory=list)


@dataclass(frozen=True)
class _Choice:
    value: str
    label: object
    place: Place


_TYPE_WORDS = sorted(
    _ASKABLE
    | _METADATA_TYPES
    | set(_CANNOT_ASK)
    | {"calculate", "begin group", "end group", "begin repeat", "end repeat"}
)
_OTHER_LABELS = {"cy": "Arall"}
_EXPRESSION_COLUMNS = ("relevant", "constraint", "required", "choice_filter", "repeat_count")


class _Builder:
    """Reads the sheets of one workbook into coform's YAML shape, collecting problems and notes."""

    def __init__(self, sheets: Mapping[str, Sheet], stem: str) -> None:
        self.sheets = sheets
        self.stem = stem
        self.problems: list[Problem] = []
        self.notes: list[Note] = []
        self.names: dict[str, NameInfo] = {}
        self.taken: set[str] = set()
        self.lists: dict[str, list[_Choice]] = {}
        self.values: dict[str, dict[str, str]] = {}
        self.default_language = "en"
        self.translations: dict[str, list[tuple[str, str]]] = {family: [] for family in _TRANSLATED}
        self.languages: list[str] = []
        self.referenced: set[str] = set()
        self.settings: dict[str, Cell] = {}

    def problem(self, place: Place, message: str, fix: str) -> None:
        self.problems.append(Problem(place, message, fix))

    def note(self, place: Place, message: str) -> None:
        self.notes.append(Note(place, message))

    # --- the sheets

    def build(self) -> dict[str, object] | None:
        survey = self.sheets.get("survey")
        if survey is None or not survey.rows:
            self.problem(
                Place("survey"),
                "the workbook has no survey sheet with rows"
                if survey
                else "the workbook has no survey sheet",
                "name the sheet of questions 'survey', with a header row such as type, name, label",
            )
            return None
        for required in ("type", "name"):
            if required not in survey.columns:
                self.problem(
                    Place("survey", 1),
                    f"the survey sheet has no '{required}' column",
                    f"add a column headed {required} to the first row of the survey sheet",
                )
        if self.problems:
            return None
        self.read_settings()
        self.read_languages()
        self.note_columns(survey, _SURVEY_COLUMNS, "survey")
        choices = self.sheets.get("choices")
        if choices is not None:
            self.note_columns(choices, _CHOICES_COLUMNS, "choices")
            self.read_choices(choices)
        roots = self.read_survey(survey)
        self.referenced = {
            match[1].strip()
            for row in survey.rows
            for key, cell in row.cells.items()
            if key.split("::")[0] in (*_EXPRESSION_COLUMNS, "label", "hint")
            for match in re.finditer(r"\$\{([^}]*)\}", cell.text)
        }
        body = self.structure(roots)
        form: dict[str, object] = {"title": self.title()}
        if self.languages != ["en"]:
            form["languages"] = list(self.languages)
        form.update(body)
        return form

    def read_settings(self) -> None:
        sheet = self.sheets.get("settings")
        if sheet is None or not sheet.rows:
            return
        row = sheet.rows[0]
        self.settings = dict(row.cells)
        for key, cell in row.cells.items():
            if key == "style":
                styles = set(cell.text.lower().replace(",", " ").split()) - {"pages"}
                if styles:
                    self.note(
                        cell.place, f"style '{cell.text}' was not kept: coform shows one question per page"
                    )
            elif key == "version":
                self.note(
                    cell.place, f"version '{cell.text}' was not kept: coform versions a form by its content"
                )
            elif key not in _SETTINGS_USED:
                self.note(
                    cell.place, f"the setting {key} '{cell.text}' has no coform equivalent and was left out"
                )
        for extra in sheet.rows[1:]:
            self.note(extra.place(), "only the first row of settings is read; this row was left out")

    def title(self) -> object:
        cell = self.settings.get("form_title")
        if cell is not None and cell.text.strip():
            return At(cell.text.strip(), cell.place)
        return _humanise(self.stem.replace("-", "_"))

    def slug(self) -> str:
        cell = self.settings.get("form_id")
        typed = cell.text if cell is not None else self.stem
        slug = re.sub(r"[^a-z0-9]+", "-", clean_name(typed).replace("_", "-")).strip("-")
        return slug or "imported-form"

    def read_languages(self) -> None:
        default_cell = self.settings.get("default_language")
        if default_cell is not None and default_cell.text.strip().lower() != "default":
            code = _language_code(default_cell.text)
            if code is None:
                self.problem(
                    default_cell.place,
                    f"default_language '{default_cell.text}' has no two-letter language code coform knows",
                    "write it as a name and code, such as English (en)",
                )
            else:
                self.default_language = code
        found: list[str] = []
        for sheet_name in ("survey", "choices"):
            sheet = self.sheets.get(sheet_name)
            if sheet is None:
                continue
            for key in sheet.columns:
                family, separator, language = key.partition("::")
                if not separator or family not in _TRANSLATED:
                    continue
                code = _language_code(language)
                if code is None:
                    self.problem(
                        sheet.column_place(key),
                        f"the language '{language}' has no two-letter code coform knows",
                        f"head the column {family}::Welsh (cy), with the language's ISO 639-1 code",
                    )
                    continue
                if (code, key) not in self.translations[family]:
                    self.translations[family].append((code, key))
                if code not in found:
                    found.append(code)
        has_plain_label = any(
            "label" in sheet.columns for sheet in self.sheets.values() if sheet.name in ("survey", "choices")
        )
        if default_cell is None and found and not has_plain_label:
            self.default_language = found[0]
        self.languages = [self.default_language, *(code for code in found if code != self.default_language)]

    def note_columns(self, sheet: Sheet, known: frozenset[str], what: str) -> None:
        for key, (letter, typed) in sheet.columns.items():
            family = key.split("::")[0]
            if (
                key in known
                or (family in _TRANSLATED and "::" in key)
                or (what == "survey" and key == "type")
            ):
                continue
            place = Place(sheet.name, 1, letter, typed)
            used = sum(1 for row in sheet.rows if key in row.cells)
            if not used:
                continue
            if family in ("media", "image", "audio", "video", "big-image"):
                self.note(place, f"media ({_count(used, 'row')}) were not imported: add images in coform")
            elif family in ("bind", "body", "instance"):
                self.note(
                    place, f"'{typed}' ({_count(used, 'row')}) has no coform equivalent and was left out"
                )
            elif key == "guidance_hint" or family == "guidance_hint":
                self.note(
                    place, f"guidance hints ({_count(used, 'row')}) were left out: coform has no hidden hints"
                )
            else:
                self.note(
                    place, f"'{typed}' is not an XLSForm {what} column coform reads, so it was left out"
                )

    def read_choices(self, sheet: Sheet) -> None:
        first_row: dict[tuple[str, str], int] = {}
        renamed: dict[str, list[tuple[Place, str]]] = {}
        for row in sheet.rows:
            list_name = row.text("list_name")
            name_cell = row.cells.get("name")
            if not list_name:
                self.problem(
                    row.place("list_name"),
                    "the choice has no list_name",
                    "write the list's name in list_name",
                )
                continue
            if name_cell is None or not name_cell.text.strip():
                self.problem(
                    row.place("label"),
                    f"the choice in list '{list_name}' has no name",
                    "write a name, the value stored when the choice is picked",
                )
                continue
            typed = name_cell.text.strip()
            value = clean_name(typed)
            if not value:
                self.problem(
                    name_cell.place,
                    f"the choice name '{typed}' has no letters or digits coform can keep",
                    "use letters a-z, digits and _",
                )
                continue
            earlier = first_row.get((list_name, value))
            if earlier is not None:
                self.problem(
                    name_cell.place,
                    f"choice name '{typed}' in list '{list_name}' becomes '{value}', "
                    f"already used at row {earlier}",
                    "give each choice in the list its own name (names that differ only in spaces, capitals "
                    "or punctuation are the same in coform)",
                )
                continue
            first_row[(list_name, value)] = row.number
            label = self.text(row, "label")
            if label is None:
                self.problem(
                    row.place("label"), f"the choice '{typed}' has no label", "write the words people see"
                )
                continue
            if value != name_cell.text or name_cell.excel_made:
                why = f" (Excel stored it as {name_cell.excel_made})" if name_cell.excel_made else ""
                renamed.setdefault(list_name, []).append(
                    (name_cell.place, f"'{name_cell.text}' -> {value}{why}")
                )
            self.lists.setdefault(list_name, []).append(_Choice(value, label.value, label.place))
            self.values.setdefault(list_name, {})[typed] = value
        for list_name, changes in renamed.items():
            self.note(
                changes[0][0],
                f"choice names in list '{list_name}' changed to coform values (lower case, no spaces, "
                f"starting with a letter): {', '.join(change for _, change in changes)}",
            )

    # --- the survey sheet

    def read_survey(self, sheet: Sheet) -> list[_Entry]:
        roots: list[_Entry] = []
        stack: list[_Entry] = []
        for row in sheet.rows:
            typed = " ".join(row.text("type").split())
            if not typed:
                self.problem(
                    row.place("type"),
                    "the row has no type",
                    "write a type such as text or select_one yes_no, or delete the row",
                )
                continue
            words = re.sub(r"^select one\b", "select_one", typed.lower())
            words = re.sub(r"^select (all that apply|multiple)\b", "select_multiple", words)
            words = _TYPE_ALIASES.get(words, words)
            container = re.fullmatch(r"(begin|end)[ _](\w+)(?: .*)?", words)
            if container:
                self.container(row, container[1], container[2], roots, stack)
                continue
            entry = self.entry(row, words, typed, skipping=any(e.kind == "skip" for e in stack))
            if entry is not None:
                (stack[-1].children if stack else roots).append(entry)
        for open_entry in stack:
            self.problem(
                open_entry.row.place("type"),
                f"'{open_entry.row.text('type')}' is never ended",
                "add the matching end row after its last question",
            )
        return roots

    def container(self, row: Row, edge: str, kind: str, roots: list[_Entry], stack: list[_Entry]) -> None:
        if edge == "end":
            if not stack:
                self.problem(
                    row.place("type"), f"'end {kind}' has no begin {kind} before it", "delete this row"
                )
                return
            opened = stack.pop()
            opened_kind = "group" if opened.kind == "skip" else opened.kind
            if kind != opened_kind and opened.kind != "skip":
                self.problem(
                    row.place("type"),
                    f"'end {kind}' closes the begin {opened.kind} at row {opened.row.number}",
                    f"write end {opened.kind} here, or move the rows so each begin has its own end",
                )
            return
        skipping = any(e.kind == "skip" for e in stack)
        if kind in ("group", "repeat"):
            entry = self.named(row, kind, skipping)
            if entry is None:
                entry = _Entry(row, "skip", "", "")
            elif kind == "repeat" and any(e.kind == "repeat" for e in stack):
                self.problem(
                    row.place("type"),
                    f"the repeat '{entry.name}' is inside the repeat at row "
                    f"{next(e for e in reversed(stack) if e.kind == 'repeat').row.number}; coform cannot "
                    "nest repeats",
                    "ask the inner questions once per item of the outer repeat, or on a page of their own",
                )
                entry.kind = "skip"
            appearance = row.text("appearance").lower().split()
            entry.field_list = "field-list" in appearance or "table-list" in appearance
            if "table-list" in appearance:
                self.note(
                    row.place("appearance"),
                    "the table-list appearance was not kept: its questions share one page",
                )
            (stack[-1].children if stack else roots).append(entry)
            stack.append(entry)
            return
        if not skipping:
            reason = _CANNOT_NEST.get(kind, f"'begin {kind}' is not an XLSForm type coform knows")
            self.problem(
                row.place("type"),
                f"{reason}, so its questions cannot be imported",
                "rewrite them as ordinary questions "
                "(for a matrix, one select_one per row in a field-list group)",
            )
        skip = _Entry(row, "skip", "", "")
        (stack[-1].children if stack else roots).append(skip)
        stack.append(skip)

    def entry(self, row: Row, words: str, typed: str, skipping: bool) -> _Entry | None:
        parts = words.split()
        base = _TYPE_ALIASES.get(parts[0], parts[0])
        if base in _CANNOT_ASK:
            if not skipping:
                self.problem(
                    row.place("type"),
                    f"'{typed}' asks for {_CANNOT_ASK[base]}, which coform cannot ask",
                    "remove the question, or change it to a type coform has: text, integer, decimal, date, "
                    "select_one, select_multiple, rank, range, acknowledge, file or image",
                )
            return None
        if base == "calculate" or base in _METADATA_TYPES:
            self.named(row, "calculate" if base == "calculate" else "metadata", skipping)
            if not skipping:
                what = "calculations" if base == "calculate" else f"'{base}' metadata"
                self.note(
                    row.place("type"),
                    f"{row.text('name') or base} was left out: coform does not collect {what}",
                )
            return None
        if base not in _ASKABLE:
            if not skipping:
                close = difflib.get_close_matches(base, _TYPE_WORDS, n=1)
                self.problem(
                    row.place("type"),
                    f"'{typed}' is not an XLSForm type coform knows",
                    f"did you mean {close[0]}?" if close else "use a type from the XLSForm reference",
                )
            return None
        entry = self.named(row, base, skipping)
        if entry is None or skipping:
            return entry
        if base in ("select_one", "select_multiple", "rank"):
            extra = parts[2:]
            entry.or_other = extra == ["or_other"]
            if len(parts) < 2 or (extra and not entry.or_other):
                self.problem(
                    row.place("type"),
                    f"'{typed}' should be {base} followed by a list name",
                    f"write {base} yes_no, where yes_no is a list_name on the choices sheet",
                )
                return None
            # "select one towns" is three words where "select_one towns" is two.
            entry.list_name = typed.split()[1 + len(typed.split()) - len(parts)]
        elif len(parts) > 1:
            self.problem(row.place("type"), f"'{typed}' has words after the type", f"write just {base}")
            return None
        return entry

    def named(self, row: Row, kind: str, skipping: bool) -> _Entry | None:
        """Register the row's name; notes may go unnamed."""
        cell = row.cells.get("name")
        if cell is None or not cell.text.strip():
            if kind not in ("note", "metadata", "calculate") and not skipping:
                self.problem(
                    row.place("name"), f"the {kind} row has no name", "write a name, such as full_name"
                )
                return None
            return _Entry(row, kind, "", "")
        typed = cell.text.strip()
        new_id = clean_name(typed)
        if skipping:
            return _Entry(row, kind, typed, new_id)
        if not new_id:
            self.problem(
                cell.place,
                f"the name '{typed}' has no letters or digits coform can keep",
                "use a-z, 0-9 and _",
            )
            return None
        clash = next((info for name, info in self.names.items() if info.id == new_id), None)
        if clash is not None:
            same = "is" if typed in self.names else f"becomes '{new_id}', which is"
            self.problem(
                cell.place,
                f"the name '{typed}' {same} already used at row {clash.row}",
                "give every row its own name "
                "(names that differ only in capitals or punctuation are the same)",
            )
            return None
        if new_id != cell.text:
            why = f" (Excel stored it as {cell.excel_made})" if cell.excel_made else ""
            self.note(cell.place, f"the name '{cell.text}' became '{new_id}'{why}")
        kinds = {
            "group": "group",
            "repeat": "repeat",
            "note": "content",
            "calculate": "calculate",
            "metadata": "metadata",
        }
        info_kind = kinds.get(kind, "question")
        self.names[typed] = NameInfo(new_id, info_kind, row.number, {})
        self.taken.add(new_id)
        return _Entry(row, kind, typed, new_id)

    # --- texts and expressions

    def text(self, row: Row, family: str) -> At | None:
        """A translatable column of a row as a coform text (a string, or a mapping of languages)."""
        values: dict[str, str] = {}
        for code, key in self.translations[family]:
            if row.text(key) and code not in values:
                values[code] = row.text(key)
        default = values.pop(self.default_language, "") or row.text(family)
        if not default and not values:
            return None
        place = row.place(family) if family in row.cells else row.place(self.translations[family][0][1])
        if not default:
            self.problem(
                place,
                f"the {family.replace('_', ' ')} has no {self.default_language} text, "
                "the form's default language",
                f"write the {self.default_language} text in the {family} column",
            )
            return None
        texts = {self.default_language: default, **values}
        piped = {code: self.pipe(text, place) for code, text in texts.items()}
        if len(piped) == 1:
            return At(piped[self.default_language], place)
        return At(piped, place)

    def pipe(self, text: str, place: Place) -> str:
        """'Thanks ${name}' -> 'Thanks ((name))': coform's way of showing an earlier answer."""

        def swap(match: re.Match[str]) -> str:
            try:
                info = _Translator(self.names, None).lookup(match[1].strip())
            except XPathProblem as problem:
                self.problem(place, f"the text shows {match[0]}, but {problem.message}", problem.fix)
                return match[0]
            return f"(({info.id}))"

        return re.sub(r"\$\{([^}]*)\}", swap, text)

    def condition(self, row: Row, key: str, current: str | None) -> str | None:
        source = row.text(key)
        if not source:
            return None
        try:
            return translate_condition(source, self.names, current)
        except XPathProblem as problem:
            self.problem(
                row.place(key), f"{key} '{source}' cannot be translated: {problem.message}", problem.fix
            )
            return None

    # --- questions

    def question(self, entry: _Entry) -> tuple[dict[str, object], str | None] | None:
        """The question's YAML mapping, and its relevant as a coform condition (the caller places it)."""
        row = entry.row
        self.note_row(entry)
        relevant = self.condition(row, "relevant", entry.id or None)
        if entry.kind == "note":
            return self.paragraph(entry), relevant
        coform_type, settings = self.type_and_settings(entry)
        if coform_type is None:
            return None
        data: dict[str, object] = {
            "id": At(entry.id, row.place("name")),
            "type": At(coform_type, row.place("type")),
        }
        label = self.text(row, "label")
        if label is None:
            self.problem(
                row.place("label"),
                f"the question '{entry.name}' has no label",
                "write the question in the label column",
            )
            return None
        data["label"] = label
        if (hint := self.text(row, "hint")) is not None:
            data["hint"] = hint
        required = self.required(row)
        if not required:
            data["optional"] = True
        errors: dict[str, object] = {}
        if required and (message := self.text(row, "required_message")) is not None:
            errors["required"] = message
        settings.update(self.constraint(entry, coform_type, required, errors))
        data.update(settings)
        if errors:
            data["errors"] = errors
        return data, relevant

    def paragraph(self, entry: _Entry) -> dict[str, object]:
        label = self.text(entry.row, "label")
        hint = self.text(entry.row, "hint")
        parts = [part for part in (label, hint) if part is not None]
        if not parts:
            return {"type": "paragraph", "body": At(" ", entry.row.place("type"))}
        body = (
            parts[0] if len(parts) == 1 else At(_join_texts(parts[0].value, parts[1].value), parts[0].place)
        )
        return {"type": At("paragraph", entry.row.place("type")), "body": body}

    def required(self, row: Row) -> bool:
        text = row.text("required")
        word = text.lower()
        if word in ("", "no", "false", "false()", "0", "n"):
            return False
        if word in ("yes", "true", "true()", "1", "y"):
            return True
        self.note(
            row.place("required"),
            f"required only when '{text}': coform cannot make a question required on a condition, "
            "so it is optional",
        )
        return False

    def type_and_settings(self, entry: _Entry) -> tuple[str | None, dict[str, object]]:
        row, kind = entry.row, entry.kind
        appearance = row.text("appearance").lower().split()
        used = _APPEARANCES_USED.get(kind, frozenset()) | (
            {"autocomplete"} if kind == "select_one" else set()
        )
        if any(word.startswith("search(") for word in appearance):
            self.problem(
                row.place("appearance"),
                "the search() appearance loads choices from a file, which coform cannot do",
                "list the choices on the choices sheet and remove search()",
            )
            return None, {}
        for word in appearance:
            if word not in used:
                self.note(row.place("appearance"), f"the appearance '{word}' was not kept")
        if row.text("parameters") and kind != "range":
            self.note(row.place("parameters"), f"parameters '{row.text('parameters')}' were not kept")
        settings: dict[str, object] = {}
        if kind == "text":
            return ("long_text" if "multiline" in appearance else "text"), settings
        if kind in ("integer", "decimal", "date"):
            return {"integer": "number", "decimal": "decimal", "date": "date"}[kind], settings
        if kind == "acknowledge":
            return "consent", settings
        if kind in ("file", "image"):
            settings["accept"] = list(self.accept(row) if kind == "file" else _IMAGE_EXTENSIONS)
            return "file", settings
        if kind == "range":
            return self.range(entry, settings)
        options = self.options(entry)
        if options is None:
            return None, {}
        settings["options"] = options
        if kind == "select_multiple":
            return "checkboxes", settings
        if kind == "rank":
            if entry.or_other:
                self.problem(
                    row.place("type"),
                    "rank cannot have or_other",
                    "remove or_other, or add an 'other' choice",
                )
                return None, {}
            return "ranking", settings
        chosen = (
            "dropdown"
            if {"minimal", "autocomplete"} & set(appearance)
            else "scale"
            if "likert" in appearance
            else "radios"
        )
        if chosen != "radios" and entry.or_other:
            self.note(
                row.place("appearance"), f"shown as radios, not a {chosen}, so 'Other' can ask 'please say'"
            )
            chosen = "radios"
        return chosen, settings

    def accept(self, row: Row) -> tuple[str, ...]:
        typed = row.text("body::accept")
        if not typed:
            return _DOCUMENT_EXTENSIONS
        if typed.strip().lower().startswith("image/"):
            return _IMAGE_EXTENSIONS
        extensions = tuple(
            dict.fromkeys(
                part.strip().lstrip(".").lower() for part in re.split(r"[,\s]+", typed) if part.strip()
            )
        )
        return extensions or _DOCUMENT_EXTENSIONS

    def options(self, entry: _Entry) -> list[object] | None:
        choices = self.lists.get(entry.list_name)
        if choices is None:
            close = difflib.get_close_matches(entry.list_name, list(self.lists), n=1)
            self.problem(
                entry.row.place("type"),
                f"the list '{entry.list_name}' is not on the choices sheet",
                f"did you mean {close[0]}?"
                if close
                else f"add rows with list_name {entry.list_name} to the choices sheet",
            )
            return None
        self.names[entry.name] = NameInfo(
            entry.id, "question", entry.row.number, self.values[entry.list_name]
        )
        options: list[object] = [
            At({"value": choice.value, "label": choice.label}, choice.place) for choice in choices
        ]
        if entry.or_other:
            if any(choice.value == "other" for choice in choices):
                self.problem(
                    entry.row.place("type"),
                    f"or_other adds a choice named 'other', but list '{entry.list_name}' already has one",
                    "remove or_other, or rename the list's own 'other' choice",
                )
                return None
            label: object = "Other"
            translated = {code: _OTHER_LABELS[code] for code in self.languages[1:] if code in _OTHER_LABELS}
            if translated or self.default_language != "en":
                label = {
                    self.default_language: _OTHER_LABELS.get(self.default_language, "Other"),
                    **translated,
                }
            options.append(At({"value": "other", "label": label, "other": True}, entry.row.place("type")))
        return options

    def range(self, entry: _Entry, settings: dict[str, object]) -> tuple[str | None, dict[str, object]]:
        row = entry.row
        parameters: dict[str, str] = {}
        for part in re.split(r"[\s;,]+", row.text("parameters")):
            key, _, value = part.partition("=")
            if key:
                parameters[key.strip().lower()] = value.strip()
        try:
            start, end, step = (
                Decimal(parameters.get(key, default))
                for key, default in (("start", "1"), ("end", "10"), ("step", "1"))
            )
        except InvalidOperation:
            self.problem(
                row.place("parameters"),
                f"the range parameters '{row.text('parameters')}' are not numbers",
                "write start=1 end=5 step=1",
            )
            return None, {}
        if step <= 0 or end < start:
            self.problem(
                row.place("parameters"),
                f"the range from {start} to {end} in steps of {step} has no points",
                "make end larger than start and step more than 0",
            )
            return None, {}
        for key in set(parameters) - {"start", "end", "step"}:
            self.note(row.place("parameters"), f"the range parameter {key} was not kept")
        points = int((end - start) / step) + 1
        whole = all(number == number.to_integral_value() for number in (start, step))
        if points <= MAX_SCALE_POINTS and entry.name not in self.referenced:
            values = [start + step * index for index in range(points)]
            settings["options"] = [
                {"value": clean_name(_plain(value)), "label": _plain(value)} for value in values
            ]
            return "scale", settings
        settings["min"] = Decimal(_plain(start))
        settings["max"] = Decimal(_plain(start + step * (points - 1)))
        reason = (
            "it has too many points for a scale"
            if points > MAX_SCALE_POINTS
            else "expressions compare it as a number"
        )
        self.note(
            row.place("type"),
            f"the range became a number box from {_plain(start)} to {_plain(end)}, as {reason}"
            + (f"; the step {_plain(step)} was not kept" if step != 1 else ""),
        )
        return ("number" if whole else "decimal"), settings

    def constraint(
        self, entry: _Entry, coform_type: str, required: bool, errors: dict[str, object]
    ) -> dict[str, object]:
        row = entry.row
        source = row.text("constraint")
        if not source:
            if row.text("constraint_message"):
                self.note(
                    row.place("constraint_message"),
                    "the constraint_message was left out: the row has no constraint",
                )
            return {}
        try:
            settings = translate_constraint(source, coform_type)
        except XPathProblem as problem:
            if required:
                self.problem(
                    row.place("constraint"),
                    f"the constraint '{source}' on a required question cannot be kept: {problem.message}",
                    f"{problem.fix}; or remove the constraint if it is not needed",
                )
            else:
                self.note(
                    row.place("constraint"), f"the constraint '{source}' was left out: {problem.message}"
                )
            return {}
        message = self.text(row, "constraint_message")
        found: dict[str, object] = {}
        for key, value in settings.items():
            setting_key = "must_be" if key == "must_be" else key
            codes = (_RANKING_CODES if coform_type == "ranking" else {}).get(key) or _CODES_OF_SETTING[
                f"must_be:{value}" if key == "must_be" else key
            ]
            if message is not None:
                for code in codes:
                    errors[code] = message
            if key in ("min", "max"):
                found[setting_key] = At(Decimal(value), row.place("constraint"))
            elif key in ("min_length", "max_length", "min_selected", "max_selected"):
                found[setting_key] = At(int(value), row.place("constraint"))
            else:
                found[setting_key] = At(value, row.place("constraint"))
        return found

    def note_row(self, entry: _Entry) -> None:
        row = entry.row
        for key, what in (
            ("default", "coform does not fill in answers in advance"),
            ("calculation", "coform does not calculate"),
            ("trigger", "coform has no triggers"),
        ):
            if row.text(key):
                self.note(row.place(key), f"the {key} '{row.text(key)}' was left out: {what}")
        if row.text("read_only").lower() in ("yes", "true", "true()", "1"):
            self.note(
                row.place("read_only"), "read_only was left out: coform questions can always be answered"
            )
        if row.text("choice_filter"):
            self.problem(
                row.place("choice_filter"),
                f"the choice_filter '{row.text('choice_filter')}' cannot be kept: "
                "coform offers every choice of the list",
                "split the list into one list per case and ask each with a relevant, or remove the filter",
            )
        if entry.kind == "note" and row.text("required"):
            self.note(row.place("required"), "required was left out: a note takes no answer")

    # --- pages and sections

    def allocate(self, wanted: str) -> str:
        candidate, number = wanted, 2
        while candidate in self.taken or candidate == "check_answers":
            candidate = f"{wanted}_{number}"
            number += 1
        self.taken.add(candidate)
        return candidate

    def structure(self, roots: list[_Entry]) -> dict[str, object]:
        sections = [entry for entry in roots if entry.kind == "group" and not entry.field_list]
        if not sections:
            return {"pages": self.pages(roots, [])}
        built: list[object] = []
        loose: list[_Entry] = []

        def flush() -> None:
            if loose:
                pages = self.pages(loose, [])
                if pages:
                    built.append(At({"id": self.allocate("part"), "pages": pages}, loose[0].row.place()))
                loose.clear()

        for entry in roots:
            if entry.kind == "group" and not entry.field_list:
                flush()
                section = self.section(entry)
                if section is not None:
                    built.append(section)
            else:
                loose.append(entry)
        flush()
        return {"sections": built}

    def section(self, entry: _Entry) -> At | None:
        data: dict[str, object] = {"id": At(entry.id, entry.row.place("name"))}
        if (label := self.text(entry.row, "label")) is not None:
            data["title"] = label
        if (show_if := self.condition(entry.row, "relevant", None)) is not None:
            data["show_if"] = At(show_if, entry.row.place("relevant"))
        pages = self.pages(entry.children, [])
        if not pages:
            self.note(entry.row.place(), f"the group '{entry.name}' has no questions, so it was left out")
            return None
        data["pages"] = pages
        return At(data, entry.row.place())

    def pages(self, entries: Sequence[_Entry], conditions: list[str]) -> list[object]:
        pages: list[object] = []
        for entry in entries:
            if entry.kind == "skip":
                continue
            if entry.kind == "repeat" or (entry.kind == "group" and entry.field_list):
                grouped = self.group_page(entry, conditions)
                if grouped is not None:
                    pages.append(grouped)
            elif entry.kind == "group":
                relevant = self.condition(entry.row, "relevant", None)
                if self.text(entry.row, "label") is not None:
                    self.note(
                        entry.row.place("label"),
                        f"the label of the group '{entry.name}' was not kept: a group inside a section "
                        "becomes pages of that section",
                    )
                pages.extend(self.pages(entry.children, [*conditions, *([relevant] if relevant else [])]))
            else:
                built = self.question(entry)
                if built is None:
                    continue
                question, relevant = built
                page: dict[str, object] = {"id": self.allocate(f"{entry.id or 'note'}_page")}
                show_if = _all_of([*conditions, *([relevant] if relevant else [])])
                if show_if:
                    page["show_if"] = At(show_if, entry.row.place("relevant"))
                page["questions"] = [At(question, entry.row.place())]
                pages.append(At(page, entry.row.place()))
        return pages

    def group_page(self, entry: _Entry, conditions: list[str]) -> At | None:
        row = entry.row
        data: dict[str, object] = {"id": At(entry.id, row.place("name"))}
        label = self.text(row, "label")
        relevant = self.condition(row, "relevant", None)
        questions = self.page_questions(entry.children, [], inside=entry)
        if not questions:
            self.note(row.place(), f"the {entry.kind} '{entry.name}' has no questions, so it was left out")
            return None
        answerable = sum(
            1
            for question in questions
            if isinstance(question, At) and isinstance(question.value, dict) and "id" in question.value
        )
        if label is not None:
            data["title"] = label
        elif answerable > 1 or entry.kind == "repeat":
            data["title"] = _humanise(entry.id)
            self.note(
                row.place("label"),
                f"the {entry.kind} has no label, so its page is titled '{_humanise(entry.id)}'",
            )
        show_if = _all_of([*conditions, *([relevant] if relevant else [])])
        if show_if:
            data["show_if"] = At(show_if, row.place("relevant"))
        if entry.kind == "repeat":
            data["repeat"] = self.repeat(entry, label)
        data["questions"] = questions
        return At(data, row.place())

    def repeat(self, entry: _Entry, label: At | None) -> dict[str, object]:
        row = entry.row
        item_name: object = label if label is not None else _humanise(entry.id)
        low, high = 0, MAX_REPEAT_ITEMS
        count = row.text("repeat_count")
        if count.isdigit():
            if int(count) > MAX_REPEAT_ITEMS:
                self.problem(
                    row.place("repeat_count"),
                    f"repeat_count {count} is more than coform's {MAX_REPEAT_ITEMS} items",
                    f"use {MAX_REPEAT_ITEMS} or fewer",
                )
            low = high = min(int(count), MAX_REPEAT_ITEMS)
        elif count:
            self.note(
                row.place("repeat_count"),
                f"repeat_count '{count}' was left out: "
                f"respondents add items themselves (up to {MAX_REPEAT_ITEMS})",
            )
        return {"item_name": item_name, "min": low, "max": high}

    def page_questions(
        self, entries: Sequence[_Entry], conditions: list[str], inside: _Entry
    ) -> list[object]:
        questions: list[object] = []
        for entry in entries:
            if entry.kind == "skip":
                continue
            if entry.kind == "repeat":
                self.problem(
                    entry.row.place("type"),
                    f"the repeat '{entry.name}' is inside the field-list group '{inside.name}', "
                    "which is one page",
                    "end the group before the repeat begins",
                )
                continue
            if entry.kind == "group":
                relevant = self.condition(entry.row, "relevant", None)
                if self.text(entry.row, "label") is not None:
                    self.note(
                        entry.row.place("label"),
                        f"the label of the group '{entry.name}' was not kept: "
                        f"its questions join the page of '{inside.name}'",
                    )
                questions.extend(
                    self.page_questions(
                        entry.children, [*conditions, *([relevant] if relevant else [])], inside
                    )
                )
                continue
            built = self.question(entry)
            if built is None:
                continue
            question, relevant = built
            show_if = _all_of([*conditions, *([relevant] if relevant else [])])
            if show_if:
                question["show_if"] = At(show_if, entry.row.place("relevant"))
            questions.append(At(question, entry.row.place()))
        return questions


def _join_texts(first: object, second: object) -> object:
    if isinstance(first, str) and isinstance(second, str):
        return f"{first}\n\n{second}"
    firsts = first if isinstance(first, dict) else {"": first}
    seconds = second if isinstance(second, dict) else {"": second}
    default_first = next(iter(firsts.values()))
    default_second = next(iter(seconds.values()))
    return {code: f"{text}\n\n{seconds.get(code, default_second)}" for code, text in firsts.items()} | {
        code: f"{default_first}\n\n{text}" for code, text in seconds.items() if code not in firsts
    }


def _all_of(conditions: Iterable[str]) -> str | None:
    parts = [part for part in conditions if part]
    if len(parts) <= 1:
        return parts[0] if parts else None
    return " and ".join(f"({part})" if " or " in part else part for part in parts)


def _language_code(typed: str) -> str | None:
    """'Welsh (cy)' -> 'cy'; 'English (en-GB)' -> 'en'; 'Welsh' -> 'cy'; 'Klingon (tlh)' -> None."""
    match = re.fullmatch(r".*?\(\s*([A-Za-z]{2,3})(?:[-_][A-Za-z0-9]+)?\s*\)\s*", typed)
    code = match[1].lower() if match else _LANGUAGE_NAMES.get(typed.strip().lower())
    return code if code in LANGUAGE_CODES else None


# --- the whole import --------------------------------------------------------------------------------


def import_workbook(raw: Mapping[str, list[list[object]]], stem: str, slug: str | None = None) -> Imported:
    """Raw sheet rows -> coform YAML, refusals and notes, then the checker's verdict on the YAML."""
    problems: list[Problem] = []
    notes: list[Note] = []
    reader = _Reader(problems, notes)
    sheets = {
        name: reader.sheet(name, rows)
        for name, rows in raw.items()
        if name in ("survey", "choices", "settings")
    }
    for name in raw:
        if name not in sheets and raw[name] and any(any(v is not None for v in row) for row in raw[name]):
            notes.append(
                Note(
                    Place(name),
                    "this sheet is not part of XLSForm's survey, choices or settings, so it was left out",
                )
            )
    builder = _Builder(sheets, stem)
    builder.problems = problems
    builder.notes = notes
    form = builder.build() if not problems else None
    slug = slug or builder.slug()
    if form is None or problems:
        return Imported(slug, None, tuple(problems), tuple(notes))
    writer = YamlWriter()
    writer.mapping(form, 0)
    text = writer.text()
    return Imported(slug, text, (), tuple(notes), tuple(_check(text, slug, writer.origins)))


def _check(text: str, slug: str, origins: Mapping[int, Place]) -> list[str]:
    """The checker's errors on the imported YAML, each placed at the workbook cell its line came from."""
    try:
        load_form_text(text, f"{slug}.yaml")
    except DefinitionErrors as found:
        placed: list[str] = []
        for error in found.errors:
            line = error.line
            while line > 1 and line not in origins:
                line -= 1
            where = str(origins[line]) if line in origins else "the workbook"
            placed.append(f"{where}: {error.message}. Fix: {error.fix} (YAML line {error.line})")
        return placed
    return []


def import_xlsform(path: str | Path, slug: str | None = None) -> Imported:
    """Import an .xlsx file: import_xlsform("survey.xlsx").yaml is the coform form, if all went well."""
    path = Path(path)
    return import_workbook(read_sheets(path), path.stem, slug)
