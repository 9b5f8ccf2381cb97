"""Every piece of user-facing wording the engine produces: error messages by code, and page furniture.

Error wording follows the GOV.UK Design System: it says what to do ("Enter a real date"), never
blames, and is the same in the error summary and beside the field. A form author can override
the wording of any code for one question with `errors:`; that override wins over this table.

Welsh ("cy") covers the furniture and the common errors; anything missing falls back to English,
so a missing translation shows English rather than breaking the page.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from decimal import Decimal
from types import MappingProxyType

from engine.definition import Text

DEFAULT_LANGUAGE = "en"

#: Month names per language, January first; questions.py also accepts them as date input.
MONTH_NAMES: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {
        "en": (
            "January", "February", "March", "April", "May", "June",
            "July", "August", "September", "October", "November", "December",
        ),
        "cy": (
            "Ionawr", "Chwefror", "Mawrth", "Ebrill", "Mai", "Mehefin",
            "Gorffennaf", "Awst", "Medi", "Hydref", "Tachwedd", "Rhagfyr",
        ),
    }
)  # fmt: skip

# Keys are an error code, or "<question type>.<code>" where a type needs its own wording.
# A key ending ".one" is used instead when the `count` parameter is 1 ("Select at least 1 option").
_ERRORS_EN: Mapping[str, str] = MappingProxyType(
    {
        "required": "Enter an answer",
        "invalid_characters": "Answer must only include letters, numbers, spaces and punctuation",
        "too_long": "Answer must be {max_length} characters or fewer",
        "too_short": "Answer must be {min_length} characters or more",
        "too_many_words": "Answer must be {max_words} words or fewer",
        "pattern": "Enter your answer in the correct format",
        # email, phone, postcode, name
        "email.required": "Enter an email address",
        "email_invalid": "Enter an email address in the correct format, like name@example.com",
        "phone.required": "Enter a phone number",
        "phone_invalid": "Enter a phone number, like 01632 960 001, 07700 900 982 or +44 808 157 0192",
        "postcode.required": "Enter a postcode",
        "postcode_invalid": "Enter a UK postcode, like OX1 1ND",
        "name.required": "Enter a full name",
        # address
        "address.required": "Enter an address",
        "line1_required": "Enter address line 1, typically the building and street",
        "town_required": "Enter a town or city",
        "postcode_required": "Enter a postcode",
        # numbers and money
        "number.required": "Enter a whole number",
        "decimal.required": "Enter a number",
        "money.required": "Enter an amount of money",
        "not_a_number": "Enter a number, like 12 or 12.5",
        "number.not_a_number": "Enter a whole number, like 12",
        "money.not_a_number": "Enter an amount of money, like £12.50",
        "not_whole_number": "Enter a whole number, like 12",
        "too_many_decimal_places": "Enter an amount of money to the nearest penny, like £12.50",
        "too_small": "Answer must be {min} or more",
        "too_large": "Answer must be {max} or less",
        "out_of_range": "Answer must be between {min} and {max}",
        # dates
        "date.required": "Enter a date",
        "missing_day": "Date must include a day",
        "missing_month": "Date must include a month",
        "missing_year": "Date must include a year",
        "missing_day_month": "Date must include a day and month",
        "missing_day_year": "Date must include a day and year",
        "missing_month_year": "Date must include a month and year",
        "invalid_date": "Enter a real date",
        "year_four_digits": "Year must include 4 numbers",
        "not_in_past": "Date must be in the past",
        "not_in_future": "Date must be in the future",
        "too_early": "Date must be the same as or after {earliest}",
        "too_late": "Date must be the same as or before {latest}",
        # bank details
        "bank_account.required": "Enter the bank account details",
        "account_name_required": "Enter the name on the account",
        "sort_code_required": "Enter a sort code",
        "sort_code_invalid": "Sort code must be 6 digits, like 30 94 30",
        "account_number_required": "Enter an account number",
        "account_number_invalid": "Account number must be between 6 and 8 digits",
        # choices
        "yes_no.required": "Select yes or no",
        "radios.required": "Select an option",
        "dropdown.required": "Select an option",
        "scale.required": "Select an option",
        "checkboxes.required": "Select at least one option",
        "invalid_option": "Select an option from the list",
        "exclusive": "Select “{option}” on its own, or clear it and select other options",
        "too_few_selected": "Select at least {count} options",
        "too_few_selected.one": "Select at least 1 option",
        "too_many_selected": "Select no more than {count} options",
        "too_many_selected.one": "Select only 1 option",
        "other_required": "Enter your answer for “{option}”",
        "grid.required": "Select an answer for each statement",
        "grid_incomplete": "Select an answer for “{statement}”",
        "ranking.required": "Give a position to each item",
        "rank_missing": "Give a position to “{option}”",
        "rank_duplicate": "Give “{option}” a different position from the other items",
        "too_few_ranked": "Give a position to at least {count} items",
        "too_few_ranked.one": "Give a position to at least 1 item",
        "too_many_ranked": "Give a position to no more than {count} items",
        "too_many_ranked.one": "Give a position to only 1 item",
        "consent.required": "Select the box to confirm",
        # files (the web layer raises the file_* codes when it stores an upload)
        "file.required": "Upload a file",
        "file_invalid": "Upload the file again",
        "too_many_files": "Upload no more than {count} files",
        "too_many_files.one": "Upload only 1 file",
        "file_too_large": "The file must be smaller than {max_size}",
        "file_empty": "The selected file is empty",
        "file_type": "The selected file must be a {accept}",
    }
)

_ERRORS_CY: Mapping[str, str] = MappingProxyType(
    {
        "required": "Rhowch ateb",
        "too_long": "Rhaid i'r ateb fod yn {max_length} nod neu lai",
        "too_short": "Rhaid i'r ateb fod yn {min_length} nod neu fwy",
        "too_many_words": "Rhaid i'r ateb fod yn {max_words} gair neu lai",
        "email.required": "Rhowch gyfeiriad e-bost",
        "email_invalid": "Rhowch gyfeiriad e-bost yn y fformat cywir, fel enw@enghraifft.com",
        "phone.required": "Rhowch rif ffôn",
        "postcode.required": "Rhowch god post",
        "postcode_invalid": "Rhowch god post yn y DU, fel OX1 1ND",
        "postcode_required": "Rhowch god post",
        "town_required": "Rhowch dref neu ddinas",
        "date.required": "Rhowch ddyddiad",
        "missing_day": "Rhaid i'r dyddiad gynnwys diwrnod",
        "missing_month": "Rhaid i'r dyddiad gynnwys mis",
        "missing_year": "Rhaid i'r dyddiad gynnwys blwyddyn",
        "invalid_date": "Rhowch ddyddiad go iawn",
        "year_four_digits": "Rhaid i'r flwyddyn gynnwys 4 rhif",
        "not_in_past": "Rhaid i'r dyddiad fod yn y gorffennol",
        "not_in_future": "Rhaid i'r dyddiad fod yn y dyfodol",
        "yes_no.required": "Dewiswch ie neu na",
        "radios.required": "Dewiswch opsiwn",
        "dropdown.required": "Dewiswch opsiwn",
        "scale.required": "Dewiswch opsiwn",
        "checkboxes.required": "Dewiswch o leiaf un opsiwn",
        "invalid_option": "Dewiswch opsiwn o'r rhestr",
        "consent.required": "Dewiswch y blwch i gadarnhau",
        "file.required": "Uwchlwythwch ffeil",
    }
)

_ERRORS: Mapping[str, Mapping[str, str]] = MappingProxyType({"en": _ERRORS_EN, "cy": _ERRORS_CY})

_FURNITURE_EN: Mapping[str, str] = MappingProxyType(
    {
        "continue": "Continue",
        "back": "Back",
        "start_now": "Start now",
        "skip_to_main_content": "Skip to main content",
        "there_is_a_problem": "There is a problem",
        "error_prefix": "Error:",
        "title_error_prefix": "Error: {title}",
        "day": "Day",
        "month": "Month",
        "year": "Year",
        "date_hint": "For example, 27 3 2007",
        "optional": "(optional)",
        "yes": "Yes",
        "no": "No",
        "or": "or",
        "select_all_that_apply": "Select all that apply",
        "other_please_say": "Please say",
        "prefer_not_to_say": "Prefer not to say",
        "change": "Change",
        "check_your_answers": "Check your answers",
        "submit": "Submit",
        "save_and_come_back_later": "Save and come back later",
        "character_count_limit": "You can enter up to {count} characters",
        "characters_remaining": "You have {count} characters remaining",
        "characters_remaining.one": "You have 1 character remaining",
        "characters_too_many": "You have {count} characters too many",
        "characters_too_many.one": "You have 1 character too many",
        "word_count_limit": "You can enter up to {count} words",
        "words_remaining": "You have {count} words remaining",
        "words_remaining.one": "You have 1 word remaining",
        "words_too_many": "You have {count} words too many",
        "words_too_many.one": "You have 1 word too many",
        "exit_this_page": "Exit this page",
        "add_another": "Add another {item}",
        "remove": "Remove",
        "cancel": "Cancel",
        "address_line1": "Address line 1",
        "address_line2": "Address line 2 (optional)",
        "address_town": "Town or city",
        "address_postcode": "Postcode",
        "account_name": "Name on the account",
        "sort_code": "Sort code",
        "sort_code_hint": "Must be 6 digits long",
        "account_number": "Account number",
        "account_number_hint": "Must be between 6 and 8 digits long",
        "position": "Position",
        "ranking_hint": "Give each item a position, 1 for the most important",
        "files_uploaded": "{count} files uploaded",
        "files_uploaded.one": "1 file uploaded",
        "section_progress": "Section {number} of {total}",
        "not_yet_started": "Not yet started",
        "in_progress": "In progress",
        "completed": "Completed",
        "cannot_start_yet": "Cannot start yet",
        "your_reference_number": "Your reference number",
        "what_happens_next": "What happens next",
        "print_your_answers": "Print a copy of your answers",
        "language": "Language",
        "easy_read": "Easy read",
        "page_not_found": "Page not found",
    }
)

_FURNITURE_CY: Mapping[str, str] = MappingProxyType(
    {
        "continue": "Parhau",
        "back": "Yn ôl",
        "start_now": "Dechrau nawr",
        "skip_to_main_content": "Neidio i'r prif gynnwys",
        "there_is_a_problem": "Mae problem wedi codi",
        "error_prefix": "Gwall:",
        "title_error_prefix": "Gwall: {title}",
        "day": "Diwrnod",
        "month": "Mis",
        "year": "Blwyddyn",
        "date_hint": "Er enghraifft, 27 3 2007",
        "optional": "(dewisol)",
        "yes": "Ie",
        "no": "Na",
        "or": "neu",
        "select_all_that_apply": "Dewiswch bob un sy'n berthnasol",
        "other_please_say": "Rhowch fanylion",
        "prefer_not_to_say": "Mae'n well gennyf beidio â dweud",
        "change": "Newid",
        "check_your_answers": "Gwirio eich atebion",
        "submit": "Cyflwyno",
        "save_and_come_back_later": "Cadw a dod yn ôl yn nes ymlaen",
        "character_count_limit": "Gallwch ddefnyddio hyd at {count} nod",
        "characters_remaining": "Mae gennych {count} nod yn weddill",
        "characters_too_many": "Mae gennych {count} nod yn ormod",
        "word_count_limit": "Gallwch ddefnyddio hyd at {count} gair",
        "words_remaining": "Mae gennych {count} gair yn weddill",
        "words_too_many": "Mae gennych {count} gair yn ormod",
        "exit_this_page": "Gadael y dudalen hon",
        "add_another": "Ychwanegu {item} arall",
        "remove": "Dileu",
        "cancel": "Canslo",
        "address_line1": "Llinell gyntaf y cyfeiriad",
        "address_line2": "Ail linell y cyfeiriad (dewisol)",
        "address_town": "Tref neu ddinas",
        "address_postcode": "Cod post",
        "account_name": "Yr enw ar y cyfrif",
        "sort_code": "Cod didoli",
        "account_number": "Rhif y cyfrif",
        "position": "Safle",
        "section_progress": "Adran {number} o {total}",
        "not_yet_started": "Heb ddechrau eto",
        "in_progress": "Ar waith",
        "completed": "Wedi'i gwblhau",
        "cannot_start_yet": "Methu dechrau eto",
        "your_reference_number": "Eich cyfeirnod",
        "what_happens_next": "Beth sy'n digwydd nesaf",
        "print_your_answers": "Argraffu copi o'ch atebion",
        "language": "Iaith",
        "page_not_found": "Heb ddod o hyd i'r dudalen",
    }
)

_FURNITURE: Mapping[str, Mapping[str, str]] = MappingProxyType({"en": _FURNITURE_EN, "cy": _FURNITURE_CY})

#: Every error code with wording (type-specific keys reduced to their code).
ERROR_CODES: frozenset[str] = frozenset(key.removesuffix(".one").rpartition(".")[2] for key in _ERRORS_EN)


def error_message(
    code: str, question_type: str | None = None, language: str = DEFAULT_LANGUAGE, **params: object
) -> str:
    """The wording for error `code`, e.g. error_message("too_long", max_length=200) ->
    "Answer must be 200 characters or fewer". Raises KeyError for a code with no wording."""
    keys = [f"{question_type}.{code}", code] if question_type else [code]
    template = _lookup(_ERRORS, keys, language, params)
    if template is None:
        raise KeyError(f"no wording for error code {code!r}")
    return template.format_map(_formatted(params, language))


def furniture(key: str, language: str = DEFAULT_LANGUAGE, **params: object) -> str:
    """Page furniture, e.g. furniture("add_another", "cy", item="taith") -> "Ychwanegu taith arall"."""
    template = _lookup(_FURNITURE, [key], language, params)
    if template is None:
        raise KeyError(f"no furniture wording for {key!r}")
    return template.format_map(_formatted(params, language))


def format_date(value: dt.date, language: str = DEFAULT_LANGUAGE) -> str:
    """A date as people write it: 2007-03-27 -> "27 March 2007" (Welsh: "27 Mawrth 2007")."""
    months = MONTH_NAMES.get(language, MONTH_NAMES[DEFAULT_LANGUAGE])
    return f"{value.day} {months[value.month - 1]} {value.year}"


def format_money(value: Decimal) -> str:
    """Pounds and pence with thousands separators: Decimal("1200.5") -> "£1,200.50"."""
    sign = "-" if value < 0 else ""
    return f"{sign}£{abs(value):,.2f}"


def _lookup(
    table: Mapping[str, Mapping[str, str]], keys: list[str], language: str, params: Mapping[str, object]
) -> str | None:
    # A singular variant applies only to a count of exactly 1; English has no other plural forms
    # and the Welsh table writes the noun in the singular after a number, as Welsh does.
    singular = params.get("count") == 1
    for lang in dict.fromkeys((language, DEFAULT_LANGUAGE)):
        wording = table.get(lang, {})
        for key in keys:
            if singular and f"{key}.one" in wording:
                return wording[f"{key}.one"]
            if key in wording:
                return wording[key]
    return None


def _formatted(params: Mapping[str, object], language: str) -> dict[str, object]:
    return {name: _format_param(value, language) for name, value in params.items()}


def _format_param(value: object, language: str) -> object:
    if isinstance(value, dt.date):
        return format_date(value, language)
    if isinstance(value, Text):
        return value.get(language)
    return value
