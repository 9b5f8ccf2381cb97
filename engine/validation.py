"""The one fixed validation pipeline: the raw form data of a page -> clean answers and errors.

For each visible question, in page order, the checks run in this order and the first failure is
the question's only error (as GOV.UK services do, so a respondent fixes one thing at a time):

    characters and length of the raw input -> empty? -> required -> parse -> the type's rules -> pattern

A question type supplies the parse and the rules (engine.questions); the wording comes from the
author's `errors:` for that code, else from engine.messages.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections import ChainMap
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from engine.definition import Form, Option, Page, Question
from engine.expressions import EvaluationContext, Expression
from engine.messages import DEFAULT_LANGUAGE, error_message
from engine.questions import (
    QUESTION_TYPES,
    AnswerValue,
    Invalid,
    QuestionType,
    RawData,
    compiled_pattern,
)


@dataclass(frozen=True)
class FieldError:
    """One question's error: `target_id` is the HTML id the error summary links to."""

    code: str
    message: str
    target_id: str


@dataclass(frozen=True)
class PageResult:
    """What a page's submission comes to: clean answers of the answered questions, errors by question
    id in page order, and the raw input of the page's fields to show back when there are errors."""

    answers: Mapping[str, AnswerValue]
    errors: Mapping[str, FieldError]
    raw: Mapping[str, tuple[str, ...]]

    @property
    def ok(self) -> bool:
        return not self.errors


class _Absent:
    """An optional question left empty: no answer and no error."""


_ABSENT = _Absent()


def validate_page(
    form: Form,
    page: Page,
    raw: RawData,
    answers: Mapping[str, AnswerValue],
    today: dt.date,
    language: str = DEFAULT_LANGUAGE,
) -> PageResult:
    """Validate one submission of `page` against the draft's other `answers`.

    For a repeating page this validates one item; the caller appends `answers` to the item list.
    Show-if conditions see the draft's answers, with this page's earlier answers from `raw` in
    place of the stored ones (so a condition on the same page follows what was just entered).
    """
    own_ids = _own_ids(page)
    earlier = {key: value for key, value in answers.items() if key not in own_ids}
    run = _Run(raw, today, language, earlier)
    for question in page.questions:
        run.question(question)
    kept = {name: tuple(raw[name]) for name in _field_names(page) if name in raw}
    return PageResult(
        answers=MappingProxyType(run.clean),
        errors=MappingProxyType(run.errors),
        raw=MappingProxyType(kept),
    )


class _Run:
    """The state of one page's validation: answers so far (for show-if) and errors so far."""

    def __init__(
        self, raw: RawData, today: dt.date, language: str, earlier: Mapping[str, AnswerValue]
    ) -> None:
        self.raw = raw
        self.today = today
        self.language = language
        self.clean: dict[str, AnswerValue] = {}
        self.errors: dict[str, FieldError] = {}
        self.context = EvaluationContext(ChainMap(self.clean, dict(earlier)), today)

    def question(self, question: Question) -> None:
        if question.is_content or not self._visible(question.show_if):
            return
        question = self._with_visible_options(question)
        kind = QUESTION_TYPES[question.type]
        try:
            value = _clean(kind, question, self.raw, self.today)
        except Invalid as problem:
            self.errors[question.id] = _field_error(question, kind, problem, self.language)
            return
        if isinstance(value, _Absent):
            return
        self.clean[question.id] = value
        if kind.reveals:
            for option in _chosen(question, value):
                self._revealed(question, option)

    def _revealed(self, question: Question, option: Option) -> None:
        if option.other:
            self._other_text(question, option)
        if option.follow_up is not None:
            self.question(option.follow_up)

    def _other_text(self, question: Question, option: Option) -> None:
        # The "please say" box is a short text question of its own, whose wording belongs to the
        # parent question (the author writes `errors: {other_required: ...}` there).
        other = Question(
            id=f"{question.id}__other",
            type="text",
            label=option.other_label or option.label,
            max_length=question.max_length,
            errors=question.errors,
        )
        kind = QUESTION_TYPES["text"]
        try:
            value = _clean(kind, other, self.raw, self.today)
        except Invalid as problem:
            if problem.code == "required":
                problem = Invalid("other_required", option=option.label)
            # Still one error per question: the parent's, linking to the "please say" box.
            self.errors[question.id] = _field_error(other, kind, problem, self.language)
            return
        if not isinstance(value, _Absent):
            self.clean[other.id] = value

    def _visible(self, condition: Expression | None) -> bool:
        return condition is None or condition.evaluate(self.context)

    def _with_visible_options(self, question: Question) -> Question:
        """The question with its hidden options and statements left out, so they cannot be chosen."""
        if all(item.show_if is None for item in (*question.options, *question.statements)):
            return question
        return dataclasses.replace(
            question,
            options=tuple(option for option in question.options if self._visible(option.show_if)),
            statements=tuple(item for item in question.statements if self._visible(item.show_if)),
        )


def _clean(kind: QuestionType[Any], question: Question, raw: RawData, today: dt.date) -> Any:
    """One question through the pipeline: the clean answer, _ABSENT, or Invalid for the first failure."""
    _check_raw(kind, question, raw)
    if kind.is_empty(question, raw):
        if question.optional:
            return _ABSENT
        raise Invalid("required")
    value = kind.parse(question, raw)
    kind.check(question, value, today)
    pattern = question.pattern
    if pattern is not None and isinstance(value, str) and compiled_pattern(pattern).fullmatch(value) is None:
        raise Invalid("pattern")
    return value


def _check_raw(kind: QuestionType[Any], question: Question, raw: RawData) -> None:
    # NUL, other control characters and lone surrogates break storage, exports (XLSX is XML) and
    # screen readers; an over-long value is refused before any parsing spends time on it.
    limit = max(kind.raw_limit, question.max_length or 0)
    for name in kind.field_names(question):
        if name == f"{question.id}__other":
            continue  # checked as a question of its own, and only when its option is chosen
        part = name.removeprefix(f"{question.id}-") if name != question.id else None
        for value in raw.get(name, ()):
            if any(_unsafe(char) for char in value):
                raise Invalid("invalid_characters", part=part)
            if len(value) > limit:
                raise Invalid("too_long", part=part, max_length=limit)


def _unsafe(char: str) -> bool:
    code = ord(char)
    return (code < 0x20 and char not in "\t\n\r") or 0xD800 <= code <= 0xDFFF


def _field_error(question: Question, kind: QuestionType[Any], problem: Invalid, language: str) -> FieldError:
    custom = question.errors.get(problem.code)
    if custom is not None:
        message = custom.get(language)
    else:
        message = error_message(problem.code, kind.name, language, label=question.label, **problem.params)
    target = f"{question.id}-{problem.part}" if problem.part is not None else kind.field_names(question)[0]
    return FieldError(code=problem.code, message=message, target_id=target)


def _chosen(question: Question, value: Any) -> tuple[Option, ...]:
    values = (value,) if isinstance(value, str) else tuple(value)
    return tuple(option for option in question.options if option.value in values)


def _own_ids(page: Page) -> frozenset[str]:
    """Ids whose stored answers this page replaces: its questions, their follow-ups and other-texts."""
    ids: set[str] = set()
    pending = list(page.questions)
    while pending:
        question = pending.pop()
        ids.update((question.id, f"{question.id}__other"))
        pending.extend(option.follow_up for option in question.options if option.follow_up is not None)
    return frozenset(ids)


def _field_names(page: Page) -> tuple[str, ...]:
    names: list[str] = []
    pending = list(page.questions)
    while pending:
        question = pending.pop(0)
        names.extend(QUESTION_TYPES[question.type].field_names(question))
        pending.extend(option.follow_up for option in question.options if option.follow_up is not None)
    return tuple(names)
