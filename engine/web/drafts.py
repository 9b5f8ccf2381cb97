"""A respondent's draft as the web layer holds it: the signed cookie with its resume token, and its
answers turned from stored JSON into python values and back into the raw fields a page shows.

The cookie is per form (`coform_draft_<slug>`), signed (so its draft id can be trusted) and
HttpOnly. It also remembers the language and easy-read choice, so a link without ?lang= keeps
the respondent's language::

    cookies.write(response, "board", DraftCookie(token, draft.id, "cy", False))
    cookies.read(request, "board") == DraftCookie(token, draft.id, "cy", False)
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from types import MappingProxyType
from typing import Any

from itsdangerous import BadData, URLSafeTimedSerializer
from starlette.requests import Request
from starlette.responses import Response

from engine.definition import Form, Page, Question
from engine.questions import QUESTION_TYPES
from engine.storage import JSONInput

COOKIE_PREFIX = "coform_draft_"

#: A stored answer, or a value posted in a form field: what a page shows back is always text.
RawFields = dict[str, tuple[str, ...]]


@dataclass(frozen=True)
class DraftCookie:
    """What the cookie holds: the resume token, the draft id, and the reading preferences."""

    token: str
    draft_id: str
    language: str | None = None
    easy_read: bool = False


class DraftCookies:
    """Reads and writes the signed draft cookies; a cookie that fails its signature is ignored."""

    def __init__(self, secret_key: str, max_age_seconds: int, secure: bool) -> None:
        self._serializer = URLSafeTimedSerializer(secret_key, salt="coform.draft")
        self.max_age_seconds = max_age_seconds
        self.secure = secure

    def read(self, request: Request, slug: str) -> DraftCookie | None:
        value = request.cookies.get(COOKIE_PREFIX + slug)
        if not value:
            return None
        try:
            data = self._serializer.loads(value, max_age=self.max_age_seconds)
        except BadData:
            return None
        if not (isinstance(data, list) and len(data) == 4):
            return None
        token, draft_id, language, easy_read = data
        if not (isinstance(token, str) and isinstance(draft_id, str)):
            return None
        chosen = language if isinstance(language, str) else None
        return DraftCookie(token, draft_id, chosen, easy_read is True)

    def write(self, response: Response, slug: str, cookie: DraftCookie) -> None:
        value = self._serializer.dumps([cookie.token, cookie.draft_id, cookie.language, cookie.easy_read])
        response.set_cookie(
            COOKIE_PREFIX + slug,
            value,
            max_age=self.max_age_seconds,
            path="/",
            httponly=True,
            samesite="lax",
            secure=self.secure,
        )


# --- stored JSON <-> python answers ----------------------------------------------------------------


def other_key(question_id: str) -> str:
    return f"{question_id}__other"


def decode_answers(form: Form, stored: Mapping[str, Any]) -> dict[str, Any]:
    """Stored JSON answers -> python values: {"visits": 3, "when-": ...}; unreadable ones are dropped.

    An answer the form's question types cannot read (a question removed from this version, or
    changed in type) is left out rather than crashing the page; the respondent is asked again.
    """
    answers: dict[str, Any] = {}
    for key, value in stored.items():
        page = form.page_index.get(key)
        if page is not None and page.repeat is not None:
            if isinstance(value, list):
                answers[key] = tuple(
                    MappingProxyType(_decode_each(form, item)) for item in value if isinstance(item, dict)
                )
            continue
        answers.update(_decode_each(form, {key: value}))
    return answers


def _decode_each(form: Form, stored: Mapping[str, Any]) -> dict[str, Any]:
    decoded: dict[str, Any] = {}
    for key, value in stored.items():
        if key.endswith("__other"):
            if isinstance(value, str):
                decoded[key] = value
            continue
        question = form.question_index.get(key)
        if question is None or question.is_content:
            continue
        try:
            decoded[key] = QUESTION_TYPES[question.type].from_json(value)
        except (ValueError, ArithmeticError):
            continue
    return decoded


def encode_answers(form: Form, answers: Mapping[str, Any]) -> dict[str, JSONInput]:
    """Python answers -> JSON for storage; a repeating page's items are encoded one by one."""
    encoded: dict[str, JSONInput] = {}
    for key, value in answers.items():
        page = form.page_index.get(key)
        if page is not None and page.repeat is not None:
            encoded[key] = [encode_answers(form, item) for item in value]
        elif key.endswith("__other") or key not in form.question_index:
            encoded[key] = value
        else:
            encoded[key] = QUESTION_TYPES[form.question_index[key].type].to_json(value)
    return encoded


# --- python answers -> the raw fields a page shows back ----------------------------------------------


def _plain(value: Any) -> tuple[str, ...]:
    return (str(value),)


def _money(value: Any) -> tuple[str, ...]:
    return (f"{Decimal(value):.2f}",)


def _yes_no(value: Any) -> tuple[str, ...]:
    return ("yes" if value else "no",)


def _many(value: Any) -> tuple[str, ...]:
    return tuple(str(item) for item in value)


def _parts(parts: tuple[str, ...]) -> Callable[[Question, Any], RawFields]:
    def fields(question: Question, value: Any) -> RawFields:
        return {f"{question.id}-{part}": (str(value.get(part, "")),) for part in parts}

    return fields


def _date(question: Question, value: Any) -> RawFields:
    day: dt.date = value
    return {
        f"{question.id}-day": (str(day.day),),
        f"{question.id}-month": (str(day.month),),
        f"{question.id}-year": (str(day.year),),
    }


def _grid(question: Question, value: Any) -> RawFields:
    return {f"{question.id}-{statement}": (choice,) for statement, choice in value.items()}


def _ranking(question: Question, value: Any) -> RawFields:
    return {f"{question.id}-{choice}": (str(position),) for position, choice in enumerate(value, 1)}


def _single(convert: Callable[[Any], tuple[str, ...]]) -> Callable[[Question, Any], RawFields]:
    def fields(question: Question, value: Any) -> RawFields:
        return {question.id: convert(value)}

    return fields


#: Question type -> how its answer is written back into its form fields (the inverse of `parse`).
RAW_WRITERS: Mapping[str, Callable[[Question, Any], RawFields]] = MappingProxyType(
    {
        **dict.fromkeys(
            ("text", "long_text", "email", "phone", "postcode", "name", "number", "decimal"),
            _single(_plain),
        ),
        **dict.fromkeys(("radios", "dropdown", "scale"), _single(_plain)),
        "money": _single(_money),
        "yes_no": _single(_yes_no),
        "consent": _single(lambda value: ("yes",)),
        "checkboxes": _single(_many),
        "file": _single(_many),
        "date": _date,
        "address": _parts(("line1", "line2", "town", "postcode")),
        "bank_account": _parts(("account_name", "sort_code", "account_number")),
        "grid": _grid,
        "ranking": _ranking,
    }
)


def raw_fields(questions: Iterable[Question], answers: Mapping[str, Any]) -> RawFields:
    """The form fields that show `answers` to `questions` (and their follow-ups) back on a page.

    A date answered as 2007-03-27 -> {"dob-day": ("27",), "dob-month": ("3",), "dob-year": ("2007",)}.
    """
    raw: RawFields = {}
    for question in questions:
        if question.is_content or question.id not in answers:
            continue
        raw.update(RAW_WRITERS[question.type](question, answers[question.id]))
        if other_key(question.id) in answers:
            raw[other_key(question.id)] = (str(answers[other_key(question.id)]),)
        raw.update(raw_fields([o.follow_up for o in question.options if o.follow_up], answers))
    return raw


def own_ids(page: Page) -> frozenset[str]:
    """The answer keys a (non-repeating) page owns: its questions, their follow-ups and other-texts."""
    ids: set[str] = set()
    pending = list(page.questions)
    while pending:
        question = pending.pop()
        if not question.is_content:
            ids.update((question.id, other_key(question.id)))
        pending.extend(option.follow_up for option in question.options if option.follow_up is not None)
    return frozenset(ids)
