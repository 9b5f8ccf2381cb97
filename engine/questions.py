"""One small class per question type, and QUESTION_TYPES, the read-only registry of them.

A type turns the raw form data of its fields into a clean answer (`parse`), applies its own
rules to that answer (`check`), stores it as JSON and shows it as plain text. `engine.validation`
runs these hooks in one fixed order; a type never decides the order or the wording of errors:
it raises `Invalid` with a code, and `engine.messages` holds the words.

Input is forgiven as GOV.UK services forgive it: stray spaces and hyphens in numbers, phone
numbers, postcodes and sort codes; "£1,200.5" as money; "march" or "Mar" as a month.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from types import MappingProxyType
from typing import Any, ClassVar, Generic, TypeVar

import email_validator
import re2

from engine.definition import Option, Question
from engine.expressions import ValueKind
from engine.messages import MONTH_NAMES, format_date, format_money, furniture

#: Raw form data: each field name maps to the values posted under it (as Starlette's FormData gives).
RawData = Mapping[str, Sequence[str]]

#: A clean answer, as docs/design.md lists per type.
AnswerValue = str | int | Decimal | bool | dt.date | tuple[str, ...] | Mapping[str, str]

#: How an answer is stored: plain JSON, never a float (money and decimals are strings).
JsonValue = str | int | bool | list[str] | dict[str, str]

V = TypeVar("V")

#: Longest raw value accepted from one short field, before any type rule runs.
SHORT_RAW_LIMIT = 1_000
#: Longest raw value accepted from a long text field.
LONG_RAW_LIMIT = 20_000


class Invalid(Exception):
    """An answer breaks a rule: `code` keys the wording in engine.messages; `part` names the
    composite part in error ("day", "postcode", a statement value), so the error links to it."""

    def __init__(self, code: str, part: str | None = None, **params: object) -> None:
        super().__init__(code)
        self.code = code
        self.part = part
        self.params = params


class QuestionType(Generic[V]):
    """The hooks a question type provides; validation.py runs them in one fixed order."""

    name: ClassVar[str]
    value_kind: ClassVar[ValueKind]
    content_only: ClassVar[bool] = False
    #: Names of the optional `Question` attributes (and YAML keys) this type accepts.
    settings: ClassVar[frozenset[str]] = frozenset()
    #: Whether the type needs `options` (radios, checkboxes, dropdown, scale, grid, ranking).
    needs_options: ClassVar[bool] = False
    #: Whether the type needs `statements` (grid rows).
    needs_statements: ClassVar[bool] = False
    #: Whether options may reveal a follow-up question or an "other" text box (radios, checkboxes).
    reveals: ClassVar[bool] = False
    #: The autocomplete token used when the author gives none (WCAG 1.3.5).
    default_autocomplete: ClassVar[str | None] = None
    #: Longest raw value accepted per field before parsing (the author's max_length may raise it).
    raw_limit: ClassVar[int] = SHORT_RAW_LIMIT

    def field_names(self, question: Question) -> tuple[str, ...]:
        """The HTML names this question posts; the first is the one an error links to by default."""
        return (question.id,)

    def autocomplete(self, question: Question) -> Mapping[str, str]:
        """HTML field name -> autocomplete token, for the fields that have one."""
        token = question.autocomplete or self.default_autocomplete
        return MappingProxyType({question.id: token} if token else {})

    def is_empty(self, question: Question, raw: RawData) -> bool:
        """Whether nothing was entered in any of the question's fields."""
        # The first value only, as parse reads: a field posted twice must not look filled in here
        # and empty to parse.
        return all(not first_value(raw, name).strip() for name in self.field_names(question))

    def parse(self, question: Question, raw: RawData) -> V:
        """The clean answer from non-empty raw input; raises Invalid when it cannot be read."""
        raise TypeError(f"{self.name} takes no answer")

    def check(self, question: Question, value: V, today: dt.date) -> None:
        """The type's own rules on a parsed answer (length, range, dates, selections)."""

    def to_json(self, value: V) -> JsonValue:
        raise TypeError(f"{self.name} takes no answer")

    def from_json(self, data: object) -> V:
        raise TypeError(f"{self.name} takes no answer")

    def display(self, question: Question, value: V, language: str) -> str:
        """The answer as plain text for check-your-answers and exports."""
        raise TypeError(f"{self.name} takes no answer")


# --- helpers -----------------------------------------------------------------------------------


def first_value(raw: RawData, name: str) -> str:
    """The first value posted under `name`, or "" (a field posted twice keeps its first value)."""
    values = raw.get(name, ())
    return values[0] if values else ""


def clean_text(text: str) -> str:
    """Trim, normalise to NFC and use "\\n" for line breaks (browsers post "\\r\\n", which would
    count as two characters against a limit the respondent sees as one)."""
    return unicodedata.normalize("NFC", text.replace("\r\n", "\n").replace("\r", "\n")).strip()


def _squeeze(text: str, strip: str = " -") -> str:
    """Remove every character of `strip` and other whitespace: " 30-94 30 " -> "309430"."""
    return "".join(char for char in text if char not in strip and not char.isspace())


def _expect_str(data: object) -> str:
    if not isinstance(data, str):
        raise ValueError(f"expected a string, got {type(data).__name__}")
    return data


def _expect_str_list(data: object) -> tuple[str, ...]:
    if not isinstance(data, list) or not all(isinstance(item, str) for item in data):
        raise ValueError("expected a list of strings")
    return tuple(data)


def _expect_str_dict(data: object) -> Mapping[str, str]:
    if not isinstance(data, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in data.items()
    ):
        raise ValueError("expected an object of strings")
    return MappingProxyType(dict(data))


def _label(option: Option | None, value: str, language: str) -> str:
    return option.label.get(language) if option is not None else value


@lru_cache(maxsize=256)
def compiled_pattern(pattern: str) -> Any:
    """An author's pattern compiled once with re2, whose matching time is linear in the input."""
    return re2.compile(pattern)


# --- free text -----------------------------------------------------------------------------------


class _Text(QuestionType[str]):
    value_kind = ValueKind.TEXT

    def parse(self, question: Question, raw: RawData) -> str:
        return clean_text(first_value(raw, question.id))

    def check(self, question: Question, value: str, today: dt.date) -> None:
        if question.max_length is not None and len(value) > question.max_length:
            raise Invalid("too_long", max_length=question.max_length)
        if question.min_length is not None and len(value) < question.min_length:
            raise Invalid("too_short", min_length=question.min_length)
        if question.max_words is not None and len(value.split()) > question.max_words:
            raise Invalid("too_many_words", max_words=question.max_words)

    def to_json(self, value: str) -> JsonValue:
        return value

    def from_json(self, data: object) -> str:
        return _expect_str(data)

    def display(self, question: Question, value: str, language: str) -> str:
        return value


class ShortText(_Text):
    name = "text"
    settings = frozenset({"min_length", "max_length", "pattern", "autocomplete", "prefix", "suffix", "image"})


class LongText(_Text):
    name = "long_text"
    settings = frozenset({"min_length", "max_length", "max_words", "rows", "image"})
    raw_limit = LONG_RAW_LIMIT


class Name(_Text):
    name = "name"
    settings = frozenset({"max_length", "autocomplete", "image"})
    default_autocomplete = "name"


class Email(_Text):
    name = "email"
    settings = frozenset({"max_length", "pattern", "autocomplete", "image"})
    default_autocomplete = "email"

    def parse(self, question: Question, raw: RawData) -> str:
        text = clean_text(first_value(raw, question.id))
        try:
            checked = email_validator.validate_email(text, check_deliverability=False)
        except email_validator.EmailNotValidError as error:
            raise Invalid("email_invalid") from error
        return str(checked.normalized)


class Phone(_Text):
    """A UK phone number, or an international one written with "+": "+44 (0)7700 900-982" -> "07700900982"."""

    name = "phone"
    settings = frozenset({"autocomplete", "image"})
    default_autocomplete = "tel"

    def parse(self, question: Question, raw: RawData) -> str:
        number = _squeeze(first_value(raw, question.id), " -().")
        number = number.replace("+440", "+44")
        if number.startswith("0044"):
            number = "+44" + number[4:]
        if number.startswith("+44"):
            number = "0" + number[3:]
        if number.startswith("+"):
            if not (number[1:].isdecimal() and number[1:].isascii() and 8 <= len(number) - 1 <= 15):
                raise Invalid("phone_invalid")
            return number
        if not (
            number.isdecimal() and number.isascii() and number.startswith("0") and 10 <= len(number) <= 11
        ):
            raise Invalid("phone_invalid")
        return number


_POSTCODE = re2.compile(r"(GIR0AA|[A-Z]{1,2}[0-9][0-9A-Z]?[0-9][A-Z]{2})")


def normalise_postcode(text: str) -> str:
    """A UK postcode in its usual form, " ox11aa " -> "OX1 1AA"; raises Invalid otherwise."""
    compact = _squeeze(text).upper()
    if not compact.isascii() or _POSTCODE.fullmatch(compact) is None:
        raise Invalid("postcode_invalid")
    return f"{compact[:-3]} {compact[-3:]}"


class Postcode(_Text):
    name = "postcode"
    settings = frozenset({"pattern", "autocomplete", "image"})
    default_autocomplete = "postal-code"

    def parse(self, question: Question, raw: RawData) -> str:
        return normalise_postcode(first_value(raw, question.id))


# --- numbers -----------------------------------------------------------------------------------------


def _read_decimal(text: str, code: str = "not_a_number") -> Decimal:
    """A plain decimal from text people type: " 1,200.5 " -> Decimal("1200.5"); no exponents, NaN or
    infinity, which Decimal() would otherwise accept."""
    compact = _squeeze(text, " ,")
    digits = compact.removeprefix("-").replace(".", "", 1)
    if not (digits.isdecimal() and digits.isascii()) or len(digits) > 30:
        raise Invalid(code)
    try:
        return Decimal(compact)
    except InvalidOperation as error:
        raise Invalid(code) from error


class _Numeric(QuestionType[V]):
    value_kind = ValueKind.NUMBER

    def check_range(self, question: Question, value: Decimal, shown: Mapping[str, str]) -> None:
        too_small = question.min is not None and value < question.min
        too_large = question.max is not None and value > question.max
        if (too_small or too_large) and question.min is not None and question.max is not None:
            raise Invalid("out_of_range", **shown)
        if too_small:
            raise Invalid("too_small", **shown)
        if too_large:
            raise Invalid("too_large", **shown)


def _bounds(question: Question, show: Callable[[Decimal], str]) -> dict[str, str]:
    return {
        name: show(bound)
        for name, bound in (("min", question.min), ("max", question.max))
        if bound is not None
    }


class WholeNumber(_Numeric[int]):
    name = "number"
    settings = frozenset({"min", "max", "prefix", "suffix", "image"})

    def parse(self, question: Question, raw: RawData) -> int:
        number = _read_decimal(first_value(raw, question.id))
        if number != number.to_integral_value():
            raise Invalid("not_whole_number")
        return int(number)

    def check(self, question: Question, value: int, today: dt.date) -> None:
        self.check_range(question, Decimal(value), _bounds(question, lambda bound: f"{bound:,}"))

    def to_json(self, value: int) -> JsonValue:
        return value

    def from_json(self, data: object) -> int:
        if isinstance(data, bool) or not isinstance(data, int):
            raise ValueError("expected a whole number")
        return data

    def display(self, question: Question, value: int, language: str) -> str:
        return f"{value:,}"


class DecimalNumber(_Numeric[Decimal]):
    name = "decimal"
    settings = frozenset({"min", "max", "prefix", "suffix", "image"})

    def parse(self, question: Question, raw: RawData) -> Decimal:
        return _read_decimal(first_value(raw, question.id))

    def check(self, question: Question, value: Decimal, today: dt.date) -> None:
        self.check_range(question, value, _bounds(question, lambda bound: f"{bound:,}"))

    def to_json(self, value: Decimal) -> JsonValue:
        return str(value)

    def from_json(self, data: object) -> Decimal:
        return _read_decimal(_expect_str(data))

    def display(self, question: Question, value: Decimal, language: str) -> str:
        return f"{value:,}"


_PENNY = Decimal("0.01")


class Money(_Numeric[Decimal]):
    """Pounds and pence: "£1,200.5" -> Decimal("1200.50"). Never negative unless `min` allows it."""

    name = "money"
    settings = frozenset({"min", "max", "image"})

    def parse(self, question: Question, raw: RawData) -> Decimal:
        text = first_value(raw, question.id).strip()
        amount = _read_decimal(text.replace("£", "", 1))
        pounds_and_pence = amount.quantize(_PENNY)
        if pounds_and_pence != amount:
            raise Invalid("too_many_decimal_places")
        return pounds_and_pence

    def check(self, question: Question, value: Decimal, today: dt.date) -> None:
        if question.min is None and value < 0:
            raise Invalid("too_small", min=format_money(Decimal(0)))
        self.check_range(question, value, _bounds(question, format_money))

    def to_json(self, value: Decimal) -> JsonValue:
        return str(value)

    def from_json(self, data: object) -> Decimal:
        return _read_decimal(_expect_str(data)).quantize(_PENNY)

    def display(self, question: Question, value: Decimal, language: str) -> str:
        return format_money(value)


# --- dates ---------------------------------------------------------------------------------------------

_DATE_PARTS = ("day", "month", "year")

#: Month names people type, in any offered language, lower case: "march", "mar", "sept", "mawrth".
_MONTHS: Mapping[str, int] = MappingProxyType(
    {
        **{name.lower(): number for names in MONTH_NAMES.values() for number, name in enumerate(names, 1)},
        **{name[:3].lower(): number for number, name in enumerate(MONTH_NAMES["en"], 1)},
        "sept": 9,
    }
)


def _read_date_part(text: str, part: str) -> int:
    compact = _squeeze(text, " .")
    if part == "month" and compact.lower() in _MONTHS:
        return _MONTHS[compact.lower()]
    if not (compact.isdecimal() and compact.isascii()):
        raise Invalid("invalid_date", part=part)
    if part == "year" and len(compact) != 4:
        raise Invalid("year_four_digits", part="year")
    if part != "year" and len(compact) > 2:
        raise Invalid("invalid_date", part=part)
    return int(compact)


def _date_bound(bound: dt.date | str | None, today: dt.date) -> dt.date | None:
    if bound == "today":
        return today
    return bound if isinstance(bound, dt.date) else None


class Date(QuestionType[dt.date]):
    """Day, month and year in three fields: "27", "Mar", "2007" -> date(2007, 3, 27)."""

    name = "date"
    value_kind = ValueKind.DATE
    settings = frozenset({"date_rule", "earliest", "latest", "autocomplete", "image"})

    def field_names(self, question: Question) -> tuple[str, ...]:
        return tuple(f"{question.id}-{part}" for part in _DATE_PARTS)

    def autocomplete(self, question: Question) -> Mapping[str, str]:
        # A date of birth is the author's `autocomplete: bday`; each field takes its own part.
        if question.autocomplete is None:
            return MappingProxyType({})
        return MappingProxyType(
            {f"{question.id}-{part}": f"{question.autocomplete}-{part}" for part in _DATE_PARTS}
        )

    def parse(self, question: Question, raw: RawData) -> dt.date:
        texts = {part: first_value(raw, f"{question.id}-{part}").strip() for part in _DATE_PARTS}
        missing = [part for part in _DATE_PARTS if not texts[part]]
        if missing:
            raise Invalid("missing_" + "_".join(missing), part=missing[0])
        numbers = {part: _read_date_part(texts[part], part) for part in _DATE_PARTS}
        if not 1 <= numbers["month"] <= 12:
            raise Invalid("invalid_date", part="month")
        try:
            return dt.date(numbers["year"], numbers["month"], numbers["day"])
        except ValueError as error:
            raise Invalid("invalid_date", part="day" if numbers["year"] else "year") from error

    def check(self, question: Question, value: dt.date, today: dt.date) -> None:
        if question.date_rule == "past" and value >= today:
            raise Invalid("not_in_past")
        if question.date_rule == "future" and value <= today:
            raise Invalid("not_in_future")
        earliest = _date_bound(question.earliest, today)
        if earliest is not None and value < earliest:
            raise Invalid("too_early", earliest=earliest)
        latest = _date_bound(question.latest, today)
        if latest is not None and value > latest:
            raise Invalid("too_late", latest=latest)

    def to_json(self, value: dt.date) -> JsonValue:
        return value.isoformat()

    def from_json(self, data: object) -> dt.date:
        return dt.date.fromisoformat(_expect_str(data))

    def display(self, question: Question, value: dt.date, language: str) -> str:
        return format_date(value, language)


# --- structured answers --------------------------------------------------------------------------------

_ADDRESS_PARTS = ("line1", "line2", "town", "postcode")
_ADDRESS_AUTOCOMPLETE: Mapping[str, str] = MappingProxyType(
    {"line1": "address-line1", "line2": "address-line2", "town": "address-level2", "postcode": "postal-code"}
)


class Address(QuestionType[Mapping[str, str]]):
    """A UK address in four fields; line 2 may be left empty (stored as "")."""

    name = "address"
    value_kind = ValueKind.STRUCTURED
    settings = frozenset({"image"})

    def field_names(self, question: Question) -> tuple[str, ...]:
        return tuple(f"{question.id}-{part}" for part in _ADDRESS_PARTS)

    def autocomplete(self, question: Question) -> Mapping[str, str]:
        return MappingProxyType(
            {f"{question.id}-{part}": token for part, token in _ADDRESS_AUTOCOMPLETE.items()}
        )

    def parse(self, question: Question, raw: RawData) -> Mapping[str, str]:
        lines = {part: clean_text(first_value(raw, f"{question.id}-{part}")) for part in _ADDRESS_PARTS}
        for part in ("line1", "town", "postcode"):
            if not lines[part]:
                raise Invalid(f"{part}_required", part=part)
        try:
            lines["postcode"] = normalise_postcode(lines["postcode"])
        except Invalid as error:
            raise Invalid(error.code, part="postcode") from error
        return MappingProxyType(lines)

    def to_json(self, value: Mapping[str, str]) -> JsonValue:
        return dict(value)

    def from_json(self, data: object) -> Mapping[str, str]:
        return _expect_str_dict(data)

    def display(self, question: Question, value: Mapping[str, str], language: str) -> str:
        return "\n".join(value[part] for part in _ADDRESS_PARTS if value.get(part))


_BANK_PARTS = ("account_name", "sort_code", "account_number")


class BankAccount(QuestionType[Mapping[str, str]]):
    """A UK bank account: sort code "30-94-30" -> "309430"; account number padded to 8 digits."""

    name = "bank_account"
    value_kind = ValueKind.STRUCTURED

    def field_names(self, question: Question) -> tuple[str, ...]:
        return tuple(f"{question.id}-{part}" for part in _BANK_PARTS)

    def parse(self, question: Question, raw: RawData) -> Mapping[str, str]:
        account_name = clean_text(first_value(raw, f"{question.id}-account_name"))
        sort_code = _squeeze(first_value(raw, f"{question.id}-sort_code"))
        account_number = _squeeze(first_value(raw, f"{question.id}-account_number"))
        parts = {"account_name": account_name, "sort_code": sort_code, "account_number": account_number}
        for part, text in parts.items():
            if not text:
                raise Invalid(f"{part}_required", part=part)
        if not (sort_code.isdecimal() and sort_code.isascii() and len(sort_code) == 6):
            raise Invalid("sort_code_invalid", part="sort_code")
        if not (account_number.isdecimal() and account_number.isascii() and 6 <= len(account_number) <= 8):
            raise Invalid("account_number_invalid", part="account_number")
        return MappingProxyType(
            {"account_name": account_name, "sort_code": sort_code, "account_number": account_number.zfill(8)}
        )

    def to_json(self, value: Mapping[str, str]) -> JsonValue:
        return dict(value)

    def from_json(self, data: object) -> Mapping[str, str]:
        return _expect_str_dict(data)

    def display(self, question: Question, value: Mapping[str, str], language: str) -> str:
        code = value["sort_code"]
        return "\n".join(
            (
                value["account_name"],
                f"{furniture('sort_code', language)}: {code[:2]}-{code[2:4]}-{code[4:]}",
                f"{furniture('account_number', language)}: {value['account_number']}",
            )
        )


# --- choices ---------------------------------------------------------------------------------------------


class YesNo(QuestionType[bool]):
    """Two radios posting "yes" or "no"."""

    name = "yes_no"
    value_kind = ValueKind.BOOLEAN
    settings = frozenset({"image"})

    def parse(self, question: Question, raw: RawData) -> bool:
        choice = first_value(raw, question.id).strip()
        if choice not in ("yes", "no"):
            raise Invalid("invalid_option")
        return choice == "yes"

    def to_json(self, value: bool) -> JsonValue:
        return value

    def from_json(self, data: object) -> bool:
        if not isinstance(data, bool):
            raise ValueError("expected true or false")
        return data

    def display(self, question: Question, value: bool, language: str) -> str:
        return furniture("yes" if value else "no", language)


def _option_value(question: Question, text: str) -> str:
    if question.option(text) is None:
        raise Invalid("invalid_option")
    return text


class _SingleChoice(QuestionType[str]):
    value_kind = ValueKind.CHOICE
    needs_options = True

    def parse(self, question: Question, raw: RawData) -> str:
        return _option_value(question, first_value(raw, question.id).strip())

    def to_json(self, value: str) -> JsonValue:
        return value

    def from_json(self, data: object) -> str:
        return _expect_str(data)

    def display(self, question: Question, value: str, language: str) -> str:
        return _label(question.option(value), value, language)


class Radios(_SingleChoice):
    name = "radios"
    settings = frozenset({"options", "image"})
    reveals = True

    def field_names(self, question: Question) -> tuple[str, ...]:
        others = tuple(f"{question.id}__other" for option in question.options if option.other)
        return (question.id, *others[:1])

    def is_empty(self, question: Question, raw: RawData) -> bool:
        return not first_value(raw, question.id).strip()


class Dropdown(_SingleChoice):
    name = "dropdown"
    settings = frozenset({"options", "image"})


class Scale(_SingleChoice):
    """A rating scale or likert item: labelled points, always shown as radios, never a slider."""

    name = "scale"
    settings = frozenset({"options", "image"})


class Checkboxes(QuestionType[tuple[str, ...]]):
    """Several options; the answer keeps the options' order, whatever order they were posted in."""

    name = "checkboxes"
    value_kind = ValueKind.CHOICES
    settings = frozenset({"options", "min_selected", "max_selected", "image"})
    needs_options = True
    reveals = True

    def field_names(self, question: Question) -> tuple[str, ...]:
        others = tuple(f"{question.id}__other" for option in question.options if option.other)
        return (question.id, *others[:1])

    def is_empty(self, question: Question, raw: RawData) -> bool:
        return not any(value.strip() for value in raw.get(question.id, ()))

    def parse(self, question: Question, raw: RawData) -> tuple[str, ...]:
        chosen = {value.strip() for value in raw.get(question.id, ()) if value.strip()}
        for value in chosen:
            _option_value(question, value)
        return tuple(option.value for option in question.options if option.value in chosen)

    def check(self, question: Question, value: tuple[str, ...], today: dt.date) -> None:
        for option in question.options:
            if option.exclusive and option.value in value and len(value) > 1:
                raise Invalid("exclusive", option=option.label)
        if question.min_selected is not None and len(value) < question.min_selected:
            raise Invalid("too_few_selected", count=question.min_selected)
        if question.max_selected is not None and len(value) > question.max_selected:
            raise Invalid("too_many_selected", count=question.max_selected)

    def to_json(self, value: tuple[str, ...]) -> JsonValue:
        return list(value)

    def from_json(self, data: object) -> tuple[str, ...]:
        return _expect_str_list(data)

    def display(self, question: Question, value: tuple[str, ...], language: str) -> str:
        return "\n".join(_label(question.option(choice), choice, language) for choice in value)


class Grid(QuestionType[Mapping[str, str]]):
    """Several statements rated on one scale: one group of radios per statement, named <qid>-<statement>.

    A required grid needs every statement answered; an optional one keeps the statements answered.
    """

    name = "grid"
    value_kind = ValueKind.GRID
    settings = frozenset({"options", "statements", "image"})
    needs_options = True
    needs_statements = True

    def field_names(self, question: Question) -> tuple[str, ...]:
        return tuple(f"{question.id}-{statement.value}" for statement in question.statements)

    def parse(self, question: Question, raw: RawData) -> Mapping[str, str]:
        rated: dict[str, str] = {}
        for statement in question.statements:
            choice = first_value(raw, f"{question.id}-{statement.value}").strip()
            if choice:
                rated[statement.value] = _option_value(question, choice)
            elif not question.optional:
                raise Invalid("grid_incomplete", part=statement.value, statement=statement.label)
        return MappingProxyType(rated)

    def to_json(self, value: Mapping[str, str]) -> JsonValue:
        return dict(value)

    def from_json(self, data: object) -> Mapping[str, str]:
        return _expect_str_dict(data)

    def display(self, question: Question, value: Mapping[str, str], language: str) -> str:
        return "\n".join(
            f"{statement.label.get(language)}: {_label(question.option(choice), choice, language)}"
            for statement in question.statements
            if (choice := value.get(statement.value)) is not None
        )


class Ranking(QuestionType[tuple[str, ...]]):
    """Options put in order without dragging (WCAG 2.5.7): a position select per option, named
    <qid>-<option>. Every option must be ranked unless `min_selected` allows fewer."""

    name = "ranking"
    value_kind = ValueKind.CHOICES
    settings = frozenset({"options", "min_selected", "max_selected", "image"})
    needs_options = True

    def field_names(self, question: Question) -> tuple[str, ...]:
        return tuple(f"{question.id}-{option.value}" for option in question.options)

    def parse(self, question: Question, raw: RawData) -> tuple[str, ...]:
        positions: dict[str, int] = {}
        taken: set[int] = set()
        for option in question.options:
            text = first_value(raw, f"{question.id}-{option.value}").strip()
            if not text:
                continue
            if not (text.isdecimal() and text.isascii() and 1 <= int(text) <= len(question.options)):
                raise Invalid("invalid_option", part=option.value)
            if int(text) in taken:
                raise Invalid("rank_duplicate", part=option.value, option=option.label)
            taken.add(int(text))
            positions[option.value] = int(text)
        return tuple(sorted(positions, key=positions.__getitem__))

    def check(self, question: Question, value: tuple[str, ...], today: dt.date) -> None:
        if question.min_selected is None and question.max_selected is None:
            unranked = [option for option in question.options if option.value not in value]
            if unranked:
                raise Invalid("rank_missing", part=unranked[0].value, option=unranked[0].label)
        if question.min_selected is not None and len(value) < question.min_selected:
            raise Invalid("too_few_ranked", count=question.min_selected)
        if question.max_selected is not None and len(value) > question.max_selected:
            raise Invalid("too_many_ranked", count=question.max_selected)

    def to_json(self, value: tuple[str, ...]) -> JsonValue:
        return list(value)

    def from_json(self, data: object) -> tuple[str, ...]:
        return _expect_str_list(data)

    def display(self, question: Question, value: tuple[str, ...], language: str) -> str:
        return "\n".join(
            f"{position}. {_label(question.option(choice), choice, language)}"
            for position, choice in enumerate(value, 1)
        )


class Consent(QuestionType[bool]):
    """One checkbox posting "yes" to acknowledge something; the only answer is True."""

    name = "consent"
    value_kind = ValueKind.BOOLEAN
    settings = frozenset({"image"})

    def parse(self, question: Question, raw: RawData) -> bool:
        if first_value(raw, question.id).strip() != "yes":
            raise Invalid("invalid_option")
        return True

    def to_json(self, value: bool) -> JsonValue:
        return value

    def from_json(self, data: object) -> bool:
        if data is not True:
            raise ValueError("expected true")
        return True

    def display(self, question: Question, value: bool, language: str) -> str:
        return furniture("yes", language)


# --- files ----------------------------------------------------------------------------------------------

#: `accept` extension -> the content type `sniff_content_type` reports for such a file.
#: Some files cannot be told apart by content: plain text and CSV are both "text/plain", and the
#: Office 97 formats (doc, xls, ppt) share one container, "application/x-ole-storage".
ACCEPT_CONTENT_TYPES: Mapping[str, str] = MappingProxyType(
    {
        "pdf": "application/pdf",
        "rtf": "application/rtf",
        "txt": "text/plain",
        "csv": "text/plain",
        "doc": "application/x-ole-storage",
        "xls": "application/x-ole-storage",
        "ppt": "application/x-ole-storage",
        "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        "odt": "application/vnd.oasis.opendocument.text",
        "ods": "application/vnd.oasis.opendocument.spreadsheet",
        "odp": "application/vnd.oasis.opendocument.presentation",
        "jpg": "image/jpeg",
        "jpeg": "image/jpeg",
        "png": "image/png",
        "gif": "image/gif",
        "webp": "image/webp",
        "heic": "image/heic",
        "heif": "image/heic",
        "tif": "image/tiff",
        "tiff": "image/tiff",
        "bmp": "image/bmp",
        "mp3": "audio/mpeg",
        "m4a": "audio/mp4",
        "wav": "audio/wav",
        "mp4": "video/mp4",
        "mov": "video/quicktime",
    }
)

#: Leading bytes -> content type, for formats recognised by their first bytes alone.
_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"%PDF-", "application/pdf"),
    (b"{\\rtf", "application/rtf"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "application/x-ole-storage"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
    (b"II*\x00", "image/tiff"),
    (b"MM\x00*", "image/tiff"),
    (b"BM", "image/bmp"),
    (b"ID3", "audio/mpeg"),
    (b"\xff\xfb", "audio/mpeg"),
    (b"\xff\xf3", "audio/mpeg"),
    (b"\xff\xf2", "audio/mpeg"),
)

#: ISO media "ftyp" brand -> content type (HEIC photos from phones, MP4 and QuickTime video, M4A).
_FTYP_BRANDS: Mapping[bytes, str] = MappingProxyType(
    {
        **dict.fromkeys(
            (b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"mif1", b"msf1"), "image/heic"
        ),
        **dict.fromkeys(
            (b"isom", b"iso2", b"mp41", b"mp42", b"avc1", b"dash", b"3gp4", b"3gp5"), "video/mp4"
        ),
        b"qt  ": "video/quicktime",
        b"M4A ": "audio/mp4",
    }
)

#: A name inside an Office Open XML zip -> the document type it marks.
_OOXML_PARTS: tuple[tuple[bytes, str], ...] = (
    (b"word/", ACCEPT_CONTENT_TYPES["docx"]),
    (b"xl/", ACCEPT_CONTENT_TYPES["xlsx"]),
    (b"ppt/", ACCEPT_CONTENT_TYPES["pptx"]),
)


def sniff_content_type(head: bytes) -> str | None:
    """The content type of a file from its first bytes (pass at least 8 KB), or None if unknown.

    b"%PDF-1.7..." -> "application/pdf". Office documents are zip files: the names of their first
    entries ("word/", "xl/") tell them apart, or the "mimetype" entry an OpenDocument file opens with.
    """
    for magic, content_type in _MAGIC:
        if head.startswith(magic):
            return content_type
    if head[:4] == b"RIFF" and head[8:12] in (b"WEBP", b"WAVE"):
        return "image/webp" if head[8:12] == b"WEBP" else "audio/wav"
    if head[4:8] == b"ftyp":
        return _FTYP_BRANDS.get(head[8:12])
    if head.startswith(b"PK\x03\x04"):
        return _sniff_zip(head)
    return "text/plain" if _is_text(head) else None


def _sniff_zip(head: bytes) -> str | None:
    if head[30:38] == b"mimetype":
        declared = head[38:120].split(b"PK", 1)[0].decode("ascii", "replace")
        return declared if declared in ACCEPT_CONTENT_TYPES.values() else None
    for part, content_type in _OOXML_PARTS:
        if part in head:
            return content_type
    return None


def _is_text(head: bytes) -> bool:
    if not head or b"\x00" in head:
        return False
    # The head may end in the middle of a multi-byte character; up to 3 trailing bytes are forgiven.
    for cut in range(4):
        try:
            text = head[: len(head) - cut].decode("utf-8")
        except UnicodeDecodeError:
            continue
        return all(char.isprintable() or char in "\t\n\r\f" for char in text)
    return False


def accepted_content_types(question: Question) -> frozenset[str]:
    """The content types an upload to `question` may have, from its `accept` extensions."""
    # The loader keeps extensions as authors read them (".pdf"); the table is keyed without the dot.
    extensions = (ext.lower().lstrip(".") for ext in question.accept)
    return frozenset(ACCEPT_CONTENT_TYPES[ext] for ext in extensions if ext in ACCEPT_CONTENT_TYPES)


_FILE_ID_CHARACTERS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-")


class File(QuestionType[tuple[str, ...]]):
    """Uploaded files. The web layer stores each upload (checking size and content type) and posts
    the stored file ids under the question id; this type checks the ids and their count."""

    name = "file"
    value_kind = ValueKind.FILES
    settings = frozenset({"accept", "max_size", "max_files", "image"})

    def is_empty(self, question: Question, raw: RawData) -> bool:
        return not any(value.strip() for value in raw.get(question.id, ()))

    def parse(self, question: Question, raw: RawData) -> tuple[str, ...]:
        ids = tuple(dict.fromkeys(value.strip() for value in raw.get(question.id, ()) if value.strip()))
        for file_id in ids:
            if len(file_id) > 64 or not set(file_id) <= _FILE_ID_CHARACTERS:
                raise Invalid("file_invalid")
        return ids

    def check(self, question: Question, value: tuple[str, ...], today: dt.date) -> None:
        limit = question.max_files if question.max_files is not None else 1
        if len(value) > limit:
            raise Invalid("too_many_files", count=limit)

    def to_json(self, value: tuple[str, ...]) -> JsonValue:
        return list(value)

    def from_json(self, data: object) -> tuple[str, ...]:
        return _expect_str_list(data)

    def display(self, question: Question, value: tuple[str, ...], language: str) -> str:
        return furniture("files_uploaded", language, count=len(value))


# --- content blocks -----------------------------------------------------------------------------------


class _Content(QuestionType[None]):
    value_kind = ValueKind.NONE
    content_only = True

    def field_names(self, question: Question) -> tuple[str, ...]:
        return ()


class Heading(_Content):
    """A heading between questions; its text is the label."""

    name = "heading"


class Paragraph(_Content):
    name = "paragraph"
    settings = frozenset({"body"})


class WarningBlock(_Content):
    name = "warning"
    settings = frozenset({"body"})


class ImageBlock(_Content):
    name = "image"
    settings = frozenset({"image"})


QUESTION_TYPES: Mapping[str, QuestionType[Any]] = MappingProxyType(
    {
        "text": ShortText(),
        "long_text": LongText(),
        "email": Email(),
        "phone": Phone(),
        "postcode": Postcode(),
        "address": Address(),
        "name": Name(),
        "number": WholeNumber(),
        "decimal": DecimalNumber(),
        "money": Money(),
        "date": Date(),
        "bank_account": BankAccount(),
        "yes_no": YesNo(),
        "radios": Radios(),
        "checkboxes": Checkboxes(),
        "dropdown": Dropdown(),
        "scale": Scale(),
        "grid": Grid(),
        "ranking": Ranking(),
        "consent": Consent(),
        "file": File(),
        "heading": Heading(),
        "paragraph": Paragraph(),
        "warning": WarningBlock(),
        "image": ImageBlock(),
    }
)
