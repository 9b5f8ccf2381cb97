"""One small class per question type, and QUESTION_TYPES, the read-only registry of them.

INTERFACE SKELETON — being implemented; see docs/design.md for the answer value of each type.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any, ClassVar

from engine.expressions import ValueKind


class QuestionType:
    """The hooks a question type provides; validation.py runs them in one fixed order."""

    name: ClassVar[str]
    value_kind: ClassVar[ValueKind]
    content_only: ClassVar[bool] = False
    #: Names of the optional `Question` attributes (and YAML keys) this type accepts.
    settings: ClassVar[frozenset[str]] = frozenset()
    #: Whether the type needs `options` (radios, checkboxes, dropdown, scale, grid, ranking).
    needs_options: ClassVar[bool] = False


QUESTION_TYPES: Mapping[str, Any] = MappingProxyType({})
