"""`coform check` and `coform schema`, run as an author would run them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from engine.cli import main
from engine.loader import language_schema, load_form

FORMS = Path(__file__).resolve().parent.parent / "forms"
VALID = "title: Say hello\npages:\n  - id: p\n    questions:\n      - {id: q, type: text, label: Q}\n"


def test_check_passes_the_bundled_forms_with_one_summary_line_each(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["check", str(FORMS)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == len(list(FORMS.rglob("*.yaml")))
    example = load_form(FORMS / "examples" / "every-question-type.yaml")
    questions = sum(not question.is_content for question in example.iter_questions())
    assert (
        f"every-question-type: {example.title} ({len(example.pages)} pages, {questions} questions, "
        f"version {example.version[:12]})"
    ) in lines


def test_check_prints_every_mistake_and_exits_1(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text("title: T\nsensitive: yes\nretention: forever\n")
    assert main(["check", str(path)]) == 1
    captured = capsys.readouterr()
    assert captured.out.splitlines() == [
        f"{path}:1:1: the form has no pages. Fix: add pages: with at least one page",
        f"{path}:2:12: sensitive must be true or false, not 'yes' (YAML 1.1 words such as yes and on are not "
        "booleans here). Fix: write true or false",
        f"{path}:3:12: retention 'forever' is not a period of time. "
        "Fix: write a number and days, weeks, months or years, such as 2 years",
    ]
    assert captured.err == "3 mistakes found\n"


def test_check_reports_broken_forms_in_a_folder_and_ignores_the_good_ones(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "good.yaml").write_text(VALID)
    (tmp_path / "bad.yaml").write_text("title: T\n")
    assert main(["check", str(tmp_path)]) == 1
    assert capsys.readouterr().out == (
        f"{tmp_path / 'bad.yaml'}:1:1: the form has no pages. Fix: add pages: with at least one page\n"
    )


def test_check_without_paths_reads_the_configured_forms_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "say-hello.yaml").write_text(VALID)
    monkeypatch.setenv("COFORM_FORMS_DIR", str(tmp_path))
    assert main(["check"]) == 0
    assert capsys.readouterr().out.startswith("say-hello: Say hello (1 page, 1 question, version ")


def test_check_a_path_that_does_not_exist_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", str(tmp_path / "missing.yaml")]) == 2
    assert capsys.readouterr().err == f"{tmp_path / 'missing.yaml'}: no such file or folder\n"


def test_schema_prints_the_language_schema_as_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["schema"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed == language_schema()
    assert printed["$schema"] == "https://json-schema.org/draft/2020-12/schema"
