"""The form map: every page and route of a form, as a model, as text for the terminal and as SVG."""

from __future__ import annotations

import xml.etree.ElementTree as ElementTree
from pathlib import Path
from textwrap import dedent

import pytest

from engine.cli import main
from engine.definition import CHECK_ANSWERS, Form
from engine.formmap import Edge, as_svg, as_text, build_map
from engine.loader import load_form_text, load_forms
from engine.settings import PROJECT_ROOT

BUNDLED, _ = load_forms(PROJECT_ROOT / "forms")

ELIGIBILITY = dedent("""\
    title: Join the board
    sections:
      - id: about_you
        title: About you
        pages:
          - id: where_page
            questions:
              - {id: lives_here, type: yes_no, label: "Do you live in Oxfordshire?"}
            next:
              - {if: "lives_here = false", goto: not_eligible}
          - id: not_eligible
            exit: true
            title: You cannot join the board
          - id: age_page
            questions:
              - {id: age, type: number, label: "How old are you?"}
      - id: journeys
        title: Your journeys
        show_if: "age >= 16"
        pages:
          - id: journeys_page
            repeat: {item_name: journey}
            title: Your journeys
            questions:
              - {id: from_town, type: text, label: From}
    """)


@pytest.mark.parametrize("form", BUNDLED.values(), ids=list(BUNDLED))
def test_the_map_lists_every_page_and_route_of_each_bundled_form(form: Form) -> None:
    form_map = build_map(form)
    text = as_text(form_map)
    svg = as_svg(form_map)

    assert [page.id for page in form_map.pages] == [page.id for page in form.pages]
    for page in form.pages:
        assert f"  page {page.id}: " in text
        assert f">{page.id}" in svg
        drawn = [
            (edge.target, edge.condition) for edge in form_map.edges_from(page.id) if edge.kind == "route"
        ]
        assert drawn == [(route.goto, route.when.source if route.when else None) for route in page.routes]
    targets = {edge.target for edge in form_map.edges}
    assert targets <= {page.id for page in form.pages} | {CHECK_ANSWERS}
    assert CHECK_ANSWERS in targets
    ElementTree.fromstring(svg)


def test_a_page_without_a_route_that_always_applies_goes_on_to_the_next_page_that_is_not_an_exit() -> None:
    form_map = build_map(load_form_text(ELIGIBILITY, "board.yaml"))

    assert form_map.edges == (
        Edge("where_page", "not_eligible", "lives_here = false", "route"),
        Edge("where_page", "age_page", None, "otherwise"),
        Edge("age_page", "journeys_page", None, "next"),
        Edge("journeys_page", CHECK_ANSWERS, None, "next"),
    )


def test_the_terminal_map_shows_sections_conditions_exits_and_repeats() -> None:
    text = as_text(build_map(load_form_text(ELIGIBILITY, "board.yaml")))

    assert text == dedent("""\
        Join the board (board)
        Section about_you: About you
          page where_page: Do you live in Oxfordshire?
            if lives_here = false, go to not_eligible
            otherwise, go to age_page
          page not_eligible: You cannot join the board [exit page: the journey ends here]
          page age_page: How old are you?
            then go to journeys_page
        Section journeys: Your journeys [shown if age >= 16]
          page journeys_page: Your journeys [repeats: add another journey]
            then go to check answers
        Check answers, then send
        """)


def test_the_svg_is_an_image_named_for_screen_readers_with_escaped_text() -> None:
    form = load_form_text(
        ELIGIBILITY.replace("title: Join the board", "title: Join <the> board & more"), "board.yaml"
    )

    svg = ElementTree.fromstring(as_svg(build_map(form)))

    namespace = "{http://www.w3.org/2000/svg}"
    assert svg.get("role") == "img"
    title = svg.find(f"{namespace}title")
    assert title is not None
    assert title.text == "Map of Join <the> board & more: the same map is written out as a list"
    labels = [element.text for element in svg.iter(f"{namespace}text")]
    assert "if lives_here = false" in labels


def test_coform_map_prints_the_map_of_a_form_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "board.yaml"
    path.write_text(ELIGIBILITY, encoding="utf-8")

    assert main(["map", str(path)]) == 0
    assert capsys.readouterr().out == as_text(build_map(load_form_text(ELIGIBILITY, "board.yaml")))


def test_coform_map_says_when_there_is_no_such_form(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["map", "no-such-form"]) == 2
    assert "no-such-form: no such form file" in capsys.readouterr().err
