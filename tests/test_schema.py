"""The JSON Schema of the form language: committed as forms/schema.json for editors, in step with
`coform schema`, and agreeing with the loader about which forms are well formed."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from engine.cli import schema_text
from engine.loader import language_schema

FORMS = Path(__file__).resolve().parent.parent / "forms"


class _EditorLoader(yaml.SafeLoader):
    """Reads YAML as editors do (YAML 1.2 core types): only true/false are booleans, no dates."""


_EditorLoader.yaml_implicit_resolvers = {}
_EditorLoader.add_implicit_resolver("tag:yaml.org,2002:bool", re.compile(r"^(?:true|false)$"), list("tf"))
_EditorLoader.add_implicit_resolver("tag:yaml.org,2002:int", re.compile(r"^-?[0-9]+$"), list("-0123456789"))
_EditorLoader.add_implicit_resolver(
    "tag:yaml.org,2002:float", re.compile(r"^-?[0-9]+\.[0-9]+$"), list("-0123456789")
)


def as_editor_reads(source: str) -> Any:
    return yaml.load(source, Loader=_EditorLoader)


def schema_problems(source: str) -> list[str]:
    validator = jsonschema.Draft202012Validator(language_schema())
    return sorted(error.message for error in validator.iter_errors(as_editor_reads(source)))


def test_committed_schema_is_in_step_with_coform_schema() -> None:
    committed = (FORMS / "schema.json").read_text(encoding="utf-8")
    assert committed == schema_text() + "\n", "run: coform schema > forms/schema.json"


def test_schema_is_a_valid_draft_2020_12_schema() -> None:
    jsonschema.Draft202012Validator.check_schema(json.loads(schema_text()))


@pytest.mark.parametrize("path", sorted(FORMS.rglob("*.yaml")), ids=lambda path: path.stem)
def test_bundled_forms_satisfy_the_schema(path: Path) -> None:
    assert schema_problems(path.read_text(encoding="utf-8")) == []


def test_schema_underlines_a_misspelled_key() -> None:
    source = "title: T\npages:\n  - id: p\n    questions:\n      - {id: q, type: yes_no, lable: Q}\n"
    assert schema_problems(source) == [
        "'lable' is not one of ['errors', 'hint', 'id', 'image', 'label', 'optional', 'personal', "
        "'replaces', 'show_if', 'type']",
        "Additional properties are not allowed ('lable' was unexpected)",
    ]


def test_schema_underlines_yes_where_a_boolean_is_expected() -> None:
    source = (
        "title: T\nsensitive: yes\npages:\n  - id: p\n    questions:\n      - {id: q, type: text, label: Q}\n"
    )
    assert schema_problems(source) == ["'yes' is not of type 'boolean'"]


def test_schema_underlines_a_setting_the_question_type_does_not_take() -> None:
    source = "title: T\npages:\n  - id: p\n    questions:\n      - {id: q, type: yes_no, label: Q, rows: 3}\n"
    assert schema_problems(source) == [
        "'rows' is not one of ['errors', 'hint', 'id', 'image', 'label', 'optional', 'personal', "
        "'replaces', 'show_if', 'type']"
    ]
