"""The show-if / routing expression language: parsed once, evaluated safely, never eval().

INTERFACE SKELETON — being implemented; signatures are the contract (see docs/design.md).
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol


class ValueKind(enum.Enum):
    """What kind of value a question's answer is, for type-checking expressions at load time."""

    TEXT = "text"
    NUMBER = "number"
    DATE = "date"
    BOOLEAN = "boolean"
    CHOICE = "choice"
    CHOICES = "choices"
    GRID = "grid"
    STRUCTURED = "structured"
    FILES = "files"
    GROUP = "group"
    NONE = "none"


class ExpressionError(Exception):
    """A problem in an expression: `offset` is the 0-based character position in the source."""

    def __init__(self, message: str, offset: int = 0, fix: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.offset = offset
        self.fix = fix


class Scope(Protocol):
    """What the static checker may ask about the names an expression uses."""

    def kind_of(self, name: str) -> ValueKind | None:
        """The value kind of question/repeating page `name`, or None if no such name is in scope."""

    def option_values(self, name: str) -> frozenset[str] | None:
        """The option values of a choice question, or None if it has no options."""


@dataclass(frozen=True)
class EvaluationContext:
    answers: Mapping[str, Any]
    today: dt.date


@dataclass(frozen=True)
class Expression:
    source: str

    @property
    def references(self) -> frozenset[str]:
        """Names of the questions and repeating pages this expression reads."""
        raise NotImplementedError

    def evaluate(self, context: EvaluationContext) -> bool:
        raise NotImplementedError


def parse(source: str) -> Expression:
    """Parse `source`, raising ExpressionError with the offset of the first syntax problem."""
    raise NotImplementedError


def check(expression: Expression, scope: Scope) -> list[ExpressionError]:
    """Every static problem: unknown names, selected() on a question without options, type mismatches."""
    raise NotImplementedError
