"""Every question type renders the GOV.UK markup: label or legend, ids, describedby, autocomplete.

Runs over engine.questions.QUESTION_TYPES, so a new type without a template (or an example
question here) fails at once.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
import yaml
from starlette.requests import Request

from engine.definition import Form, Question
from engine.loader import load_form_text
from engine.questions import QUESTION_TYPES
from engine.validation import FieldError
from engine.web.security import CsrfTokens
from engine.web.templating import make_templates
from engine.web.views import QuestionView

#: One question of each type, as an author would write it (only settings the type takes).
EXAMPLES: dict[str, dict[str, object]] = {
    "text": {"label": "What should we call you?", "hint": "Your first name will do."},
    "long_text": {"label": "Tell us more", "hint": "Say as much as you like.", "max_length": 500},
    "email": {"label": "Email address", "hint": "We only use it to reply."},
    "phone": {"label": "Phone number", "hint": "A UK number."},
    "postcode": {"label": "Postcode", "hint": "For example, OX1 1AA"},
    "address": {"label": "What is your address?", "hint": "In Oxfordshire."},
    "name": {"label": "What is your full name?", "hint": "As on your bank card."},
    "number": {"label": "How many people live with you?", "hint": "Include children."},
    "decimal": {"label": "How far do you travel?", "hint": "In miles."},
    "money": {"label": "How much did you spend?", "hint": "In pounds."},
    "date": {
        "label": "What is your date of birth?",
        "hint": "For example, 27 3 2007",
        "autocomplete": "bday",
    },
    "bank_account": {"label": "Your bank details", "hint": "We pay expenses into it."},
    "yes_no": {"label": "Do you live in Oxfordshire?", "hint": "Most of the year."},
    "radios": {
        "label": "How are you involved?",
        "hint": "Pick one.",
        "options": [
            {"value": "volunteer", "label": "I volunteer"},
            {"value": "other", "label": "Other", "other": True},
        ],
    },
    "checkboxes": {
        "label": "What do you like?",
        "hint": "Select all that apply.",
        "options": [
            {"value": "paths", "label": "The paths"},
            {"value": "none", "label": "None of these", "exclusive": True},
        ],
    },
    "dropdown": {
        "label": "Which bed?",
        "hint": "There are 2.",
        "options": [{"value": "bed_1", "label": "Bed 1"}, {"value": "bed_2", "label": "Bed 2"}],
    },
    "scale": {
        "label": "How good is it?",
        "hint": "Be honest.",
        "options": [{"value": "good", "label": "Good"}, {"value": "poor", "label": "Poor"}],
    },
    "grid": {
        "label": "How good is each?",
        "hint": "One answer a row.",
        "statements": [{"value": "paths", "label": "The paths"}, {"value": "beds", "label": "The beds"}],
        "options": [{"value": "good", "label": "Good"}, {"value": "poor", "label": "Poor"}],
    },
    "ranking": {
        "label": "Put these in order",
        "hint": "Most important first.",
        "options": [{"value": "seats", "label": "More seats"}, {"value": "shade", "label": "More shade"}],
    },
    "consent": {"label": "I agree to the terms", "hint": "You can withdraw at any time."},
    "file": {
        "label": "Upload your receipt",
        "hint": "A photo is fine.",
        "accept": ["pdf", "jpg"],
        "max_size": "10MB",
    },
    "heading": {"label": "About your visit"},
    "paragraph": {"body": "Tell us about **your visit**."},
    "warning": {"body": "Do not share passwords."},
    "image": {"image": {"src": "garden.svg", "alt": "A garden with a bench"}},
}

#: The autocomplete token each input must carry (WCAG 1.3.5), by field name suffix.
AUTOCOMPLETE = {
    "name": {"": "name"},
    "email": {"": "email"},
    "phone": {"": "tel"},
    "postcode": {"": "postal-code"},
    "address": {
        "-line1": "address-line1",
        "-line2": "address-line2",
        "-town": "address-level2",
        "-postcode": "postal-code",
    },
    "date": {"-day": "bday-day", "-month": "bday-month", "-year": "bday-year"},
}

GROUPED = {"address", "bank_account", "yes_no", "radios", "checkboxes", "scale", "ranking", "consent", "date"}


class Element:
    def __init__(self, tag: str, attrs: dict[str, str]) -> None:
        self.tag = tag
        self.attrs = attrs
        self.text = ""


class Markup(HTMLParser):
    """Every element with its attributes and the text inside it (nested text included)."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.elements: list[Element] = []
        self._open: list[Element] = []
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        element = Element(tag, {name: value or "" for name, value in attrs})
        self.elements.append(element)
        if tag not in {"input", "img", "br", "meta", "link"}:
            self._open.append(element)

    def handle_endtag(self, tag: str) -> None:
        while self._open:
            if self._open.pop().tag == tag:
                break

    def handle_data(self, data: str) -> None:
        for element in self._open:
            element.text += data

    def by_id(self, element_id: str) -> Element:
        found = [element for element in self.elements if element.attrs.get("id") == element_id]
        assert len(found) == 1, f"expected one element with id {element_id!r}, found {len(found)}"
        return found[0]

    def all(self, tag: str) -> list[Element]:
        return [element for element in self.elements if element.tag == tag]


def question_of(type_name: str) -> Question:
    question = {"id": "q", "type": type_name, **EXAMPLES[type_name]}
    form_yaml = yaml.safe_dump({"title": "Markup", "pages": [{"id": "the_page", "questions": [question]}]})
    form: Form = load_form_text(form_yaml, "markup.yaml")
    return form.question("q")


def render(view: QuestionView) -> str:
    templates = make_templates(CsrfTokens("k", 60))
    request = Request({"type": "http", "method": "GET", "path": "/", "headers": [], "query_string": b""})
    template = templates.get_template(f"questions/{view.question.type}.html")
    return template.render(view=view, lang="en", easy_read=False, request=request)


def error_for(question: Question, type_name: str) -> FieldError:
    target = QUESTION_TYPES[type_name].field_names(question)[0]
    return FieldError(code="required", message="Answer this question", target_id=target)


def test_every_registered_type_has_an_example_here_and_a_template() -> None:
    assert set(EXAMPLES) == set(QUESTION_TYPES)


ANSWERABLE = sorted(name for name, kind in QUESTION_TYPES.items() if not kind.content_only)
CONTENT = sorted(name for name, kind in QUESTION_TYPES.items() if kind.content_only)


@pytest.mark.parametrize("type_name", ANSWERABLE)
def test_the_error_summary_target_exists_and_is_labelled(type_name: str) -> None:
    question = question_of(type_name)
    markup = Markup(render(QuestionView(question, "en", errors={"q": error_for(question, type_name)})))
    target = error_for(question, type_name).target_id

    field = markup.by_id(target)
    labels = [label for label in markup.all("label") if label.attrs.get("for") == target]

    assert field.tag in {"input", "textarea", "select"}
    assert len(labels) == 1
    assert labels[0].text.strip()


@pytest.mark.parametrize("type_name", ANSWERABLE)
def test_the_question_is_a_label_or_a_legend_and_becomes_the_h1_when_alone(type_name: str) -> None:
    question = question_of(type_name)
    label_text = question.label.default
    markup = Markup(render(QuestionView(question, "en", is_heading=True)))

    [heading] = markup.all("h1")

    assert heading.text.strip() == label_text
    if type_name in GROUPED:
        [legend] = markup.all("legend")
        assert label_text in legend.text
    elif type_name != "grid":
        assert any(label.text.strip() == label_text for label in markup.all("label"))


@pytest.mark.parametrize("type_name", ANSWERABLE)
def test_aria_describedby_names_the_hint_then_the_error(type_name: str) -> None:
    question = question_of(type_name)
    html = render(QuestionView(question, "en", errors={"q": error_for(question, type_name)}))
    markup = Markup(html)

    described = [
        element.attrs["aria-describedby"].split()
        for element in markup.elements
        if "aria-describedby" in element.attrs
    ]
    with_both = [ids for ids in described if "q-hint" in ids and "q-error" in ids]

    assert with_both, "no element is described by both the hint and the error"
    for ids in with_both:
        assert ids.index("q-hint") < ids.index("q-error")
    assert question.hint is not None
    assert markup.by_id("q-hint").text.strip() == question.hint.default
    error = markup.by_id("q-error")
    assert error.tag == "p"
    assert error.text.split() == ["Error:", "Answer", "this", "question"]
    # The inline error sits between the hint and the inputs.
    assert (
        html.index('id="q-hint"')
        < html.index('id="q-error"')
        < html.index(f'id="{error_for(question, type_name).target_id}"')
    )


@pytest.mark.parametrize("type_name", ANSWERABLE)
def test_no_input_is_type_number_and_numeric_inputs_use_inputmode(type_name: str) -> None:
    question = question_of(type_name)
    markup = Markup(render(QuestionView(question, "en")))
    inputs = markup.all("input")

    assert all(element.attrs.get("type") != "number" for element in inputs)
    if type_name in {"number", "date"}:
        assert all(element.attrs.get("inputmode") == "numeric" for element in inputs)
    if type_name in {"decimal", "money"}:
        assert inputs[0].attrs.get("inputmode") == "decimal"


@pytest.mark.parametrize("type_name", sorted(AUTOCOMPLETE))
def test_personal_details_carry_autocomplete_tokens(type_name: str) -> None:
    question = question_of(type_name)
    markup = Markup(render(QuestionView(question, "en")))

    for suffix, token in AUTOCOMPLETE[type_name].items():
        assert markup.by_id(f"q{suffix}").attrs.get("autocomplete") == token


@pytest.mark.parametrize(
    ("type_name", "input_type"), [("email", "email"), ("phone", "tel"), ("text", "text")]
)
def test_email_and_phone_use_their_input_types(type_name: str, input_type: str) -> None:
    markup = Markup(render(QuestionView(question_of(type_name), "en")))

    assert markup.by_id("q").attrs["type"] == input_type


@pytest.mark.parametrize("type_name", ["email", "name", "postcode", "number", "decimal", "money"])
def test_spellcheck_is_off_for_names_emails_codes_and_numbers(type_name: str) -> None:
    markup = Markup(render(QuestionView(question_of(type_name), "en")))

    assert markup.by_id("q").attrs.get("spellcheck") == "false"


@pytest.mark.parametrize("type_name", ["radios", "checkboxes", "scale", "yes_no"])
def test_choice_ids_are_the_question_id_then_numbered(type_name: str) -> None:
    markup = Markup(render(QuestionView(question_of(type_name), "en")))

    ids = [element.attrs["id"] for element in markup.all("input") if element.attrs.get("name") == "q"]

    assert ids == ["q", "q-2"]


def test_the_raw_input_is_shown_back_as_typed_and_escaped() -> None:
    question = question_of("text")
    html = render(QuestionView(question, "en", raw={"q": ['<b>"Sam"</b>']}))

    assert 'value="&lt;b&gt;&#34;Sam&#34;&lt;/b&gt;"' in html


def test_an_optional_question_says_so_in_its_label() -> None:
    form = load_form_text(
        """
title: Optional questions
pages:
  - id: the_page
    questions:
      - {id: q, type: text, optional: true, label: Nickname}
"""
    )
    markup = Markup(render(QuestionView(form.question("q"), "en")))

    assert markup.all("label")[0].text.strip() == "Nickname (optional)"


def test_the_other_option_reveals_a_please_say_box_after_it() -> None:
    markup = Markup(render(QuestionView(question_of("radios"), "en")))

    conditional = markup.by_id("conditional-q-2")
    assert markup.by_id("q-2").attrs["data-aria-controls"] == "conditional-q-2"
    assert "radios__conditional" in conditional.attrs["class"]
    assert markup.by_id("q__other").attrs["name"] == "q__other"


def test_long_text_announces_its_limit_and_has_a_polite_live_region() -> None:
    markup = Markup(render(QuestionView(question_of("long_text"), "en")))

    assert markup.by_id("q-info").text.strip() == "You can enter up to 500 characters"
    assert markup.by_id("q-status").attrs["aria-live"] == "polite"
    assert markup.by_id("q").attrs["aria-describedby"] == "q-hint q-info"
    assert "maxlength" not in markup.by_id("q").attrs


def test_a_date_error_on_one_part_highlights_only_that_part() -> None:
    question = question_of("date")
    error = FieldError(code="invalid_month", message="Month must be between 1 and 12", target_id="q-month")
    markup = Markup(render(QuestionView(question, "en", errors={"q": error})))

    in_error = [
        part
        for part in ("day", "month", "year")
        if "input--error" in markup.by_id(f"q-{part}").attrs["class"]
    ]

    assert in_error == ["month"]
    assert markup.all("fieldset")[0].attrs["role"] == "group"


def test_a_grid_has_one_fieldset_per_statement() -> None:
    markup = Markup(render(QuestionView(question_of("grid"), "en")))

    legends = [legend.text.strip() for legend in markup.all("legend")]

    assert legends == ["The paths", "The beds"]
    assert [element.attrs["name"] for element in markup.all("input")] == [
        "q-paths",
        "q-paths",
        "q-beds",
        "q-beds",
    ]


@pytest.mark.parametrize("type_name", CONTENT)
def test_content_blocks_show_their_text_and_take_no_input(type_name: str) -> None:
    html = render(QuestionView(question_of(type_name), "en"))
    markup = Markup(html)

    assert not markup.all("input")
    text = " ".join(element.text for element in markup.elements) + " ".join(
        element.attrs.get("alt", "") for element in markup.all("img")
    )
    expected = {
        "heading": "About your visit",
        "paragraph": "your visit",
        "warning": "Do not share passwords.",
        "image": "A garden with a bench",
    }[type_name]
    assert expected in text
    assert re.search(r"<script|on\w+=", html) is None


def test_a_follow_up_question_says_its_furniture_in_the_views_language() -> None:
    form = load_form_text(
        """
title: Follow-ups
pages:
  - id: the_page
    questions:
      - id: q
        type: radios
        label: Do you drive?
        options:
          - value: "yes"
            label: "Yes"
            follow_up: {id: car, type: text, optional: true, label: Car}
          - {value: "no", label: "No"}
"""
    )
    markup = Markup(render(QuestionView(form.question("q"), "cy")))

    assert [label.text.strip() for label in markup.all("label")] == ["Yes", "Car (dewisol)", "No"]


def test_checkboxes_show_what_was_chosen_option_hints_and_an_or_before_the_exclusive_option() -> None:
    form = load_form_text(
        """
title: Checkboxes
languages: [en, cy]
pages:
  - id: the_page
    questions:
      - id: q
        type: checkboxes
        label: What do you like?
        options:
          - {value: paths, label: The paths, hint: {en: The gravel ones, cy: Y rhai graean}}
          - {value: beds, label: The beds}
          - {value: none, label: None of these, exclusive: true}
"""
    )
    html = render(QuestionView(form.question("q"), "cy", raw={"q": ["beds"]}))
    markup = Markup(html)

    assert [box.attrs.get("checked") for box in markup.all("input")] == [None, "", None]
    assert markup.by_id("q").attrs["aria-describedby"] == "q-item-hint"
    assert markup.by_id("q-item-hint").text == "Y rhai graean"
    assert "aria-describedby" not in markup.by_id("q-2").attrs
    assert markup.by_id("q-3").attrs["data-behaviour"] == "exclusive"
    assert html.index('<div class="checkboxes__divider">neu</div>') < html.index('id="q-3"')
