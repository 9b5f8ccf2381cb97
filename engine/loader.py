"""YAML form definitions -> frozen `engine.definition.Form`, collecting every author mistake.

Each mistake is a `DefinitionError` pointing at the file, line and column, saying what is wrong and
how to fix it:

    load_form_text("title: Hi\\npages: []\\n") raises DefinitionErrors with
    "inline.yaml:2:8: there are no pages here. Fix: add at least one page under pages:"

Every scalar is read as the exact string the author typed (no YAML 1.1 guessing, so `no`, `on`,
`1.10` and `07` stay strings) and converted only where the language expects a boolean, number,
date or size. The keys each object takes live in one table, `KEYS`, which also drives
`language_schema()` so the JSON Schema editors use cannot drift from what the loader accepts.
"""

from __future__ import annotations

import datetime as dt
import difflib
import hashlib
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from decimal import Decimal
from pathlib import Path
from types import MappingProxyType
from typing import Any, Literal
from zoneinfo import ZoneInfo

import re2
import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from engine import expressions
from engine.definition import (
    CHECK_ANSWERS,
    EASY,
    PIPE_PATTERN,
    RESERVED_PAGE_IDS,
    Contact,
    Form,
    Image,
    Option,
    Page,
    Question,
    Repeat,
    Route,
    Section,
    Text,
)
from engine.expressions import Expression, ExpressionError, ValueKind
from engine.messages import ERROR_CODES
from engine.questions import QUESTION_TYPES

LONDON = ZoneInfo("Europe/London")
MAX_FILE_BYTES = 1024 * 1024
#: Uploads above this cannot get through the web server's body limit, so a larger max_size is a lie.
MAX_UPLOAD_BYTES = 25 * 1024 * 1024
MAX_REPEAT_ITEMS = 100

_ID = re.compile(r"[a-z][a-z0-9_]*\Z")
_SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*\Z")
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+\Z")
_INTEGER = re.compile(r"-?[0-9]+\Z")
_DECIMAL = re.compile(r"-?[0-9]+(?:\.[0-9]+)?\Z")
_DATE = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})\Z")
_DATETIME = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})(?:[ T]([0-9]{1,2}):([0-9]{2}))?\Z")
_RETENTION = re.compile(r"([0-9]+) *(day|week|month|year)s?\Z")
_SIZE = re.compile(r"([0-9]+(?:\.[0-9]+)?) *(B|KB|MB|GB)\Z", re.IGNORECASE)
_PREFIX = re.compile(r"[A-Z]{2,5}\Z")
_TRUTHY_WORDS = {"yes", "no", "on", "off", "y", "n", "True", "False", "TRUE", "FALSE", "1", "0"}

#: Retention is counted generously: a month is 31 days so "6 months" never deletes early.
_RETENTION_DAYS = {"day": 1, "week": 7, "month": 31, "year": 366}
_SIZE_UNITS = {"b": 1, "kb": 1024, "mb": 1024**2, "gb": 1024**3}


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


#: ISO 639-1 language codes.
LANGUAGE_CODES = _words(
    """
    aa ab ae af ak am an ar as av ay az ba be bg bi bm bn bo br bs ca ce ch co cr cs cu cv cy da de
    dv dz ee el en eo es et eu fa ff fi fj fo fr fy ga gd gl gn gu gv ha he hi ho hr ht hu hy hz ia
    id ie ig ii ik io is it iu ja jv ka kg ki kj kk kl km kn ko kr ks ku kv kw ky la lb lg li ln lo
    lt lu lv mg mh mi mk ml mn mr ms mt my na nb nd ne ng nl nn no nr nv ny oc oj om or os pa pi pl
    ps pt qu rm rn ro ru rw sa sc sd se sg si sk sl sm sn so sq sr ss st su sv sw ta te tg th ti tk
    tl tn to tr ts tt tw ty ug uk ur uz ve vi vo wa wo xh yi yo za zh zu
    """
)

#: File extensions an upload question may accept; each is something a reviewer can open safely.
FILE_EXTENSIONS = _words(
    """
    pdf doc docx odt rtf txt csv xls xlsx ods ppt pptx odp jpg jpeg png gif webp heic heif tif tiff
    bmp mp3 m4a wav mp4 mov
    """
)

#: Autofill field names from the WHATWG HTML standard (4.10.18.7).
AUTOCOMPLETE_FIELDS = _words(
    """
    name honorific-prefix given-name additional-name family-name honorific-suffix nickname username
    new-password current-password one-time-code organization-title organization street-address
    address-line1 address-line2 address-line3 address-level4 address-level3 address-level2
    address-level1 country country-name postal-code cc-name cc-given-name cc-additional-name
    cc-family-name cc-number cc-exp cc-exp-month cc-exp-year cc-csc cc-type transaction-currency
    transaction-amount language bday bday-day bday-month bday-year sex url photo
    """
)
AUTOCOMPLETE_CONTACT_FIELDS = _words(
    """
    tel tel-country-code tel-national tel-area-code tel-local tel-local-prefix tel-local-suffix
    tel-extension email impp
    """
)
_AUTOCOMPLETE_CONTACT_KINDS = frozenset({"home", "work", "mobile", "fax", "pager"})

#: YAML keys whose `Question` attribute has another name.
_ATTRIBUTE_OF_KEY = {"must_be": "date_rule"}
#: Keys every question takes, whatever its type.
_COMMON_QUESTION_KEYS = frozenset(
    {"id", "type", "label", "hint", "optional", "personal", "show_if", "errors", "replaces"}
)


# --- the language: which keys each object takes ------------------------------------------------------


@dataclass(frozen=True)
class Key:
    """One key of an object in the language: its JSON Schema, whether it is required, what it is for."""

    schema: Mapping[str, Any]
    description: str
    required: bool = False


def _ref(name: str) -> Mapping[str, Any]:
    return {"$ref": f"#/$defs/{name}"}


def _list_of(item: Mapping[str, Any]) -> Mapping[str, Any]:
    return {"type": "array", "items": item}


_TEXT = _ref("text")
_ID_SCHEMA = _ref("id")
_BOOL = {"type": "boolean"}
_STRING = {"type": "string"}
_EXPR = _ref("expression")
_COUNT = {"type": "integer", "minimum": 0}
_NUMBER = {"type": "number"}
_DATE_OR_TODAY = {"type": "string", "pattern": r"^([0-9]{4}-[0-9]{2}-[0-9]{2}|today)$"}
_DATETIME_SCHEMA = {"type": "string", "pattern": r"^[0-9]{4}-[0-9]{2}-[0-9]{2}([ T][0-9]{1,2}:[0-9]{2})?$"}
_EMAIL_SCHEMA = {"type": "string", "format": "email"}

KEYS: Mapping[str, Mapping[str, Key]] = {
    "form": {
        "title": Key(_TEXT, "The form's name, shown as the start page heading", required=True),
        "summary": Key(_TEXT, "One line shown in the list of forms"),
        "start": Key(_TEXT, "Start page text (markdown)"),
        "audience": Key(_TEXT, "Who the form is for"),
        "opens": Key(_DATETIME_SCHEMA, "When the form opens (Europe/London): 2026-09-01 09:00"),
        "closes": Key(_DATETIME_SCHEMA, "When the form closes (Europe/London); a date alone means its end"),
        "retention": Key(
            {"type": "string", "pattern": r"^[0-9]+ *(day|week|month|year)s?$"},
            "How long responses are kept: N days|weeks|months|years",
        ),
        "languages": Key(
            {"type": "array", "items": {"enum": sorted(LANGUAGE_CODES)}, "minItems": 1, "uniqueItems": True},
            "Language codes offered; the first is the default",
        ),
        "easy_read": Key(_BOOL, "Texts may carry an `easy` variant that respondents can switch to"),
        "sensitive": Key(_BOOL, "Shows an 'Exit this page' button"),
        "reference_prefix": Key({"type": "string", "pattern": "^[A-Z]{2,5}$"}, "2 to 5 capital letters"),
        "review_statuses": Key(_list_of(_ref("review_status")), "Statuses reviewers use for responses"),
        "task_list": Key(_BOOL, "Show a task list of titled sections"),
        "privacy": Key(_TEXT, "Privacy notice (markdown)"),
        "contact": Key(_ref("contact"), "Who respondents can ask for help"),
        "next_steps": Key(_TEXT, "What happens next, shown after submitting (markdown)"),
        "help_now": Key(_TEXT, "'If you are in danger now' help (markdown)"),
        "alerts": Key(_list_of(_EMAIL_SCHEMA), "Staff addresses told of each new submission"),
        "receipt": Key(_BOOL, "Whether respondents may ask for an emailed receipt"),
        "sections": Key(_list_of(_ref("section")), "Sections of pages"),
        "pages": Key(_list_of(_ref("page")), "Pages of a form with one untitled section"),
    },
    "section": {
        "id": Key(_ID_SCHEMA, "Section id", required=True),
        "title": Key(_TEXT, "Section heading"),
        "show_if": Key(_EXPR, "Show the section only when this holds"),
        "pages": Key(_list_of(_ref("page")), "The section's pages", required=True),
    },
    "page": {
        "id": Key(_ID_SCHEMA, "Page id", required=True),
        "title": Key(_TEXT, "Page heading (needed when a page has several questions)"),
        "show_if": Key(_EXPR, "Show the page only when this holds"),
        "questions": Key(_list_of(_ref("question")), "Questions and content blocks"),
        "next": Key(_list_of(_ref("route")), "Where to go after this page; the first match wins"),
        "repeat": Key(_ref("repeat"), "Ask the page's questions once per item ('add another')"),
        "exit": Key(_BOOL, "End the journey here, showing the body"),
        "body": Key(_TEXT, "Text of an exit page (markdown)"),
    },
    "route": {
        "if": Key(_EXPR, "Take this route when this holds; leave out to always take it"),
        "goto": Key(_ID_SCHEMA, "A later page id, or check_answers", required=True),
    },
    "repeat": {
        "item_name": Key(_TEXT, "What one item is called: journey", required=True),
        "min": Key(_COUNT, "Fewest items"),
        "max": Key(_COUNT, "Most items"),
    },
    "question": {
        "id": Key(_ID_SCHEMA, "Question id (optional for content blocks)"),
        "type": Key(_ref("question_type"), "The question type", required=True),
        "label": Key(_TEXT, "The question"),
        "hint": Key(_TEXT, "Hint shown under the label"),
        "optional": Key(_BOOL, "The question may be left unanswered"),
        "personal": Key(_BOOL, "The answer is personal data"),
        "show_if": Key(_EXPR, "Ask the question only when this holds"),
        "errors": Key(
            {"type": "object", "additionalProperties": _TEXT, "propertyNames": {"enum": sorted(ERROR_CODES)}},
            "Custom error wording by error code",
        ),
        "options": Key(_list_of(_ref("option")), "Choices"),
        "statements": Key(_list_of(_ref("option")), "Grid rows"),
        "autocomplete": Key(_STRING, "HTML autocomplete token"),
        "image": Key(_ref("image"), "An image shown with the question"),
        "min_length": Key(_COUNT, "Fewest characters"),
        "max_length": Key(_COUNT, "Most characters"),
        "max_words": Key(_COUNT, "Most words"),
        "pattern": Key(_STRING, "Regular expression (re2) the whole answer must match"),
        "min": Key(_NUMBER, "Smallest number"),
        "max": Key(_NUMBER, "Largest number"),
        "min_selected": Key(_COUNT, "Fewest options to choose"),
        "max_selected": Key(_COUNT, "Most options to choose"),
        "must_be": Key({"enum": ["past", "future"]}, "The date must be in the past or the future"),
        "earliest": Key(_DATE_OR_TODAY, "Earliest date (YYYY-MM-DD or today)"),
        "latest": Key(_DATE_OR_TODAY, "Latest date (YYYY-MM-DD or today)"),
        "accept": Key(_list_of({"enum": sorted(FILE_EXTENSIONS)}), "File extensions accepted"),
        "max_size": Key({"type": "string", "pattern": r"^[0-9]+(\.[0-9]+)? *([kKmMgG]?[bB])$"}, "10MB"),
        "max_files": Key(_COUNT, "Most files"),
        "prefix": Key(_STRING, "Shown before the input: £"),
        "suffix": Key(_STRING, "Shown after the input: per week"),
        "rows": Key(_COUNT, "Height of a long text box"),
        "body": Key(_TEXT, "Markdown of a paragraph or warning block"),
        "replaces": Key(_ID_SCHEMA, "Old question id whose answers this one takes over"),
    },
    "option": {
        "value": Key(_ID_SCHEMA, "Stable machine value stored with answers", required=True),
        "label": Key(_TEXT, "What the respondent sees", required=True),
        "hint": Key(_TEXT, "Hint under the option"),
        "show_if": Key(_EXPR, "Offer the option only when this holds"),
        "exclusive": Key(_BOOL, "'None of these': unticks the others (checkboxes)"),
        "other": Key(_BOOL, "'Other': reveals a 'please say' text box"),
        "other_label": Key(_TEXT, "Label of the 'please say' box"),
        "follow_up": Key(_ref("question"), "A question revealed when the option is chosen"),
        "image": Key(_ref("image"), "An image shown with the option"),
        "replaces": Key(_ID_SCHEMA, "Old option value whose answers this one takes over"),
    },
    "image": {
        "src": Key(_STRING, "Image path under static/ or URL", required=True),
        "alt": Key(_TEXT, "Alternative text", required=True),
        "easy_read_only": Key(_BOOL, "Show only in easy read"),
    },
    "contact": {
        "name": Key(_TEXT, "Team or person"),
        "email": Key(_EMAIL_SCHEMA, "Email address"),
        "phone": Key(_STRING, "Phone number"),
        "details": Key(_TEXT, "Other ways to get help (markdown)"),
    },
    "review_status": {
        "value": Key(_ID_SCHEMA, "Stable status value", required=True),
        "label": Key(_TEXT, "What reviewers see", required=True),
    },
}

_WHAT = {
    "form": "the form",
    "section": "a section",
    "page": "a page",
    "route": "a route",
    "repeat": "repeat",
    "question": "a question",
    "option": "an option",
    "image": "an image",
    "contact": "contact",
    "review_status": "a review status",
}


# --- errors ------------------------------------------------------------------------------------------


@dataclass(frozen=True, order=True)
class DefinitionError:
    """One mistake in a form file; line and column are 1-based."""

    path: str
    line: int
    column: int
    message: str
    fix: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}:{self.column}: {self.message}. Fix: {self.fix}"


class DefinitionErrors(Exception):
    """Every mistake found in one or more form files."""

    def __init__(self, errors: Sequence[DefinitionError]) -> None:
        self.errors = tuple(errors)
        super().__init__("\n".join(str(error) for error in self.errors))


# --- public API --------------------------------------------------------------------------------------


def load_form(path: str | Path) -> Form:
    """Load one form file, raising DefinitionErrors listing every mistake in it."""
    path = Path(path)
    data = path.read_bytes()
    return _load_bytes(data, str(path), path.stem)


def load_form_text(text: str, path: str = "inline.yaml") -> Form:
    """Load a form from a string (tests and previews); the slug comes from `path`'s stem."""
    # surrogatepass lets a string no file could hold reach the decoder, which reports it.
    return _load_bytes(text.encode("utf-8", "surrogatepass"), path, Path(path).stem)


def load_forms(directory: str | Path) -> tuple[dict[str, Form], list[DefinitionError]]:
    """Load every *.yaml under `directory` (subfolders too); forms with mistakes are left out."""
    forms: dict[str, Form] = {}
    errors: list[DefinitionError] = []
    for path in sorted(Path(directory).rglob("*.yaml")):
        try:
            form = load_form(path)
        except DefinitionErrors as found:
            errors.extend(found.errors)
            continue
        if form.slug in forms:
            errors.append(
                DefinitionError(
                    str(path),
                    1,
                    1,
                    f"another form is also called '{form.slug}' ({forms[form.slug].source_path})",
                    "rename one of the files; the file name is the form's address",
                )
            )
            continue
        forms[form.slug] = form
    return forms, errors


def pipes_personal(form: Form, text: Text) -> bool:
    """Whether `text` pipes in the answer to a personal question, which makes the text personal too.

    With `name` marked personal, Text("Thanks ((name))") pipes personal data; Text("Thanks") does not.
    """
    return any(name in form.question_index and form.question(name).personal for name in text.pipes)


def _load_bytes(data: bytes, path: str, slug: str) -> Form:
    builder = _Builder(path)
    form = builder.build(data, slug)
    if builder.errors or form is None:
        raise DefinitionErrors(sorted(builder.errors))
    return form


# --- YAML with positions -----------------------------------------------------------------------------


class PlainLoader(yaml.SafeLoader):
    """A safe loader that resolves no implicit types, so every scalar is the string the author typed."""

    yaml_implicit_resolvers: dict[Any, Any] = {}  # noqa: RUF012 - PyYAML reads this class attribute

    def compose_node(self, parent: Node | None, index: int) -> Node | None:
        # An alias makes one node appear in many places; walking it would multiply the work
        # (the "billion laughs" file), and the language never needs one.
        if self.check_event(yaml.AliasEvent):
            mark = self.peek_event().start_mark  # type: ignore[no-untyped-call]
            raise _AliasFound(mark.line + 1, mark.column + 1)
        return super().compose_node(parent, index)


class _AliasFound(Exception):
    def __init__(self, line: int, column: int) -> None:
        super().__init__("alias")
        self.line = line
        self.column = column


_PLAIN_TAGS = frozenset({"tag:yaml.org,2002:str", "tag:yaml.org,2002:seq", "tag:yaml.org,2002:map"})


@dataclass
class _Known:
    """What the checker knows about a question or repeating page once it has been built."""

    order: int
    page: str
    kind: ValueKind
    options: frozenset[str] | None


@dataclass
class _Pending:
    """An expression or piped text to check once every id in the form is known.

    `visible` holds the names in scope where it was written (None: every question, for texts shown
    after the form is submitted); `order` is its place in the form, to tell "later" from "unknown".
    """

    what: str
    node: ScalarNode
    visible: frozenset[str] | None
    order: int
    page: str | None
    page_level: bool = False
    expression: Expression | None = None
    offsets: tuple[tuple[str, int], ...] = ()

    @property
    def source(self) -> str:
        return str(self.node.value)


class _Builder:
    """Walks one YAML document, building definition objects and recording every mistake."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.errors: list[DefinitionError] = []
        self.source = ""
        self.languages: tuple[str, ...] = ("en",)
        self.easy_read = False
        self.ids: dict[str, ScalarNode] = {}
        self.known: dict[str, _Known] = {}
        #: Questions whose type is unknown: expressions using them are left unchecked, since the
        #: type's own error already points at the real mistake.
        self.untyped: set[str] = set()
        self.visible: dict[str, _Known] = {}
        self.order = 0
        self.page_id: str | None = None
        self.pipe_scope: frozenset[str] | None = frozenset()
        self.pending_expressions: list[_Pending] = []
        self.pending_pipes: list[_Pending] = []
        self.section_nodes: list[Node] = []
        self.page_order: list[str] = []
        self.routes_to_check: list[tuple[int, Node, str]] = []
        self.exit_pages: list[tuple[str, Node]] = []

    # --- recording mistakes

    def error(self, node: Node, message: str, fix: str) -> None:
        mark = node.start_mark
        self.error_at(mark.line + 1, mark.column + 1, message, fix)

    def error_at(self, line: int, column: int, message: str, fix: str) -> None:
        self.errors.append(DefinitionError(self.path, line, column, message, fix))

    def position_in(self, node: ScalarNode, offset: int) -> tuple[int, int]:
        """1-based line and column of character `offset` of a scalar's value in the file."""
        start, end = node.start_mark, node.end_mark
        if node.style in (None, "'", '"'):
            if start.line == end.line:
                quote = 0 if node.style is None else 1
                return start.line + 1, start.column + 1 + quote + offset
            return start.line + 1, start.column + 1
        # A block scalar's value starts on the line after its | or > indicator, one line per line
        # (folded scalars join lines with a space, which counts the same as the newline).
        remaining = offset
        for number, line in enumerate(self.source[start.index : end.index].split("\n")[1:]):
            content = line.lstrip(" ")
            if remaining <= len(content):
                return start.line + 2 + number, len(line) - len(content) + remaining + 1
            remaining -= len(content) + 1
        return start.line + 1, start.column + 1

    # --- the document

    def build(self, data: bytes, slug: str) -> Form | None:
        version = hashlib.sha256(data).hexdigest()
        if len(data) > MAX_FILE_BYTES:
            self.error_at(1, 1, f"the file is {len(data) // 1024} KB, over the 1 MB limit", "split the form")
            return None
        try:
            self.source = data.decode("utf-8")
        except UnicodeDecodeError as problem:
            line = data[: problem.start].count(b"\n") + 1
            column = problem.start - (data.rfind(b"\n", 0, problem.start) + 1) + 1
            self.error_at(line, column, "the file is not UTF-8 text", "save the file as UTF-8")
            return None
        if not _SLUG.match(slug):
            suggestion = re.sub(r"[^a-z0-9]+", "-", slug.lower()).strip("-") or "my-form"
            self.error_at(
                1,
                1,
                f"the file name '{slug}' is not lower-case words joined by hyphens",
                f"rename the file to {suggestion}.yaml",
            )
        root = self.compose()
        if root is None:
            return None
        if not isinstance(root, MappingNode):
            self.error(
                root, "the file must be a mapping of keys such as title: and pages:", "start with title:"
            )
            return None
        return self.form(root, slug, version)

    def compose(self) -> Node | None:
        try:
            root = yaml.compose(self.source, Loader=PlainLoader)
        except _AliasFound as alias:
            self.error_at(
                alias.line,
                alias.column,
                "YAML aliases (*name) are not supported",
                "write the value out in full",
            )
            return None
        except yaml.MarkedYAMLError as problem:
            mark = problem.problem_mark or problem.context_mark
            line, column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
            what = problem.problem or "the YAML cannot be read"
            fix = "check the indentation and quoting around here"
            if "'\\t'" in what:
                fix = "indent with spaces, not tabs"
            self.error_at(line, column, f"YAML syntax: {what}", fix)
            return None
        except yaml.reader.ReaderError as problem:
            before = self.source[: problem.position]
            line, column = before.count("\n") + 1, len(before) - (before.rfind("\n") + 1) + 1
            self.error_at(
                line, column, f"the file holds a control character (#x{problem.character:02x})", "delete it"
            )
            return None
        except yaml.YAMLError as problem:  # pragma: no cover - every PyYAML error above carries a position
            self.error_at(1, 1, f"YAML syntax: {problem}", "check the file is YAML")
            return None
        if root is None:
            self.error_at(1, 1, "the file is empty", "start with title: and pages:")
            return None
        return root

    # --- generic readers; each returns None after recording a mistake

    def fields(self, node: Node, kind: str) -> _Fields | None:
        if not isinstance(node, MappingNode):
            self.error(
                node,
                f"expected {_WHAT[kind]} (keys such as {_example_keys(kind)}), found {_found(node)}",
                f"write {_WHAT[kind]} as key: value lines",
            )
            return None
        return _Fields(self, node, kind)

    def scalar(self, node: Node, what: str) -> ScalarNode | None:
        if not self.tag_ok(node):
            return None
        if not isinstance(node, ScalarNode):
            self.error(
                node, f"{what} should be a single value, found {_found(node)}", f"write {what} on one line"
            )
            return None
        if node.value == "" and node.style is None:
            self.error(node, f"{what} is empty", f"write a value for {what} or remove the key")
            return None
        return node

    def tag_ok(self, node: Node) -> bool:
        if node.tag not in _PLAIN_TAGS:
            self.error(node, f"YAML tags such as {node.tag} are not supported", "remove the tag")
            return False
        return True

    def sequence(self, node: Node, what: str) -> list[Node]:
        if not self.tag_ok(node):
            return []
        if not isinstance(node, SequenceNode):
            self.error(
                node,
                f"{what} should be a list, found {_found(node)}",
                f"write each item of {what} on a '- ' line",
            )
            return []
        return list(node.value)

    def string(self, node: Node, what: str) -> str | None:
        scalar = self.scalar(node, what)
        return None if scalar is None else scalar.value

    def boolean(self, node: Node, what: str) -> bool | None:
        scalar = self.scalar(node, what)
        if scalar is None:
            return None
        if scalar.value in ("true", "false"):
            return bool(scalar.value == "true")
        hint = (
            " (YAML 1.1 words such as yes and on are not booleans here)"
            if scalar.value in _TRUTHY_WORDS
            else ""
        )
        self.error(scalar, f"{what} must be true or false, not '{scalar.value}'{hint}", "write true or false")
        return None

    def integer(self, node: Node, what: str, minimum: int = 0, maximum: int | None = None) -> int | None:
        scalar = self.scalar(node, what)
        if scalar is None:
            return None
        if not _INTEGER.match(scalar.value):
            self.error(
                scalar,
                f"{what} must be a whole number, not '{scalar.value}'",
                f"write a number such as {max(minimum, 1)}",
            )
            return None
        number = int(scalar.value)
        if number < minimum or (maximum is not None and number > maximum):
            limit = f"between {minimum} and {maximum}" if maximum is not None else f"{minimum} or more"
            self.error(scalar, f"{what} is {number}, but it must be {limit}", f"use a number {limit}")
            return None
        return number

    def decimal(self, node: Node, what: str) -> Decimal | None:
        scalar = self.scalar(node, what)
        if scalar is None:
            return None
        if not _DECIMAL.match(scalar.value):
            self.error(
                scalar,
                f"{what} must be a number, not '{scalar.value}'",
                "write digits with an optional decimal point: 12.50",
            )
            return None
        return Decimal(scalar.value)

    def date(self, node: Node, what: str, today_allowed: bool = False) -> dt.date | Literal["today"] | None:
        scalar = self.scalar(node, what)
        if scalar is None:
            return None
        if today_allowed and scalar.value == "today":
            return "today"
        match = _DATE.match(scalar.value)
        try:
            if match is None:
                raise ValueError
            return dt.date(int(match[1]), int(match[2]), int(match[3]))
        except ValueError:
            also = " or today" if today_allowed else ""
            self.error(
                scalar, f"{what} '{scalar.value}' is not a date", f"write a real date as YYYY-MM-DD{also}"
            )
            return None

    def moment(self, node: Node, what: str, end_of_day: bool) -> dt.datetime | None:
        scalar = self.scalar(node, what)
        if scalar is None:
            return None
        match = _DATETIME.match(scalar.value)
        try:
            if match is None:
                raise ValueError
            day = dt.date(int(match[1]), int(match[2]), int(match[3]))
            if match[4] is None:
                # A closing date alone means the form is open all that day.
                start = dt.datetime.combine(day, dt.time(), tzinfo=LONDON)
                return start + dt.timedelta(days=1) if end_of_day else start
            return dt.datetime.combine(day, dt.time(int(match[4]), int(match[5])), tzinfo=LONDON)
        except ValueError:
            self.error(
                scalar,
                f"{what} '{scalar.value}' is not a date and time",
                "write YYYY-MM-DD HH:MM in UK time, such as 2026-09-01 09:00",
            )
            return None

    def email(self, node: Node, what: str) -> str | None:
        value = self.string(node, what)
        if value is not None and not _EMAIL.match(value):
            self.error(
                node,
                f"{what} '{value}' is not an email address",
                "write an address such as team@example.gov.uk",
            )
            return None
        return value

    def identifier(self, node: Node, what: str) -> str | None:
        value = self.string(node, what)
        if value is None:
            return None
        if _ID.match(value):
            return value
        suggestion = _suggest_id(value)
        if " " in value.strip():
            self.error(node, f"{what} '{value}' contains a space", f"use {suggestion}")
        else:
            self.error(
                node,
                f"{what} '{value}' must be lower-case letters, digits and underscores, starting a-z",
                f"use {suggestion}",
            )
        return None

    def declare(self, node: Node, value: str | None, what: str) -> None:
        """Record an id of a section, page or question, which must be unique across the form."""
        if value is None or not isinstance(node, ScalarNode):
            return
        if value == CHECK_ANSWERS:
            self.error(
                node, f"'{CHECK_ANSWERS}' is reserved for the check-answers page", f"choose another {what}"
            )
            return
        if value in self.ids:
            first = self.ids[value].start_mark
            self.error(
                node,
                f"{what} '{value}' is already used at line {first.line + 1}",
                f"give this one another id, such as {value}_2",
            )
            return
        self.ids[value] = node

    def text(self, node: Node, what: str) -> Text | None:
        if not self.tag_ok(node):
            return None
        if isinstance(node, MappingNode):
            return self.text_variants(node, what)
        scalar = self.scalar(node, what)
        if scalar is None:
            return None
        self.note_pipes(scalar)
        return Text(scalar.value)

    def text_variants(self, node: MappingNode, what: str) -> Text | None:
        default_language = self.languages[0]
        values: dict[str, str] = {}
        for key_node, value_node in node.value:
            key = self.string(key_node, "a text variant key")
            value = self.scalar(value_node, f"the {key} text of {what}")
            if key is None or value is None:
                continue
            language = key.split(":", 1)[1] if key.startswith(f"{EASY}:") else key
            if key == EASY or key.startswith(f"{EASY}:"):
                if not self.easy_read:
                    self.error(
                        key_node,
                        "an easy-read text needs easy_read: true on the form",
                        "add easy_read: true at the top of the form, or remove this variant",
                    )
                    continue
                if key == EASY:
                    values[key] = value.value
                    self.note_pipes(value)
                    continue
            if language not in self.languages:
                offered = ", ".join(self.languages)
                if language in LANGUAGE_CODES:
                    fix = f"add {language} to languages, or remove this variant"
                else:
                    fix = f"use one of the form's languages ({offered}) or easy"
                self.error(
                    key_node,
                    f"text variant '{key}' is for a language the form does not offer ({offered})",
                    fix,
                )
                continue
            values[key] = value.value
            self.note_pipes(value)
        if default_language not in values:
            self.error(
                node,
                f"{what} has no '{default_language}' text, the form's first language",
                f"add {default_language}: with the text in that language",
            )
            return None
        default = values.pop(default_language)
        return Text(default, MappingProxyType(values))

    def note_pipes(self, node: ScalarNode) -> None:
        offsets = tuple((match[1], match.start(1) - 2) for match in PIPE_PATTERN.finditer(node.value))
        if offsets:
            self.pending_pipes.append(
                _Pending("piped text", node, self.pipe_scope, self.order, self.page_id, offsets=offsets)
            )

    def expression(self, node: Node, what: str, page_level: bool = False) -> Expression | None:
        scalar = self.scalar(node, what)
        if scalar is None:
            return None
        try:
            parsed = expressions.parse(scalar.value)
        except ExpressionError as problem:
            line, column = self.position_in(scalar, problem.offset)
            self.error_at(line, column, f"{what}: {problem.message}", problem.fix or _EXPRESSION_FIX)
            return None
        visible = frozenset(self.visible)
        self.pending_expressions.append(
            _Pending(what, scalar, visible, self.order, self.page_id, page_level, parsed)
        )
        return parsed

    # --- the form

    def form(self, root: MappingNode, slug: str, version: str) -> Form | None:
        fields = _Fields(self, root, "form")
        # Languages and easy read come first: every text in the file is checked against them.
        if (node := fields.get("languages")) is not None:
            self.languages = self.language_list(node) or self.languages
        if (node := fields.get("easy_read")) is not None:
            self.easy_read = bool(self.boolean(node, "easy_read"))
        texts = {
            key: fields.text(key) for key in ("title", "summary", "start", "audience", "privacy", "help_now")
        }
        opens = fields.read("opens", lambda n: self.moment(n, "opens", end_of_day=False))
        closes = fields.read("closes", lambda n: self.moment(n, "closes", end_of_day=True))
        if opens and closes and closes <= opens:
            self.error(
                fields.at("closes"),
                f"the form closes ({fields.value('closes')}) before it opens ({fields.value('opens')})",
                "make closes later than opens",
            )
        contact = fields.read("contact", self.contact)
        sections = self.sections(fields, root)
        # "What happens next" is shown after submitting, so it may pipe any answer.
        self.pipe_scope = None
        next_steps = fields.text("next_steps")
        task_list = fields.boolean("task_list") or False
        if task_list:
            self.check_task_list(fields, sections)
        self.resolve_pending()
        return Form(
            slug=slug,
            version=version,
            title=texts["title"] or Text(""),
            sections=sections,
            summary=texts["summary"],
            start=texts["start"],
            audience=texts["audience"],
            privacy=texts["privacy"],
            contact=contact,
            next_steps=next_steps,
            help_now=texts["help_now"],
            opens=opens,
            closes=closes,
            retention_days=fields.read("retention", self.retention) or 365,
            languages=self.languages,
            easy_read=self.easy_read,
            sensitive=fields.boolean("sensitive") or False,
            reference_prefix=fields.read("reference_prefix", self.reference_prefix) or "REF",
            review_statuses=fields.read("review_statuses", self.review_statuses) or DEFAULT_REVIEW_STATUSES,
            task_list=task_list,
            alert_emails=fields.read("alerts", self.alerts) or (),
            receipt=_default(fields.boolean("receipt"), True),
            source_path=self.path,
        )

    def check_task_list(self, fields: _Fields, sections: tuple[Section, ...]) -> None:
        if fields.has("pages"):
            self.error(
                fields.at("task_list"),
                "a task list needs titled sections, but the form has top-level pages:",
                "put the pages in sections: with a title each, or set task_list: false",
            )
            return
        for section, node in zip(sections, self.section_nodes, strict=True):
            if section.title is None:
                self.error(
                    node,
                    f"section '{section.id}' has no title, but the form shows a task list",
                    "add a title to every section, or set task_list: false",
                )

    def language_list(self, node: Node) -> tuple[str, ...] | None:
        codes: list[str] = []
        for item in self.sequence(node, "languages"):
            code = self.string(item, "a language code")
            if code is None:
                continue
            if code not in LANGUAGE_CODES:
                close = difflib.get_close_matches(code.lower(), LANGUAGE_CODES, n=1)
                fix = (
                    f"did you mean {close[0]}?"
                    if close
                    else "use a two-letter ISO 639-1 code such as en or cy"
                )
                self.error(item, f"'{code}' is not a language code", fix)
            elif code in codes:
                self.error(item, f"language '{code}' is listed twice", "remove the repeat")
            else:
                codes.append(code)
        return tuple(codes) or None

    def retention(self, node: Node) -> int | None:
        value = self.string(node, "retention")
        if value is None:
            return None
        match = _RETENTION.match(value)
        if match is None or int(match[1]) == 0:
            self.error(
                node,
                f"retention '{value}' is not a period of time",
                "write a number and days, weeks, months or years, such as 2 years",
            )
            return None
        return int(match[1]) * _RETENTION_DAYS[match[2]]

    def reference_prefix(self, node: Node) -> str | None:
        value = self.string(node, "reference_prefix")
        if value is not None and not _PREFIX.match(value):
            letters = re.sub(r"[^A-Z]", "", value.upper())[:5]
            fix = f"use {letters}" if len(letters) >= 2 else "use 2 to 5 capital letters, such as CPB"
            self.error(node, f"reference_prefix '{value}' must be 2 to 5 capital letters", fix)
            return None
        return value

    def review_statuses(self, node: Node) -> tuple[Option, ...] | None:
        statuses: list[Option] = []
        for item in self.sequence(node, "review_statuses"):
            fields = self.fields(item, "review_status")
            if fields is None:
                continue
            value = fields.read("value", lambda n: self.identifier(n, "review status"))
            label = fields.text("label")
            if value is not None and value in {status.value for status in statuses}:
                self.error(
                    fields.at("value"), f"review status '{value}' is listed twice", "remove the repeat"
                )
            elif value is not None and label is not None:
                statuses.append(Option(value, label))
        return tuple(statuses) or None

    def alerts(self, node: Node) -> tuple[str, ...]:
        return tuple(
            email
            for item in self.sequence(node, "alerts")
            if (email := self.email(item, "alert address")) is not None
        )

    def contact(self, node: Node) -> Contact | None:
        fields = self.fields(node, "contact")
        if fields is None:
            return None
        if not (fields.has("email") or fields.has("phone") or fields.has("details")):
            self.error(node, "contact gives no way to reach anyone", "add an email, phone or details")
        return Contact(
            name=fields.text("name"),
            email=fields.read("email", lambda n: self.email(n, "contact email")),
            phone=fields.string("phone"),
            details=fields.text("details"),
        )

    # --- sections and pages

    def sections(self, fields: _Fields, root: MappingNode) -> tuple[Section, ...]:
        sections: list[Section] = []
        if fields.has("sections") and fields.has("pages"):
            self.error(
                fields.at("pages"),
                "the form has both sections: and pages:",
                "put the pages inside sections, or remove sections:",
            )
            return ()
        if (node := fields.get("sections")) is not None:
            items = self.sequence(node, "sections")
            if isinstance(node, SequenceNode) and not items:
                self.error(node, "the form has no sections", "add at least one section with pages")
            for item in items:
                section = self.section(item)
                if section is not None:
                    sections.append(section)
                    self.section_nodes.append(item)
        elif (node := fields.get("pages")) is not None:
            sections.append(Section(id="main", title=None, pages=self.pages(node)))
            self.section_nodes.append(node)
        else:
            self.error(root, "the form has no pages", "add pages: with at least one page")
        self.check_routes()
        return tuple(sections)

    def section(self, node: Node) -> Section | None:
        fields = self.fields(node, "section")
        if fields is None:
            return None
        section_id = fields.read("id", lambda n: self.identifier(n, "section id"))
        self.declare(fields.at("id"), section_id, "section id")
        self.pipe_scope = frozenset()
        title = fields.text("title")
        show_if = fields.read("show_if", lambda n: self.expression(n, "show_if", page_level=True))
        pages = self.pages(fields.get("pages"))
        if section_id is None:
            return None
        return Section(id=section_id, title=title, pages=pages, show_if=show_if)

    def pages(self, node: Node | None) -> tuple[Page, ...]:
        if node is None:
            return ()
        items = self.sequence(node, "pages")
        if isinstance(node, SequenceNode) and not items:
            self.error(node, "there are no pages here", "add at least one page under pages:")
        return tuple(page for item in items if (page := self.page(item)) is not None)

    def page(self, node: Node) -> Page | None:
        fields = self.fields(node, "page")
        if fields is None:
            return None
        page_id = fields.read("id", lambda n: self.identifier(n, "page id"))
        if page_id in RESERVED_PAGE_IDS:
            self.error(
                fields.at("id"),
                f"page id '{page_id}' is taken by the address /forms/<slug>/{page_id}",
                f"choose another page id, such as {page_id}_page",
            )
        self.declare(fields.at("id"), page_id, "page id")
        self.page_id = page_id or f"_page_{len(self.page_order)}"
        self.order += 1
        page_index = len(self.page_order)
        self.page_order.append(self.page_id)
        if fields.boolean("exit"):
            self.exit_pages.append((self.page_id, node))
        self.pipe_scope = frozenset(
            name for name, known in self.visible.items() if known.kind is not ValueKind.GROUP
        )
        title = fields.text("title")
        show_if = fields.read("show_if", lambda n: self.expression(n, "show_if", page_level=True))
        exit_page = fields.value("exit") == "true"
        body = fields.text("body")
        repeat = fields.read("repeat", self.repeat)
        questions = self.questions(fields.get("questions"))
        if repeat is not None or fields.has("repeat"):
            # Item answers live inside the group: later pages see only the page id, for count().
            for question in questions:
                for asked in _with_follow_ups(question):
                    self.visible.pop(asked.id, None)
            self.add_known(self.page_id, ValueKind.GROUP, None)
        routes = self.routes(fields.get("next"), page_index)
        self.check_page(fields, node, questions, exit_page)
        self.pipe_scope = frozenset()
        self.page_id = None
        if page_id is None:
            return None
        return Page(page_id, questions, title, show_if, routes, repeat, exit_page, body)

    def check_page(
        self, fields: _Fields, node: Node, questions: tuple[Question, ...], exit_page: bool
    ) -> None:
        if exit_page:
            if fields.has("questions"):
                self.error(
                    fields.at("questions"),
                    "an exit page cannot have questions",
                    "move the questions to another page, or remove exit: true",
                )
            if fields.has("next"):
                self.error(
                    fields.at("next"),
                    "an exit page ends the journey, so it cannot route anywhere",
                    "remove next:, or remove exit: true",
                )
            if not fields.has("title"):
                self.error(
                    node,
                    f"exit page '{self.page_id}' has no title",
                    "add a title saying why the journey ends here",
                )
            return
        if fields.has("body"):
            self.error(
                fields.at("body"),
                "only an exit page has a body",
                "add exit: true, or use a paragraph block for text on a page of questions",
            )
        items = fields.get("questions")
        if items is None or (isinstance(items, SequenceNode) and not items.value):
            self.error(
                node if items is None else items,
                f"page '{self.page_id}' has no questions",
                "add questions:, or make it an exit page with exit: true",
            )
        answerable = [
            q for q in questions if q.type in QUESTION_TYPES and not QUESTION_TYPES[q.type].content_only
        ]
        if len(answerable) > 1 and not fields.has("title"):
            self.error(
                node,
                f"page '{self.page_id}' has {len(answerable)} questions but no title",
                "add a title: to head the page",
            )

    def repeat(self, node: Node) -> Repeat | None:
        fields = self.fields(node, "repeat")
        if fields is None:
            return None
        item_name = fields.text("item_name")
        low = fields.read("min", lambda n: self.integer(n, "repeat min", 0, MAX_REPEAT_ITEMS))
        high = fields.read("max", lambda n: self.integer(n, "repeat max", 1, MAX_REPEAT_ITEMS))
        if low is not None and high is not None and low > high:
            self.error(
                fields.at("min"), f"repeat min ({low}) is more than max ({high})", "make min no more than max"
            )
            return None
        if item_name is None:
            return None
        return Repeat(item_name, 0 if low is None else low, 20 if high is None else high)

    def routes(self, node: Node | None, page_index: int) -> tuple[Route, ...]:
        if node is None:
            return ()
        routes: list[Route] = []
        always: Node | None = None
        for item in self.sequence(node, "next"):
            fields = self.fields(item, "route")
            if fields is None:
                continue
            if always is not None:
                self.error(
                    item,
                    "this route can never be taken: the route at line "
                    f"{always.start_mark.line + 1} has no if:, so it is always taken first",
                    "remove this route, or add if: to the earlier one",
                )
            when = fields.read("if", lambda n: self.expression(n, "if"))
            goto = fields.read("goto", lambda n: self.string(n, "goto"))
            if not fields.has("if"):
                always = item
            if goto is not None:
                self.routes_to_check.append((page_index, fields.at("goto"), goto))
                routes.append(Route(goto, when))
        return tuple(routes)

    def check_routes(self) -> None:
        index = {page_id: number for number, page_id in enumerate(self.page_order)}
        targets = {goto for _, _, goto in self.routes_to_check}
        for page_id, node in self.exit_pages:
            # The journey walks past an exit page unless a route names it (see engine/journey.py).
            if page_id not in targets:
                self.error(
                    node,
                    f"no route goes to exit page '{page_id}', so no one will see it",
                    f"add next: with if: and goto: {page_id} to an earlier page, or remove the page",
                )
        for page_index, goto_node, goto in self.routes_to_check:
            if goto == CHECK_ANSWERS:
                continue
            if goto not in index:
                close = difflib.get_close_matches(goto, [*index, CHECK_ANSWERS], n=1)
                fix = f"did you mean {close[0]}?" if close else f"use a later page id or {CHECK_ANSWERS}"
                self.error(goto_node, f"goto '{goto}' is not a page of this form", fix)
            elif index[goto] <= page_index:
                here = self.page_order[page_index]
                self.error(
                    goto_node,
                    f"goto '{goto}' goes back from page '{here}', so the journey could loop",
                    f"route only forward: move page '{goto}' after '{here}', or use show_if instead",
                )

    # --- questions

    def questions(self, node: Node | None) -> tuple[Question, ...]:
        if node is None:
            return ()
        items = self.sequence(node, "questions")
        return tuple(
            q for number, item in enumerate(items, 1) if (q := self.question(item, number, None)) is not None
        )

    def question(self, node: Node, number: int, parent: str | None) -> Question | None:
        """One question; `parent` is the type of the question whose option this follows up, if any."""
        fields = self.fields(node, "question")
        if fields is None:
            return None
        type_name = fields.read("type", lambda n: self.string(n, "type"))
        kind = QUESTION_TYPES.get(type_name) if type_name is not None else None
        if type_name is not None and kind is None:
            close = difflib.get_close_matches(type_name, QUESTION_TYPES, n=1)
            fix = f"did you mean {close[0]}?" if close else f"use one of: {', '.join(sorted(QUESTION_TYPES))}"
            self.error(fields.at("type"), f"there is no question type '{type_name}'", fix)
        content = kind is not None and kind.content_only
        if fields.has("id") or not content:
            question_id = fields.read("id", lambda n: self.identifier(n, "question id"))
            if not fields.has("id"):
                self.error(
                    node,
                    "the question has no id",
                    f"add id: with a snake_case name, such as {_id_hint(fields)}",
                )
            self.declare(fields.at("id"), question_id, "question id")
        else:
            # Content blocks are never referred to, so authors need not name them; the leading
            # underscore keeps the made-up id apart from every id an author can write.
            question_id = f"_{self.page_id}_{number}"
        if kind is not None:
            self.check_type(fields, node, type_name or "", kind)
        show_if = fields.read("show_if", lambda n: self.expression(n, "show_if"))
        label = fields.text("label")
        if not content and kind is not None and not fields.has("label"):
            self.error(node, f"the {type_name} question has no label", "add label: with the question to ask")
        options = self.options(fields, "options", type_name, kind)
        statements = self.options(fields, "statements", type_name, kind)
        question = Question(
            id=question_id or "_",
            type=type_name or "",
            label=label or Text(""),
            hint=fields.text("hint"),
            optional=fields.boolean("optional") or False,
            personal=fields.boolean("personal") or False,
            show_if=show_if,
            options=tuple(option for option, _ in options),
            statements=tuple(option for option, _ in statements),
            errors=fields.read("errors", self.error_texts) or MappingProxyType({}),
            replaces=fields.read("replaces", lambda n: self.identifier(n, "replaces")),
            **self.settings(fields),
        )
        if question_id is not None and kind is None:
            self.untyped.add(question_id)
        if question_id is not None and kind is not None and not content:
            values = frozenset(option.value for option, _ in options) if options else None
            self.add_known(question_id, kind.value_kind, values)
        # Follow-ups come after their question, so they may refer back to it.
        follow_ups = self.follow_ups(options, parent)
        if question_id is None or kind is None:
            return None
        if follow_ups:
            question = replace(
                question,
                options=tuple(
                    replace(option, follow_up=follow_ups.get(option.value)) for option in question.options
                ),
            )
        return question

    def check_type(self, fields: _Fields, node: Node, type_name: str, kind: Any) -> None:
        """Settings the type does not take, and the ones it cannot do without."""
        taken = _keys_taken_by(kind)
        settings = ", ".join(sorted(taken - _COMMON_QUESTION_KEYS))
        for key in fields.names():
            if key not in taken:
                fix = f"remove it; a {type_name} question takes {settings}"
                if taken <= _COMMON_QUESTION_KEYS:
                    fix = f"remove it; a {type_name} question takes no settings"
                self.error(fields.at(key), f"'{key}' is not a setting of a {type_name} question", fix)
        if kind.needs_options and not fields.has("options"):
            self.error(
                node, f"a {type_name} question needs options", "add options: with a value and label for each"
            )
        if kind.needs_statements and not fields.has("statements"):
            self.error(
                node,
                f"a {type_name} question needs statements (its rows)",
                "add statements: with a value and label for each row",
            )
        needed = {"heading": "label", "paragraph": "body", "warning": "body", "image": "image"}.get(type_name)
        if kind.content_only and needed is not None and not fields.has(needed):
            self.error(node, f"a {type_name} block has no {needed}", f"add {needed}: with what to show")

    def options(
        self, fields: _Fields, key: str, type_name: str | None, kind: Any
    ) -> list[tuple[Option, _Fields]]:
        node = fields.get(key)
        if node is None:
            return []
        built: list[tuple[Option, _Fields]] = []
        first_line: dict[str, int] = {}
        items = self.sequence(node, key)
        if isinstance(node, SequenceNode) and not items:
            self.error(node, f"{key} is an empty list", f"add {key} with a value and label for each")
        what = "option value" if key == "options" else "statement value"
        for item in items:
            option_fields = self.fields(item, "option")
            if option_fields is None:
                continue
            value = option_fields.read("value", lambda n: self.identifier(n, what))
            if value is not None and value in first_line:
                self.error(
                    option_fields.at("value"),
                    f"{what} '{value}' is already used at line {first_line[value]}",
                    "give each option its own value",
                )
                value = None
            elif value is not None:
                first_line[value] = option_fields.at("value").start_mark.line + 1
            option = Option(
                value=value or "_",
                label=option_fields.text("label") or Text(""),
                hint=option_fields.text("hint"),
                show_if=option_fields.read("show_if", lambda n: self.expression(n, "show_if")),
                exclusive=option_fields.boolean("exclusive") or False,
                other=option_fields.boolean("other") or False,
                other_label=option_fields.text("other_label"),
                image=option_fields.read("image", self.image),
                replaces=option_fields.read("replaces", lambda n: self.identifier(n, "replaces")),
            )
            self.check_option(option, option_fields, type_name, kind, [o for o, _ in built])
            if value is not None:
                built.append((option, option_fields))
        return built

    def check_option(
        self, option: Option, fields: _Fields, type_name: str | None, kind: Any, earlier: list[Option]
    ) -> None:
        if kind is None:
            return
        if option.exclusive and type_name != "checkboxes":
            self.error(
                fields.at("exclusive"),
                f"exclusive only applies to checkboxes, not {type_name}",
                "remove exclusive: true; a respondent already picks only one option here",
            )
        if option.other and not kind.reveals:
            self.error(
                fields.at("other"),
                f"an 'other' option needs radios or checkboxes, not {type_name}",
                "change the type to radios or checkboxes, or ask for the other answer on its own",
            )
        elif option.other and any(o.other for o in earlier):
            self.error(
                fields.at("other"),
                "the question already has an 'other' option",
                "keep other: true on one option only",
            )
        if option.other_label is not None and not option.other:
            self.error(
                fields.at("other_label"),
                "other_label only applies to an option with other: true",
                "add other: true, or remove other_label",
            )
        if fields.has("follow_up") and not kind.reveals:
            self.error(
                fields.at("follow_up"),
                f"a follow_up question needs radios or checkboxes, not {type_name}",
                "change the type to radios or checkboxes, or ask the follow-up on its own page",
            )

    def follow_ups(self, options: list[tuple[Option, _Fields]], parent: str | None) -> dict[str, Question]:
        found: dict[str, Question] = {}
        for option, option_fields in options:
            node = option_fields.get("follow_up")
            if node is None:
                continue
            if parent is not None:
                self.error(
                    option_fields.at("follow_up"),
                    "a follow_up question cannot have follow-ups of its own",
                    "ask the second follow-up on a later page, using show_if",
                )
                continue
            follow_up = self.question(node, 0, parent=option.value)
            if follow_up is not None:
                found[option.value] = follow_up
        return found

    def settings(self, fields: _Fields) -> dict[str, Any]:
        """The type-specific settings given, converted; the type's own check has vetted the keys."""
        found: dict[str, Any] = {}
        for key, node in fields.items():
            if key in ("min_length", "max_words", "min_selected"):
                found[key] = self.integer(node, key, minimum=0)
            elif key in ("max_length", "max_selected", "max_files"):
                found[key] = self.integer(node, key, minimum=1)
            elif key == "rows":
                found[key] = self.integer(node, key, 1, 50)
            elif key in ("min", "max"):
                found[key] = self.decimal(node, key)
            elif key in ("earliest", "latest"):
                found[key] = self.date(node, key, today_allowed=True)
            elif key in ("prefix", "suffix"):
                found[key] = self.string(node, key)
            elif key in _SETTING_READERS:
                found[_ATTRIBUTE_OF_KEY.get(key, key)] = _SETTING_READERS[key](self, node)
        self.check_bounds(fields, found)
        return {key: value for key, value in found.items() if value is not None}

    def check_bounds(self, fields: _Fields, found: Mapping[str, Any]) -> None:
        for low, high in (
            ("min_length", "max_length"),
            ("min", "max"),
            ("min_selected", "max_selected"),
            ("earliest", "latest"),
        ):
            smallest, largest = found.get(low), found.get(high)
            if smallest is None or largest is None or isinstance(smallest, str) or isinstance(largest, str):
                continue
            if smallest > largest:
                self.error(
                    fields.at(low),
                    f"{low} ({fields.value(low)}) is more than {high} ({fields.value(high)})",
                    f"make {low} no more than {high}",
                )

    def autocomplete(self, node: Node) -> str | None:
        value = self.string(node, "autocomplete")
        if value is None or _autocomplete_ok(value):
            return value
        last = value.split()[-1] if value.split() else value
        close = difflib.get_close_matches(last, AUTOCOMPLETE_FIELDS | AUTOCOMPLETE_CONTACT_FIELDS, n=1)
        fix = (
            f"did you mean {close[0]}?"
            if close
            else "use a token from the HTML standard, such as name, email or tel"
        )
        self.error(node, f"autocomplete '{value}' is not an HTML autocomplete token", fix)
        return None

    def pattern(self, node: Node) -> str | None:
        value = self.string(node, "pattern")
        if value is None:
            return None
        try:
            re2.compile(value)
        except re2.error as problem:
            reason = problem.args[0] if problem.args else ""
            reason = reason.decode(errors="replace") if isinstance(reason, bytes) else str(reason)
            self.error(
                node,
                f"pattern '{value}' cannot be used: {reason}",
                "write an re2 pattern (no lookarounds or backreferences)",
            )
            return None
        return value

    def date_rule(self, node: Node) -> Literal["past", "future"] | None:
        value = self.string(node, "must_be")
        if value == "past":
            return "past"
        if value == "future":
            return "future"
        if value is not None:
            self.error(
                node,
                f"must_be '{value}' is neither past nor future",
                "write must_be: past or must_be: future",
            )
        return None

    def accept(self, node: Node) -> tuple[str, ...] | None:
        found: list[str] = []
        for item in self.sequence(node, "accept"):
            value = self.string(item, "a file extension")
            if value is None:
                continue
            extension = value.lower().lstrip(".")
            if extension in FILE_EXTENSIONS:
                found.append(f".{extension}")
                continue
            close = difflib.get_close_matches(extension, FILE_EXTENSIONS, n=1)
            fix = (
                f"did you mean {close[0]}?" if close else f"use some of: {', '.join(sorted(FILE_EXTENSIONS))}"
            )
            self.error(item, f"'{value}' is not a file type coform accepts", fix)
        return tuple(found) or None

    def size(self, node: Node) -> int | None:
        value = self.string(node, "max_size")
        if value is None:
            return None
        match = _SIZE.match(value)
        if match is None:
            self.error(node, f"max_size '{value}' is not a size", "write a number and KB or MB, such as 10MB")
            return None
        size = int(Decimal(match[1]) * _SIZE_UNITS[match[2].lower()])
        if not 0 < size <= MAX_UPLOAD_BYTES:
            self.error(node, f"max_size '{value}' is not between 1 byte and 25MB", "use 25MB or less")
            return None
        return size

    def image(self, node: Node) -> Image | None:
        fields = self.fields(node, "image")
        if fields is None:
            return None
        src = fields.string("src")
        alt = fields.text("alt")
        easy_read_only = fields.boolean("easy_read_only") or False
        if easy_read_only and not self.easy_read:
            self.error(
                fields.at("easy_read_only"),
                "an easy-read image needs easy_read: true on the form",
                "add easy_read: true at the top of the form, or remove easy_read_only",
            )
        if src is None or alt is None:
            return None
        return Image(src, alt, easy_read_only)

    def error_texts(self, node: Node) -> Mapping[str, Text] | None:
        if not isinstance(node, MappingNode):
            self.error(
                node,
                f"errors should be a mapping of code: text, found {_found(node)}",
                "write one code: text line for each error, such as required: Enter your name",
            )
            return None
        texts: dict[str, Text] = {}
        for key_node, value_node in node.value:
            code = self.string(key_node, "an error code")
            text = self.text(value_node, f"the {code} error")
            if code is not None and code not in ERROR_CODES:
                close = difflib.get_close_matches(code, ERROR_CODES, n=1)
                fix = (
                    f"did you mean {close[0]}?" if close else f"use one of: {', '.join(sorted(ERROR_CODES))}"
                )
                self.error(key_node, f"there is no error code '{code}'", fix)
            elif code is not None and text is not None:
                texts[code] = text
        return MappingProxyType(texts)

    # --- names in expressions and piped texts

    def add_known(self, name: str, kind: ValueKind, options: frozenset[str] | None) -> None:
        known = _Known(self.order, self.page_id or "", kind, options)
        self.order += 1
        self.known[name] = known
        self.visible[name] = known

    def resolve_pending(self) -> None:
        """Check the names in every expression and piped text, now that every id is known."""
        everything = frozenset(
            name for name, known in self.known.items() if known.kind is not ValueKind.GROUP
        )
        for pending in self.pending_expressions:
            self.resolve_expression(pending)
        for pending in self.pending_pipes:
            visible = everything if pending.visible is None else pending.visible
            for name, offset in pending.offsets:
                if name not in visible:
                    line, column = self.position_in(pending.node, offset)
                    self.error_at(line, column, *self.reference_problem(name, pending, visible))

    def resolve_expression(self, pending: _Pending) -> None:
        if pending.expression is None or pending.visible is None:
            return
        visible = pending.visible
        if pending.expression.references & self.untyped:
            return
        for name in sorted(pending.expression.references):
            if name in self.known and name not in visible:
                line, column = self.position_in(pending.node, _offset_of_name(pending.source, name))
                self.error_at(line, column, *self.reference_problem(name, pending, visible))
        scope = _Scope(
            {name: known.kind for name, known in self.known.items()},
            {name: known.options for name, known in self.known.items() if known.options is not None},
            visible,
        )
        for problem in expressions.check(pending.expression, scope):
            line, column = self.position_in(pending.node, problem.offset)
            self.error_at(line, column, f"{pending.what}: {problem.message}", problem.fix or _EXPRESSION_FIX)

    def reference_problem(self, name: str, pending: _Pending, visible: Iterable[str]) -> tuple[str, str]:
        """What is wrong with a name that is not in scope here, and how to fix it."""
        shown = f"(({name}))" if pending.what == "piped text" else f"{pending.what}: '{name}'"
        known = self.known.get(name)
        if known is None:
            close = difflib.get_close_matches(name, list(visible), n=1)
            fix = (
                f"did you mean (({close[0]}))?"
                if close
                else "pipe the id of a question asked on an earlier page"
            )
            return f"{shown} is not a question of this form", fix
        if pending.page is not None and known.page == pending.page and known.order >= pending.order:
            if pending.what == "piped text":
                return (
                    f"{shown} is asked on this same page, so there is no answer to show yet",
                    "pipe an answer from an earlier page",
                )
            if pending.page_level:
                return (
                    f"{shown} is asked on this same page, so the page's show_if cannot depend on it",
                    "move the question to an earlier page, or put the show_if on the questions instead",
                )
        if known.order >= pending.order:
            return (
                f"{shown} is asked later (on page '{known.page}'), so it has no answer yet here",
                "refer only to questions asked before this point, or move that question earlier",
            )
        if known.kind is ValueKind.GROUP:
            return (
                f"{shown} is a repeating page, which cannot be piped",
                f"pipe a question asked outside '{name}'",
            )
        return (
            f"{shown} is answered once per item of the repeating page '{known.page}', so not here",
            f"use count({known.page}), or ask the question on a page that does not repeat",
        )


@dataclass(frozen=True)
class _Scope:
    """The expression checker's view: every name's kind, but only the names in scope are suggested."""

    kinds: Mapping[str, ValueKind]
    options: Mapping[str, frozenset[str]]
    visible: frozenset[str]

    def kind_of(self, name: str) -> ValueKind | None:
        return self.kinds.get(name)

    def option_values(self, name: str) -> frozenset[str] | None:
        return self.options.get(name)

    def names(self) -> Iterable[str]:
        return sorted(self.visible)


_SETTING_READERS: Mapping[str, Callable[[_Builder, Node], Any]] = {
    "autocomplete": _Builder.autocomplete,
    "image": _Builder.image,
    "pattern": _Builder.pattern,
    "must_be": _Builder.date_rule,
    "accept": _Builder.accept,
    "max_size": _Builder.size,
    "body": lambda builder, node: builder.text(node, "body"),
}


class _Fields:
    """The keys of one YAML mapping, checked against `KEYS[kind]` for unknown, repeated and missing keys."""

    def __init__(self, builder: _Builder, node: MappingNode, kind: str) -> None:
        self.builder = builder
        self.node = node
        self.nodes: dict[str, Node] = {}
        allowed = KEYS[kind]
        first_line: dict[str, int] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, ScalarNode) or key_node.tag not in _PLAIN_TAGS:
                builder.error(key_node, "a key must be a plain word", "write keys such as label: or id:")
                continue
            key = key_node.value
            if key in first_line:
                builder.error(
                    key_node,
                    f"'{key}' is given twice (first at line {first_line[key]})",
                    "remove one of them",
                )
                continue
            first_line[key] = key_node.start_mark.line + 1
            if key not in allowed:
                close = difflib.get_close_matches(key, allowed, n=1)
                fix = (
                    f"did you mean {close[0]}?"
                    if close
                    else f"remove it; {_WHAT[kind]} takes {', '.join(allowed)}"
                )
                builder.error(key_node, f"unknown key '{key}' in {_WHAT[kind]}", fix)
                continue
            self.nodes[key] = value_node
        for key, spec in allowed.items():
            if spec.required and key not in first_line:
                builder.error(
                    node,
                    f"{_WHAT[kind]} has no '{key}'",
                    f"add {key}: ({spec.description[0].lower()}{spec.description[1:]})",
                )

    def names(self) -> list[str]:
        return list(self.nodes)

    def items(self) -> list[tuple[str, Node]]:
        return list(self.nodes.items())

    def has(self, key: str) -> bool:
        return key in self.nodes

    def get(self, key: str) -> Node | None:
        return self.nodes.get(key)

    def at(self, key: str) -> Node:
        """The value node of `key`, to point an error at (the whole mapping if the key is absent)."""
        return self.nodes.get(key, self.node)

    def value(self, key: str) -> str:
        node = self.nodes.get(key)
        return node.value if isinstance(node, ScalarNode) else ""

    def read(self, key: str, convert: Callable[[Node], Any]) -> Any:
        node = self.nodes.get(key)
        return None if node is None else convert(node)

    def text(self, key: str) -> Text | None:
        node = self.nodes.get(key)
        return None if node is None else self.builder.text(node, key)

    def string(self, key: str) -> str | None:
        node = self.nodes.get(key)
        return None if node is None else self.builder.string(node, key)

    def boolean(self, key: str) -> bool | None:
        node = self.nodes.get(key)
        return None if node is None else self.builder.boolean(node, key)


# --- small pure helpers ------------------------------------------------------------------------------

DEFAULT_REVIEW_STATUSES = (
    Option("new", Text("New")),
    Option("in_review", Text("In review")),
    Option("done", Text("Done")),
)
_EXPRESSION_FIX = "see 'Expressions' in docs/design.md"


def _default(value: bool | None, default: bool) -> bool:
    return default if value is None else value


def _found(node: Node) -> str:
    if isinstance(node, MappingNode):
        return "a mapping"
    if isinstance(node, SequenceNode):
        return "a list"
    return f"'{node.value}'"


def _example_keys(kind: str) -> str:
    return ", ".join(list(KEYS[kind])[:2])


def _suggest_id(value: str) -> str:
    """'Not sure?' -> 'not_sure'; 'fullName' -> 'full_name'; '1st' -> 'n1st'."""
    split = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", value.strip())
    words = re.sub(r"[^a-z0-9]+", "_", split.lower()).strip("_") or "item"
    return f"n{words}" if words[0].isdigit() else words


def _id_hint(fields: _Fields) -> str:
    label = fields.value("label")
    return _suggest_id(" ".join(label.split()[:4])) if label else "your_name"


def _offset_of_name(source: str, name: str) -> int:
    """Where `name` first appears as a word outside quotes: "x = 'y' and y" -> 12 for y."""
    quote: str | None = None
    for index, char in enumerate(source):
        if quote:
            quote = None if char == quote else quote
        elif char in "'\"":
            quote = char
        elif (
            source.startswith(name, index)
            and (index == 0 or not _is_word(source[index - 1]))
            and (index + len(name) == len(source) or not _is_word(source[index + len(name)]))
        ):
            return index
    return 0


def _is_word(char: str) -> bool:
    return char.isalnum() or char == "_"


def _autocomplete_ok(value: str) -> bool:
    tokens = value.lower().split()
    if tokens in (["on"], ["off"]):
        return True
    if tokens and tokens[-1] == "webauthn":
        tokens.pop()
    if tokens and tokens[0].startswith("section-"):
        tokens.pop(0)
    if tokens and tokens[0] in ("shipping", "billing"):
        tokens.pop(0)
    if len(tokens) == 2 and tokens[0] in _AUTOCOMPLETE_CONTACT_KINDS:
        return tokens[1] in AUTOCOMPLETE_CONTACT_FIELDS
    return len(tokens) == 1 and tokens[0] in AUTOCOMPLETE_FIELDS | AUTOCOMPLETE_CONTACT_FIELDS


def _with_follow_ups(question: Question) -> list[Question]:
    return [question, *(option.follow_up for option in question.options if option.follow_up is not None)]


# --- the JSON Schema ---------------------------------------------------------------------------------


def language_schema() -> dict[str, Any]:
    """A JSON Schema (draft 2020-12) of the form language, built from `KEYS` and QUESTION_TYPES."""
    defs: dict[str, Any] = {
        "id": {"type": "string", "pattern": "^[a-z][a-z0-9_]*$"},
        "expression": {"type": "string", "description": "See 'Expressions' in docs/design.md"},
        "text": {
            "oneOf": [
                {"type": "string"},
                {
                    "type": "object",
                    "additionalProperties": {"type": "string"},
                    "propertyNames": {"pattern": "^(easy|easy:[a-z]{2}|[a-z]{2})$"},
                },
            ]
        },
        "question_type": {"enum": sorted(QUESTION_TYPES)},
    }
    for kind, keys in KEYS.items():
        if kind == "form":
            continue
        defs[kind] = _object_schema(keys)
    defs["question"]["allOf"] = [
        {
            "if": {"properties": {"type": {"const": name}}, "required": ["type"]},
            "then": {"propertyNames": {"enum": sorted(_keys_taken_by(QUESTION_TYPES[name]))}},
        }
        for name in sorted(QUESTION_TYPES)
    ]
    schema: dict[str, Any] = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://coform.example/schema.json",
        "title": "coform form definition",
        **_object_schema(KEYS["form"]),
        "$defs": defs,
    }
    return schema


def _object_schema(keys: Mapping[str, Key]) -> dict[str, Any]:
    schema: dict[str, Any] = {
        "type": "object",
        "properties": {name: {**key.schema, "description": key.description} for name, key in keys.items()},
        "additionalProperties": False,
    }
    required = [name for name, key in keys.items() if key.required]
    if required:
        schema["required"] = required
    return schema


def _keys_taken_by(kind: Any) -> set[str]:
    settings: frozenset[str] = kind.settings
    return {
        key
        for key in KEYS["question"]
        if key in _COMMON_QUESTION_KEYS or key in settings or _ATTRIBUTE_OF_KEY.get(key) in settings
    }
