"""The loader: YAML form definitions become frozen forms, and every author mistake is reported
at its file:line:col with what is wrong and how to fix it."""

from __future__ import annotations

import copy
import datetime as dt
import hashlib
from decimal import Decimal
from pathlib import Path
from textwrap import dedent
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.definition import Text
from engine.loader import (
    LONDON,
    DefinitionErrors,
    PlainLoader,
    load_form,
    load_form_text,
    load_forms,
    pipes_personal,
)


def mistakes(source: str, path: str = "inline.yaml") -> list[str]:
    with pytest.raises(DefinitionErrors) as raised:
        load_form_text(dedent(source), path)
    return [str(error) for error in raised.value.errors]


# --- building forms ---------------------------------------------------------------------------------


def test_top_level_pages_make_one_untitled_section() -> None:
    form = load_form_text(
        dedent("""\
        title: Tell us your name
        pages:
          - id: about
            questions:
              - id: full_name
                type: name
                label: What is your name?
        """)
    )
    assert [section.title for section in form.sections] == [None]
    assert [page.id for page in form.pages] == ["about"]
    assert form.question("full_name").label == Text("What is your name?")


def test_slug_is_the_file_stem_and_version_is_the_hash_of_the_bytes() -> None:
    source = "title: Hi\npages:\n  - id: p\n    questions:\n      - {id: q, type: text, label: Q}\n"
    form = load_form_text(source, "forms/say-hello.yaml")
    assert form.slug == "say-hello"
    assert form.version == hashlib.sha256(source.encode()).hexdigest()
    assert form.source_path == "forms/say-hello.yaml"


def test_yaml_1_1_words_stay_the_strings_the_author_typed() -> None:
    form = load_form_text(
        dedent("""\
        title: no
        contact: {phone: 01865 000000}
        pages:
          - id: version
            questions:
              - id: on
                type: radios
                label: 1.10
                hint: 07
                options:
                  - {value: yes, label: yes}
                  - {value: off, label: off}
        """)
    )
    question = form.question("on")
    assert (str(form.title), str(question.label), str(question.hint)) == ("no", "1.10", "07")
    assert [option.value for option in question.options] == ["yes", "off"]
    assert form.contact is not None
    assert form.contact.phone == "01865 000000"


def test_texts_carry_their_translations_and_easy_read_variants() -> None:
    form = load_form_text(
        dedent("""\
        title: {en: Your name, cy: Eich enw, easy: Name, "easy:cy": Enw}
        languages: [en, cy]
        easy_read: true
        pages:
          - id: about
            questions:
              - {id: full_name, type: name, label: Name}
        """)
    )
    assert form.title.get("cy") == "Eich enw"
    assert form.title.get("cy", easy_read=True) == "Enw"
    assert form.title.get("en", easy_read=True) == "Name"
    assert form.languages == ("en", "cy")


def test_open_and_close_times_are_london_times_and_a_closing_date_lasts_all_day() -> None:
    form = load_form_text(
        dedent("""\
        title: Consultation
        opens: 2026-07-01 09:30
        closes: 2026-07-31
        retention: 2 years
        reference_prefix: CPB
        pages:
          - id: about
            questions:
              - {id: view, type: long_text, label: Your view}
        """)
    )
    assert form.opens == dt.datetime(2026, 7, 1, 9, 30, tzinfo=LONDON)
    assert form.opens is not None
    assert form.opens.utcoffset() == dt.timedelta(hours=1)
    assert form.closes == dt.datetime(2026, 8, 1, 0, 0, tzinfo=LONDON)
    assert form.retention_days == 2 * 366
    assert form.reference_prefix == "CPB"


def test_question_settings_are_converted_to_their_types() -> None:
    form = load_form_text(
        dedent("""\
        title: Claim
        pages:
          - id: claim
            title: Your claim
            questions:
              - {id: amount, type: money, label: Amount, min: 0.01, max: 250}
              - {id: when, type: date, label: Date, must_be: past, earliest: 2026-01-01, latest: today}
              - {id: receipt, type: file, label: Receipt, accept: [PDF, .jpg], max_size: 10MB, max_files: 3}
        """)
    )
    amount, when, receipt = form.page("claim").questions
    assert (amount.min, amount.max) == (Decimal("0.01"), Decimal("250"))
    assert (when.date_rule, when.earliest, when.latest) == ("past", dt.date(2026, 1, 1), "today")
    assert (receipt.accept, receipt.max_size, receipt.max_files) == ((".pdf", ".jpg"), 10 * 1024 * 1024, 3)


def test_content_blocks_need_no_id_and_get_one_no_author_can_write() -> None:
    form = load_form_text(
        dedent("""\
        title: Info
        pages:
          - id: about
            questions:
              - {type: paragraph, body: Read this first.}
              - {id: agree, type: consent, label: I agree}
        """)
    )
    block, agree = form.page("about").questions
    assert block.id == "_about_1"
    assert block.body == Text("Read this first.")
    assert agree.id == "agree"


def test_review_statuses_default_to_new_in_review_and_done() -> None:
    form = load_form_text(
        "title: T\npages:\n  - id: p\n    questions:\n      - {id: q, type: text, label: Q}\n"
    )
    assert [status.value for status in form.review_statuses] == ["new", "in_review", "done"]


def test_follow_up_questions_are_attached_to_their_option() -> None:
    form = load_form_text(
        dedent("""\
        title: Contact
        pages:
          - id: how
            questions:
              - id: contact_by
                type: radios
                label: How should we contact you?
                options:
                  - value: email
                    label: Email
                    follow_up: {id: email_address, type: email, label: Email address}
                  - {value: post, label: Post}
        """)
    )
    option = form.question("contact_by").option("email")
    assert option is not None
    assert option.follow_up is not None
    assert form.question("email_address").type == "email"


def test_a_question_or_option_may_say_which_old_id_it_replaces() -> None:
    form = load_form_text(
        dedent("""\
        title: Travel
        pages:
          - id: how
            questions:
              - id: travel_mode
                replaces: transport
                type: radios
                label: How did you travel?
                options:
                  - {value: bus, label: Bus, replaces: coach}
                  - {value: walk, label: Walking}
        """)
    )
    question = form.question("travel_mode")
    assert question.replaces == "transport"
    assert [option.replaces for option in question.options] == ["coach", None]


def test_replaces_must_be_an_id() -> None:
    source = (
        "title: T\npages:\n  - id: p\n    questions:\n"
        "      - {id: q, replaces: Old Q, type: text, label: Q}\n"
    )
    assert mistakes(source) == ["inline.yaml:5:27: replaces 'Old Q' contains a space. Fix: use old_q"]


def test_a_text_piping_a_personal_answer_is_personal() -> None:
    form = load_form_text(
        dedent("""\
        title: Thanks
        pages:
          - id: who
            questions:
              - {id: full_name, type: name, label: Name, personal: true}
              - {id: town, type: text, label: Town}
            title: About you
          - id: more
            questions:
              - {id: anything_else, type: long_text, label: "Anything else, ((full_name))?"}
        """)
    )
    assert pipes_personal(form, form.question("anything_else").label)
    assert not pipes_personal(form, Text("Anything else about ((town))?"))


def test_questions_on_a_repeating_page_are_seen_by_later_questions_on_that_page_only() -> None:
    form = load_form_text(
        dedent("""\
        title: Journeys
        pages:
          - id: journeys
            title: Your journeys
            repeat: {item_name: journey, min: 1, max: 5}
            questions:
              - id: mode
                type: radios
                label: How did you travel
                options: [{value: car, label: Car}, {value: bus, label: Bus}]
              - {id: miles, type: number, label: Miles, show_if: "selected(mode, 'car')"}
          - id: total
            show_if: "count(journeys) > 1"
            questions:
              - {id: why, type: text, label: Why so many}
        """)
    )
    repeat = form.page("journeys").repeat
    assert repeat is not None
    assert (repeat.item_name, repeat.min_items, repeat.max_items) == (Text("journey"), 1, 5)
    assert mistakes(
        """\
        title: Journeys
        pages:
          - id: journeys
            repeat: {item_name: journey}
            questions:
              - {id: miles, type: number, label: Miles}
          - id: total
            show_if: "miles > 10"
            questions:
              - {id: why, type: text, label: Why so far}
        """
    ) == [
        "inline.yaml:8:15: show_if: 'miles' is answered once per item of the repeating page 'journeys', "
        "so not here. Fix: use count(journeys), or ask the question on a page that does not repeat"
    ]


def test_every_mistake_is_reported_not_only_the_first() -> None:
    assert mistakes(
        """\
        title: Two mistakes
        retention: forever
        pages:
          - id: about
            questions:
              - {id: q, type: text, label: Q, optional: maybe}
        """
    ) == [
        "inline.yaml:2:12: retention 'forever' is not a period of time. "
        "Fix: write a number and days, weeks, months or years, such as 2 years",
        "inline.yaml:6:49: optional must be true or false, not 'maybe'. Fix: write true or false",
    ]


def test_load_forms_reads_subfolders_and_skips_broken_and_non_yaml_files(tmp_path: Path) -> None:
    (tmp_path / "examples").mkdir()
    valid = "title: T\npages:\n  - id: p\n    questions:\n      - {id: q, type: text, label: Q}\n"
    (tmp_path / "one.yaml").write_text(valid)
    (tmp_path / "examples" / "two.yaml").write_text(valid)
    (tmp_path / "broken.yaml").write_text("title: T\n")
    (tmp_path / "schema.json").write_text("{}")
    forms, errors = load_forms(tmp_path)
    assert sorted(forms) == ["one", "two"]
    assert [str(error) for error in errors] == [
        f"{tmp_path / 'broken.yaml'}:1:1: the form has no pages. Fix: add pages: with at least one page"
    ]


def test_two_forms_with_one_name_in_different_folders_are_reported(tmp_path: Path) -> None:
    (tmp_path / "examples").mkdir()
    valid = "title: T\npages:\n  - id: p\n    questions:\n      - {id: q, type: text, label: Q}\n"
    (tmp_path / "same.yaml").write_text(valid)
    (tmp_path / "examples" / "same.yaml").write_text(valid)
    forms, errors = load_forms(tmp_path)
    assert list(forms) == ["same"]
    assert [str(error) for error in errors] == [
        f"{tmp_path / 'same.yaml'}:1:1: another form is also called 'same' "
        f"({tmp_path / 'examples' / 'same.yaml'})."
        " Fix: rename one of the files; the file name is the form's address"
    ]


def test_bundled_forms_load_without_mistakes() -> None:
    forms, errors = load_forms(Path(__file__).resolve().parent.parent / "forms")
    assert [str(error) for error in errors] == []
    assert "every-question-type" in forms


def test_load_form_reads_a_file(tmp_path: Path) -> None:
    path = tmp_path / "hello.yaml"
    path.write_text(
        "title: Hello\npages:\n  - id: p\n    questions:\n      - {id: q, type: text, label: Q}\n"
    )
    assert load_form(path).slug == "hello"


# --- the file and its YAML --------------------------------------------------------------------------


def test_file_name_must_be_kebab_case() -> None:
    assert mistakes(
        "title: T\npages:\n  - id: p\n    questions:\n      - {id: q, type: text, label: Q}\n", "My Form.yaml"
    ) == [
        "My Form.yaml:1:1: the file name 'My Form' is not lower-case words joined by hyphens. "
        "Fix: rename the file to my-form.yaml"
    ]


def test_yaml_syntax_errors_point_at_the_problem() -> None:
    assert mistakes("title: T\npages:\n  - id: p\n\tquestions: []\n") == [
        "inline.yaml:4:1: YAML syntax: found character '\\t' that cannot start any token. "
        "Fix: indent with spaces, not tabs"
    ]


def test_duplicate_keys_are_rejected() -> None:
    assert mistakes(
        """\
        title: T
        title: Again
        pages:
          - id: p
            questions:
              - {id: q, type: text, label: Q}
        """
    ) == ["inline.yaml:2:1: 'title' is given twice (first at line 1). Fix: remove one of them"]


def test_aliases_are_rejected() -> None:
    assert mistakes(
        """\
        title: &t T
        summary: *t
        pages: []
        """
    ) == ["inline.yaml:2:10: YAML aliases (*name) are not supported. Fix: write the value out in full"]


def test_files_over_one_megabyte_are_rejected() -> None:
    assert mistakes("title: T\n" + "# padding\n" * 110_000) == [
        "inline.yaml:1:1: the file is 1074 KB, over the 1 MB limit. Fix: split the form"
    ]


def test_an_empty_file_is_reported() -> None:
    assert mistakes("") == ["inline.yaml:1:1: the file is empty. Fix: start with title: and pages:"]


# --- checker rules, one broken definition each --------------------------------------------------------


def test_unknown_key_suggests_the_key_meant() -> None:
    assert mistakes(
        """\
        title: T
        pages:
          - id: about
            questions:
              - id: full_name
                type: text
                label: Name
                hitn: As on your passport
        """
    ) == ["inline.yaml:8:9: unknown key 'hitn' in a question. Fix: did you mean hint?"]


def test_missing_required_key_is_reported_on_its_object() -> None:
    assert mistakes(
        """\
        title: T
        pages:
          - id: about
            questions:
              - id: full_name
                label: Name
        """
    ) == ["inline.yaml:5:9: a question has no 'type'. Fix: add type: (the question type)"]


def test_booleans_accept_only_true_or_false() -> None:
    assert mistakes(
        """\
        title: T
        sensitive: yes
        pages:
          - id: about
            questions:
              - {id: q, type: text, label: Q}
        """
    ) == [
        "inline.yaml:2:12: sensitive must be true or false, not 'yes' (YAML 1.1 words such as yes and on "
        "are not booleans here). Fix: write true or false"
    ]


def test_a_number_setting_must_be_a_whole_number() -> None:
    assert mistakes(
        """\
        title: T
        pages:
          - id: about
            questions:
              - {id: q, type: text, label: Q, max_length: ten}
        """
    ) == ["inline.yaml:5:51: max_length must be a whole number, not 'ten'. Fix: write a number such as 1"]


def test_a_text_given_a_list_is_the_wrong_type() -> None:
    assert mistakes(
        """\
        title: [T]
        pages:
          - id: about
            questions:
              - {id: q, type: text, label: Q}
        """
    ) == ["inline.yaml:1:8: title should be a single value, found a list. Fix: write title on one line"]


def test_ids_must_be_snake_case_and_the_fix_gives_the_spelling() -> None:
    assert mistakes(
        """\
        title: T
        pages:
          - id: about
            questions:
              - {id: fullName, type: text, label: Name}
        """
    ) == [
        "inline.yaml:5:14: question id 'fullName' must be lower-case letters, digits and underscores, "
        "starting a-z. Fix: use full_name"
    ]


def test_ids_are_unique_across_the_form() -> None:
    assert mistakes(
        """\
        title: T
        pages:
          - id: about
            questions:
              - {id: about, type: text, label: Name}
        """
    ) == [
        "inline.yaml:5:14: question id 'about' is already used at line 3. "
        "Fix: give this one another id, such as about_2"
    ]


def test_a_page_id_cannot_be_a_word_of_the_forms_own_addresses() -> None:
    assert mistakes(
        """\
        title: T
        pages:
          - id: save
            questions:
              - {id: name, type: text, label: Name}
          - id: preview
            questions:
              - {id: email, type: email, label: Email}
        """
    ) == [
        "inline.yaml:3:9: page id 'save' is taken by the address /forms/<slug>/save. "
        "Fix: choose another page id, such as save_page",
        "inline.yaml:6:9: page id 'preview' is taken by the address /forms/<slug>/preview. "
        "Fix: choose another page id, such as preview_page",
    ]


def test_option_value_with_a_space_suggests_underscores() -> None:
    assert mistakes(
        """\
        title: T
        pages:
          - id: about
            questions:
              - id: sure
                type: radios
                label: Are you sure?
                options:
                  - {value: not sure, label: Not sure}
        """
    ) == ["inline.yaml:9:21: option value 'not sure' contains a space. Fix: use not_sure"]


def test_option_values_are_unique_within_a_question() -> None:
    assert mistakes(
        """\
        title: T
        pages:
          - id: about
            questions:
              - id: sure
                type: radios
                label: Are you sure?
                options:
                  - {value: yes, label: Yes}
                  - {value: yes, label: Definitely}
        """
    ) == [
        "inline.yaml:10:21: option value 'yes' is already used at line 9. Fix: give each option its own value"
    ]


def test_unknown_question_type_suggests_the_type_meant() -> None:
    assert mistakes(
        """\
        title: T
        pages:
          - id: about
            questions:
              - {id: colour, type: checkbox, label: Colours}
        """
    ) == ["inline.yaml:5:28: there is no question type 'checkbox'. Fix: did you mean checkboxes?"]


def test_a_setting_the_type_does_not_take_is_rejected() -> None:
    assert mistakes(
        """\
        title: T
        pages:
          - id: about
            questions:
              - {id: ok, type: yes_no, label: Is it OK, max_length: 10}
        """
    ) == [
        "inline.yaml:5:61: 'max_length' is not a setting of a yes_no question. Fix: remove it; "
        "a yes_no question takes image"
    ]


def test_a_choice_question_needs_options() -> None:
    assert mistakes(
        """\
        title: T
        pages:
          - id: about
            questions:
              - {id: colour, type: radios, label: Colour}
        """
    ) == [
        "inline.yaml:5:9: a radios question needs options. Fix: add options: with a value and label for each"
    ]


def test_a_grid_needs_statements() -> None:
    assert mistakes(
        """\
        title: T
        pages:
          - id: about
            questions:
              - id: rate
                type: grid
                label: Rate us
                options: [{value: good, label: Good}, {value: bad, label: Bad}]
        """
    ) == [
        "inline.yaml:5:9: a grid question needs statements (its rows). "
        "Fix: add statements: with a value and label for each row"
    ]


def test_min_greater_than_max_is_rejected() -> None:
    assert mistakes(
        """\
        title: T
        pages:
          - id: about
            questions:
              - {id: age, type: number, label: Age, min: 100, max: 18}
        """
    ) == ["inline.yaml:5:50: min (100) is more than max (18). Fix: make min no more than max"]


def test_a_date_that_does_not_exist_is_rejected() -> None:
    assert mistakes(
        """\
        title: T
        pages:
          - id: about
            questions:
              - {id: born, type: date, label: Born, earliest: 2026-02-30}
        """
    ) == [
        "inline.yaml:5:55: earliest '2026-02-30' is not a date. Fix: write a real date as YYYY-MM-DD or today"
    ]


def test_a_form_cannot_close_before_it_opens() -> None:
    assert mistakes(
        """\
        title: T
        opens: 2026-09-01 09:00
        closes: 2026-08-01
        pages:
          - id: about
            questions:
              - {id: q, type: text, label: Q}
        """
    ) == [
        "inline.yaml:3:9: the form closes (2026-08-01) before it opens (2026-09-01 09:00). "
        "Fix: make closes later than opens"
    ]


def test_retention_must_be_a_period() -> None:
    assert mistakes(
        """\
        title: T
        retention: 2 yrs
        pages:
          - id: about
            questions:
              - {id: q, type: text, label: Q}
        """
    ) == [
        "inline.yaml:2:12: retention '2 yrs' is not a period of time. "
        "Fix: write a number and days, weeks, months or years, such as 2 years"
    ]


def test_reference_prefix_must_be_two_to_five_capitals() -> None:
    assert mistakes(
        """\
        title: T
        reference_prefix: cp-b
        pages:
          - id: about
            questions:
              - {id: q, type: text, label: Q}
        """
    ) == ["inline.yaml:2:19: reference_prefix 'cp-b' must be 2 to 5 capital letters. Fix: use CPB"]


def test_a_text_variant_for_a_language_the_form_does_not_offer() -> None:
    assert mistakes(
        """\
        title: {en: Hello, cy: Helo}
        pages:
          - id: about
            questions:
              - {id: q, type: text, label: Q}
        """
    ) == [
        "inline.yaml:1:20: text variant 'cy' is for a language the form does not offer (en). "
        "Fix: add cy to languages, or remove this variant"
    ]


def test_an_easy_read_variant_needs_easy_read_on_the_form() -> None:
    assert mistakes(
        """\
        title: {en: Apply to join the board, easy: Join the board}
        pages:
          - id: about
            questions:
              - {id: q, type: text, label: Q}
        """
    ) == [
        "inline.yaml:1:38: an easy-read text needs easy_read: true on the form. "
        "Fix: add easy_read: true at the top of the form, or remove this variant"
    ]


def test_expression_syntax_errors_point_inside_the_expression() -> None:
    assert mistakes(
        """\
        title: T
        pages:
          - id: about
            questions:
              - {id: age, type: number, label: Age}
          - id: older
            show_if: "age >"
            questions:
              - {id: q, type: text, label: Q}
        """
    ) == [
        "inline.yaml:7:20: show_if: the expression ends too early after '>'. "
        "Fix: finish the condition, for example role = 'carer'"
    ]


def test_an_unknown_name_in_an_expression_is_reported() -> None:
    assert mistakes(
        """\
        title: T
        pages:
          - id: about
            questions:
              - {id: age, type: number, label: Age}
          - id: older
            show_if: "aeg >= 18"
            questions:
              - {id: q, type: text, label: Q}
        """
    ) == [
        "inline.yaml:7:15: show_if: there is no earlier question or repeating page called 'aeg'. "
        "Fix: did you mean age?"
    ]


def test_an_expression_cannot_use_a_question_asked_later() -> None:
    assert mistakes(
        """\
        title: T
        pages:
          - id: about
            show_if: "age >= 18"
            questions:
              - {id: q, type: text, label: Q}
          - id: older
            questions:
              - {id: age, type: number, label: Age}
        """
    ) == [
        "inline.yaml:4:15: show_if: 'age' is asked later (on page 'older'), so it has no answer yet here. "
        "Fix: refer only to questions asked before this point, or move that question earlier"
    ]


def test_a_page_show_if_cannot_use_a_question_on_the_same_page() -> None:
    assert mistakes(
        """\
        title: T
        pages:
          - id: about
            show_if: "answered(age)"
            questions:
              - {id: age, type: number, label: Age}
        """
    ) == [
        "inline.yaml:4:24: show_if: 'age' is asked on this same page, so the page's show_if cannot depend "
        "on it. Fix: move the question to an earlier page, or put the show_if on the questions instead"
    ]


def test_selected_with_a_value_the_question_does_not_offer() -> None:
    assert mistakes(
        """\
        title: T
        pages:
          - id: about
            questions:
              - {id: role, type: radios, label: Role, options: [{value: carer, label: Carer}]}
          - id: carers
            show_if: "selected(role, 'carrer')"
            questions:
              - {id: q, type: text, label: Q}
        """
    ) == [
        "inline.yaml:7:30: show_if: 'carrer' is not an option of 'role'. "
        "Fix: did you mean 'carer'? The options are carer"
    ]


def test_goto_an_unknown_page_suggests_the_page_meant() -> None:
    assert mistakes(
        """\
        title: T
        pages:
          - id: about
            questions:
              - {id: q, type: text, label: Q}
            next:
              - goto: thank_yuo
          - id: thank_you
            questions:
              - {id: r, type: text, label: R}
        """
    ) == ["inline.yaml:7:15: goto 'thank_yuo' is not a page of this form. Fix: did you mean thank_you?"]


def test_routing_may_only_go_forward() -> None:
    assert mistakes(
        """\
        title: T
        pages:
          - id: first
            questions:
              - {id: q, type: yes_no, label: Q}
          - id: second
            questions:
              - {id: r, type: text, label: R}
            next:
              - {if: "q = true", goto: first}
        """
    ) == [
        "inline.yaml:10:32: goto 'first' goes back from page 'second', so the journey could loop. "
        "Fix: route only forward: move page 'first' after 'second', or use show_if instead"
    ]


def test_a_route_after_one_that_always_applies_can_never_be_taken() -> None:
    assert mistakes(
        """\
        title: T
        pages:
          - id: first
            questions:
              - {id: q, type: yes_no, label: Q}
            next:
              - goto: check_answers
              - {if: "q = true", goto: second}
          - id: second
            questions:
              - {id: r, type: text, label: R}
        """
    ) == [
        "inline.yaml:8:9: this route can never be taken: the route at line 7 has no if:, so it is always "
        "taken first. Fix: remove this route, or add if: to the earlier one"
    ]


def test_an_exit_page_cannot_have_questions() -> None:
    assert mistakes(
        """\
        title: T
        pages:
          - id: where
            questions:
              - {id: local, type: yes_no, label: Do you live here}
            next:
              - {if: "local = false", goto: sorry}
          - id: sorry
            exit: true
            title: You cannot apply
            questions:
              - {id: q, type: text, label: Q}
        """
    ) == [
        "inline.yaml:12:7: an exit page cannot have questions. "
        "Fix: move the questions to another page, or remove exit: true"
    ]


def test_an_exit_page_cannot_route_anywhere() -> None:
    assert mistakes(
        """\
        title: T
        pages:
          - id: where
            questions:
              - {id: local, type: yes_no, label: Do you live here}
            next:
              - {if: "local = false", goto: sorry}
          - id: sorry
            exit: true
            title: You cannot apply
            next:
              - goto: check_answers
        """
    ) == [
        "inline.yaml:12:7: an exit page ends the journey, so it cannot route anywhere. "
        "Fix: remove next:, or remove exit: true"
    ]


def test_an_exit_page_no_route_goes_to_is_reported() -> None:
    assert mistakes(
        """\
        title: T
        pages:
          - id: where
            questions:
              - {id: local, type: yes_no, label: Do you live here}
          - id: sorry
            exit: true
            title: You cannot apply
        """
    ) == [
        "inline.yaml:6:5: no route goes to exit page 'sorry', so no one will see it. "
        "Fix: add next: with if: and goto: sorry to an earlier page, or remove the page"
    ]


def test_custom_error_wording_needs_a_known_error_code() -> None:
    assert mistakes(
        """\
        title: T
        pages:
          - id: about
            questions:
              - id: full_name
                type: name
                label: Name
                errors: {requried: Enter your name}
        """
    ) == ["inline.yaml:8:18: there is no error code 'requried'. Fix: did you mean required?"]


def test_piping_an_unknown_question_is_reported_at_the_placeholder() -> None:
    assert mistakes(
        """\
        title: T
        pages:
          - id: about
            questions:
              - {id: full_name, type: name, label: Name}
          - id: thanks
            questions:
              - {id: q, type: text, label: "Thanks ((ful_name)), anything else?"}
        """
    ) == ["inline.yaml:8:44: ((ful_name)) is not a question of this form. Fix: did you mean ((full_name))?"]


def test_piping_a_later_question_is_reported() -> None:
    assert mistakes(
        """\
        title: T
        pages:
          - id: about
            questions:
              - {id: q, type: text, label: "Hello ((full_name))"}
          - id: names
            questions:
              - {id: full_name, type: name, label: Name}
        """
    ) == [
        "inline.yaml:5:43: ((full_name)) is asked later (on page 'names'), so it has no answer yet here. "
        "Fix: refer only to questions asked before this point, or move that question earlier"
    ]


def test_exclusive_applies_only_to_checkboxes() -> None:
    assert mistakes(
        """\
        title: T
        pages:
          - id: about
            questions:
              - id: pet
                type: radios
                label: Pet
                options:
                  - {value: cat, label: Cat}
                  - {value: none, label: None, exclusive: true}
        """
    ) == [
        "inline.yaml:10:51: exclusive only applies to checkboxes, not radios. "
        "Fix: remove exclusive: true; a respondent already picks only one option here"
    ]


def test_a_question_has_at_most_one_other_option() -> None:
    assert mistakes(
        """\
        title: T
        pages:
          - id: about
            questions:
              - id: pet
                type: checkboxes
                label: Pets
                options:
                  - {value: cat, label: Cat}
                  - {value: other, label: Other, other: true}
                  - {value: another, label: Another, other: true}
        """
    ) == [
        "inline.yaml:11:53: the question already has an 'other' option. "
        "Fix: keep other: true on one option only"
    ]


def test_an_image_needs_alt_text() -> None:
    assert mistakes(
        """\
        title: T
        pages:
          - id: about
            questions:
              - {type: image, image: {src: garden.svg}}
        """
    ) == ["inline.yaml:5:30: an image has no 'alt'. Fix: add alt: (alternative text)"]


def test_an_unknown_autocomplete_token_is_rejected() -> None:
    assert mistakes(
        """\
        title: T
        pages:
          - id: about
            questions:
              - {id: q, type: text, label: Name, autocomplete: given_name}
        """
    ) == [
        "inline.yaml:5:56: autocomplete 'given_name' is not an HTML autocomplete token. "
        "Fix: did you mean given-name?"
    ]


def test_a_pattern_re2_cannot_run_is_rejected() -> None:
    assert mistakes(
        r"""        title: T
        pages:
          - id: about
            questions:
              - {id: q, type: text, label: Code, pattern: '(\w)\1'}
        """
    ) == [
        r"inline.yaml:5:51: pattern '(\w)\1' cannot be used: invalid escape sequence: \1. "
        "Fix: write an re2 pattern (no lookarounds or backreferences)"
    ]


def test_an_unknown_file_extension_is_rejected() -> None:
    assert mistakes(
        """\
        title: T
        pages:
          - id: about
            questions:
              - {id: f, type: file, label: Upload, accept: [pdf, dcox]}
        """
    ) == ["inline.yaml:5:58: 'dcox' is not a file type coform accepts. Fix: did you mean docx?"]


def test_max_size_must_be_a_size() -> None:
    assert mistakes(
        """\
        title: T
        pages:
          - id: about
            questions:
              - {id: f, type: file, label: Upload, max_size: ten megs}
        """
    ) == [
        "inline.yaml:5:54: max_size 'ten megs' is not a size. Fix: write a number and KB or MB, such as 10MB"
    ]


def test_max_size_over_25mb_is_rejected() -> None:
    assert mistakes(
        """\
        title: T
        pages:
          - id: about
            questions:
              - {id: f, type: file, label: Upload, max_size: 30MB}
        """
    ) == ["inline.yaml:5:54: max_size '30MB' is not between 1 byte and 25MB. Fix: use 25MB or less"]


def test_repeat_min_above_max_is_rejected() -> None:
    assert mistakes(
        """\
        title: T
        pages:
          - id: journeys
            repeat: {item_name: journey, min: 5, max: 2}
            questions:
              - {id: q, type: text, label: Q}
        """
    ) == ["inline.yaml:4:39: repeat min (5) is more than max (2). Fix: make min no more than max"]


def test_a_form_needs_pages() -> None:
    assert mistakes("title: T\n") == [
        "inline.yaml:1:1: the form has no pages. Fix: add pages: with at least one page"
    ]


def test_a_page_without_questions_must_be_an_exit_page() -> None:
    assert mistakes(
        """\
        title: T
        pages:
          - id: about
            title: About
        """
    ) == [
        "inline.yaml:3:5: page 'about' has no questions. "
        "Fix: add questions:, or make it an exit page with exit: true"
    ]


def test_a_page_with_several_questions_needs_a_title() -> None:
    assert mistakes(
        """\
        title: T
        pages:
          - id: about
            questions:
              - {id: q, type: text, label: Q}
              - {id: r, type: text, label: R}
        """
    ) == ["inline.yaml:3:5: page 'about' has 2 questions but no title. Fix: add a title: to head the page"]


def test_follow_ups_need_radios_or_checkboxes() -> None:
    assert mistakes(
        """\
        title: T
        pages:
          - id: about
            questions:
              - id: pet
                type: dropdown
                label: Pet
                options:
                  - {value: cat, label: Cat, follow_up: {id: name, type: text, label: Name}}
        """
    ) == [
        "inline.yaml:9:49: a follow_up question needs radios or checkboxes, not dropdown. "
        "Fix: change the type to radios or checkboxes, or ask the follow-up on its own page"
    ]


def test_follow_ups_cannot_be_nested() -> None:
    assert mistakes(
        """\
        title: T
        pages:
          - id: about
            questions:
              - id: pet
                type: radios
                label: Pet
                options:
                  - value: cat
                    label: Cat
                    follow_up:
                      id: breed
                      type: radios
                      label: Breed
                      options:
                        - {value: tabby, label: Tabby, follow_up: {id: age, type: number, label: Age}}
        """
    ) == [
        "inline.yaml:16:59: a follow_up question cannot have follow-ups of its own. "
        "Fix: ask the second follow-up on a later page, using show_if"
    ]


def test_a_contact_must_give_a_way_to_reach_someone() -> None:
    assert mistakes(
        """\
        title: T
        contact: {name: Co-production team}
        pages:
          - id: about
            questions:
              - {id: q, type: text, label: Q}
        """
    ) == ["inline.yaml:2:10: contact gives no way to reach anyone. Fix: add an email, phone or details"]


def test_alert_addresses_must_be_email_addresses() -> None:
    assert mistakes(
        """\
        title: T
        alerts: [team.example.org]
        pages:
          - id: about
            questions:
              - {id: q, type: text, label: Q}
        """
    ) == [
        "inline.yaml:2:10: alert address 'team.example.org' is not an email address. "
        "Fix: write an address such as team@example.gov.uk"
    ]


def test_a_task_list_needs_titled_sections() -> None:
    assert mistakes(
        """\
        title: T
        task_list: true
        sections:
          - id: about_you
            title: About you
            pages:
              - id: about
                questions:
                  - {id: q, type: text, label: Q}
          - id: more
            pages:
              - id: other
                questions:
                  - {id: r, type: text, label: R}
        """
    ) == [
        "inline.yaml:10:5: section 'more' has no title, but the form shows a task list. "
        "Fix: add a title to every section, or set task_list: false"
    ]


def test_languages_must_be_known_codes() -> None:
    assert mistakes(
        """\
        title: T
        languages: [en, wales]
        pages:
          - id: about
            questions:
              - {id: q, type: text, label: Q}
        """
    ) == [
        "inline.yaml:2:17: 'wales' is not a language code. "
        "Fix: use a two-letter ISO 639-1 code such as en or cy"
    ]


def test_a_form_has_sections_or_pages_not_both() -> None:
    assert mistakes(
        """\
        title: T
        sections: []
        pages: []
        """
    ) == [
        "inline.yaml:3:8: the form has both sections: and pages:. "
        "Fix: put the pages inside sections, or remove sections:"
    ]


# --- whatever the file holds, the loader answers with a form or definition errors ----------------------

RICH_FORM = """\
title: {en: Join the board, cy: Ymuno, easy: Join}
languages: [en, cy]
easy_read: true
opens: 2026-09-01 09:00
closes: 2027-03-31
retention: 2 years
reference_prefix: CPB
contact: {name: Team, email: team@example.org}
alerts: [team@example.org]
task_list: true
sections:
  - id: about_you
    title: About you
    pages:
      - id: where
        questions:
          - id: role
            type: radios
            label: Your role
            personal: true
            options:
              - {value: carer, label: Carer, follow_up: {id: cared_for, type: text, label: Who}}
              - {value: other_role, label: Other, other: true}
        next:
          - {if: "selected(role, 'carer')", goto: journeys}
      - id: age_page
        questions:
          - {id: age, type: number, label: "Age of ((role))", min: 14, max: 120}
      - id: journeys
        repeat: {item_name: journey, min: 1, max: 5}
        title: Journeys
        questions:
          - {id: miles, type: decimal, label: Miles}
          - {id: why, type: text, label: Why, show_if: "miles > 10"}
  - id: finish
    title: Finish
    show_if: "count(journeys) > 0 and age >= 14"
    pages:
      - id: upload
        questions:
          - {id: proof, type: file, label: Proof, accept: [pdf], max_size: 5MB}
          - {type: paragraph, body: Thanks}
        title: Proof
        next:
          - {if: "age > 100", goto: stop}
      - id: stop
        exit: true
        title: Stop
        body: Sorry
"""


def _paths(tree: object, path: tuple[object, ...] = ()) -> list[tuple[object, ...]]:
    """Every place in a parsed document: ("sections", 0, "pages") and so on."""
    found = [path]
    if isinstance(tree, dict):
        for key, value in tree.items():
            found.extend(_paths(value, (*path, key)))
    elif isinstance(tree, list):
        for index, value in enumerate(tree):
            found.extend(_paths(value, (*path, index)))
    return found


def _yaml_values() -> st.SearchStrategy[object]:
    scalars = st.one_of(
        st.text(max_size=20), st.sampled_from(["", "yes", "no", "1.10", "07", "((age))", "*x"])
    )
    return st.recursive(
        scalars,
        lambda children: st.one_of(
            st.lists(children, max_size=3), st.dictionaries(st.text(max_size=8), children)
        ),
        max_leaves=6,
    )


@st.composite
def mutated_forms(draw: st.DrawFn) -> str:
    tree = yaml.load(RICH_FORM, Loader=PlainLoader)
    for _ in range(draw(st.integers(1, 3))):
        path = draw(st.sampled_from(_paths(tree)[1:]))
        parent: Any = tree
        for step in path[:-1]:
            parent = parent[step]
        last: Any = path[-1]
        action = draw(st.sampled_from(["delete", "replace", "duplicate", "swap"]))
        if action == "delete":
            del parent[last]
        elif action == "duplicate" and isinstance(parent, list):
            parent.insert(last, copy.deepcopy(parent[last]))
        elif action == "swap":
            value = parent[last]
            parent[last] = [value] if not isinstance(value, list) else {"x": value}
        else:
            parent[last] = draw(_yaml_values())
    text = yaml.safe_dump(tree, allow_unicode=True, sort_keys=False)
    if draw(st.booleans()):
        lines = text.splitlines(keepends=True)
        at = draw(st.integers(0, len(lines)))
        lines.insert(at, draw(st.text(max_size=30)) + "\n")
        text = "".join(lines)
    return text


def test_the_rich_form_used_for_mutations_is_valid() -> None:
    form = load_form_text(RICH_FORM)
    assert [page.id for page in form.pages] == ["where", "age_page", "journeys", "upload", "stop"]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated_forms())
def test_mutated_definitions_give_a_form_or_definition_errors_never_a_crash(source: str) -> None:
    try:
        load_form_text(source)
    except DefinitionErrors as problems:
        errors = problems.errors
    else:
        return
    assert errors
    assert all(error.line >= 1 and error.column >= 1 and error.message and error.fix for error in errors)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=200))
def test_random_text_gives_definition_errors_never_a_crash(source: str) -> None:
    with pytest.raises(DefinitionErrors):
        load_form_text(source)


def test_a_control_character_is_reported_where_it_is() -> None:
    assert mistakes("title: T\npages:\n  - id: p\x00\n") == [
        "inline.yaml:3:10: the file holds a control character (#x00). Fix: delete it"
    ]
