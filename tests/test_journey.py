"""Which pages a respondent sees, where Continue and Back lead, and which answers are submitted."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from engine.definition import CHECK_ANSWERS, Form, Option, Page, Question, Repeat, Route, Section, Text
from engine.expressions import Expression, parse
from engine.journey import (
    End,
    PageNotOnPath,
    can_visit,
    check_answers_rows,
    first_incomplete_page,
    next_page,
    page_complete,
    path,
    pipe,
    previous_page,
    progress,
    relevant_answers,
    task_list,
)
from engine.questions import QUESTION_TYPES

TODAY = dt.date(2026, 11, 26)


# --- tiny builders: a form is a few lines of python next to the assertion ----------------------


def question(qid: str, type: str = "text", label: str | None = None, **settings: Any) -> Question:
    return Question(id=qid, type=type, label=Text(label or qid.replace("_", " ").capitalize()), **settings)


def choice(value: str, **settings: Any) -> Option:
    return Option(value=value, label=Text(value.replace("_", " ").capitalize()), **settings)


def page(pid: str, *questions: Question, **settings: Any) -> Page:
    return Page(id=pid, questions=questions, **settings)


def goto(target: str, condition: str | None = None) -> Route:
    return Route(goto=target, when=when(condition))


def when(source: str | None) -> Expression | None:
    return parse(source) if source else None


def section(sid: str, *pages: Page, show_if: str | None = None) -> Section:
    return Section(id=sid, title=Text(sid.replace("_", " ").capitalize()), pages=pages, show_if=when(show_if))


def form(*sections: Section) -> Form:
    return Form(slug="test", version="1", title=Text("Test form"), sections=sections)


def pages_form(*pages: Page) -> Form:
    """A form written with top-level `pages:`: one untitled section."""
    return Form(slug="test", version="1", title=Text("Test form"), sections=(Section("main", None, pages),))


def ids(form_: Form, answers: dict[str, Any]) -> tuple[str, ...]:
    return path(form_, answers, TODAY).page_ids


def eligibility_form() -> Form:
    """Live in Oxfordshire? No -> exit page. Yes -> name, then (carers only) the person cared for."""
    return pages_form(
        page(
            "where",
            question("lives_here", "yes_no"),
            routes=(goto("not_eligible", "lives_here = false"),),
        ),
        page("name", question("full_name")),
        page("role", question("role", "radios", options=(choice("carer"), choice("young_person")))),
        page("cared_for", question("cared_for_name"), show_if=parse("selected(role, 'carer')")),
        page("ideas", question("ideas", "long_text", optional=True)),
        page("not_eligible", exit=True, body=Text("You cannot apply.")),
    )


# --- the route --------------------------------------------------------------------------------


def test_route_covers_every_visible_page_once_everything_is_answered() -> None:
    answers = {"lives_here": True, "full_name": "Sam", "role": "carer", "cared_for_name": "Alex"}

    route = path(eligibility_form(), answers, TODAY)

    assert route.page_ids == ("where", "name", "role", "cared_for", "ideas")
    assert route.end is End.CHECK_ANSWERS
    assert route.current is None


def test_route_stops_at_the_first_page_not_yet_complete() -> None:
    route = path(eligibility_form(), {"lives_here": True, "role": "carer"}, TODAY)

    assert route.page_ids == ("where", "name")
    assert route.end is End.UNFINISHED
    assert route.current is not None
    assert route.current.id == "name"


def test_page_whose_show_if_is_false_is_skipped() -> None:
    answers = {"lives_here": True, "full_name": "Sam", "role": "young_person"}

    assert ids(eligibility_form(), answers) == ("where", "name", "role", "ideas")


def test_section_whose_show_if_is_false_is_skipped_with_all_its_pages() -> None:
    form_ = form(
        section(
            "about", page("role", question("role", "radios", options=(choice("carer"), choice("parent"))))
        ),
        section(
            "caring",
            page("cared_for", question("cared_for_name")),
            page("hours", question("hours", "number")),
            show_if="selected(role, 'carer')",
        ),
        section("finally", page("ideas", question("ideas"))),
    )

    assert ids(form_, {"role": "parent", "ideas": "More buses"}) == ("role", "ideas")
    assert ids(form_, {"role": "carer"}) == ("role", "cared_for")


def test_route_skips_ahead_past_the_pages_in_between() -> None:
    form_ = pages_form(
        page("has_job", question("has_job", "yes_no"), routes=(goto("ideas", "has_job = false"),)),
        page("employer", question("employer")),
        page("hours", question("hours", "number")),
        page("ideas", question("ideas")),
    )

    assert ids(form_, {"has_job": False, "ideas": "More buses"}) == ("has_job", "ideas")
    assert ids(form_, {"has_job": True}) == ("has_job", "employer")


def test_first_matching_route_wins_and_no_match_means_the_next_page() -> None:
    form_ = pages_form(
        page(
            "age",
            question("age", "number"),
            routes=(goto("adult", "age >= 18"), goto("teen", "age >= 13")),
        ),
        page("child", question("child_school")),
        page("teen", question("teen_school")),
        page("adult", question("adult_work")),
    )

    assert ids(form_, {"age": 30})[:2] == ("age", "adult")
    assert ids(form_, {"age": 15})[:2] == ("age", "teen")
    assert ids(form_, {"age": 9})[:2] == ("age", "child")


def test_route_to_check_answers_ends_the_route_early() -> None:
    form_ = pages_form(
        page("quick", question("quick", "yes_no"), routes=(goto(CHECK_ANSWERS, "quick = true"),)),
        page("details", question("details")),
    )

    route = path(form_, {"quick": True}, TODAY)

    assert route.page_ids == ("quick",)
    assert route.end is End.CHECK_ANSWERS


def test_exit_page_ends_the_route_and_nothing_after_it_is_reachable() -> None:
    route = path(eligibility_form(), {"lives_here": False, "full_name": "Sam"}, TODAY)

    assert route.page_ids == ("where", "not_eligible")
    assert route.end is End.EXIT
    assert route.current is not None
    assert route.current.id == "not_eligible"
    assert next_page(eligibility_form(), "not_eligible", {"lives_here": False}, TODAY) is None
    assert not can_visit(eligibility_form(), CHECK_ANSWERS, {"lives_here": False}, TODAY)


def test_exit_page_right_after_its_question_is_walked_past_by_everyone_the_route_does_not_send_there() -> (
    None
):
    form_ = pages_form(
        page("where", question("lives_here", "yes_no"), routes=(goto("not_eligible", "lives_here = false"),)),
        page("not_eligible", exit=True, body=Text("You cannot apply.")),
        page("name", question("full_name")),
    )

    assert ids(form_, {"lives_here": True, "full_name": "Sam"}) == ("where", "name")
    assert ids(form_, {"lives_here": False, "full_name": "Sam"}) == ("where", "not_eligible")


def test_route_that_depends_on_an_unanswered_question_is_not_guessed() -> None:
    form_ = pages_form(
        page(
            "contact",
            question("email", "email", optional=True),
            question("wants_call", "yes_no"),
            routes=(goto("phone", "wants_call = true"), goto("ideas", "wants_call = false")),
        ),
        page("address", question("town")),
        page("phone", question("phone", "phone")),
        page("ideas", question("ideas")),
    )

    route = path(form_, {"email": "sam@example.org", "phone": "01865 000000"}, TODAY)

    assert route.page_ids == ("contact",)
    assert route.end is End.UNFINISHED
    assert not can_visit(form_, "phone", {"email": "sam@example.org"}, TODAY)


def test_route_to_a_hidden_page_falls_through_to_the_next_visible_page() -> None:
    form_ = pages_form(
        page("start", question("member", "yes_no"), routes=(goto("members_only", "member = true"),)),
        page("joining", question("join_reason")),
        page("members_only", question("member_number"), show_if=parse("member = false")),
        page("ideas", question("ideas")),
    )

    assert ids(form_, {"member": True}) == ("start", "ideas")


def test_route_that_goes_back_is_refused_rather_than_looping() -> None:
    form_ = pages_form(
        page("first", question("first")),
        page("second", question("second"), routes=(goto("first"),)),
    )

    with pytest.raises(ValueError, match="routes back"):
        path(form_, {"first": "a", "second": "b"}, TODAY)


def test_optional_questions_do_not_hold_up_the_route() -> None:
    answers = {"lives_here": True, "full_name": "Sam", "role": "young_person"}

    route = path(eligibility_form(), answers, TODAY)

    assert "ideas" not in answers
    assert route.end is End.CHECK_ANSWERS


def test_content_blocks_need_no_answer() -> None:
    intro = page("intro", question("about_this", "paragraph", body=Text("Why we ask.")), question("name"))

    assert page_complete(intro, {"name": "Sam"}, TODAY)


def test_question_hidden_by_its_show_if_is_not_required() -> None:
    caring = page(
        "caring",
        question("is_carer", "yes_no"),
        question("hours", "number", show_if=parse("is_carer = true")),
    )

    assert page_complete(caring, {"is_carer": False}, TODAY)
    assert not page_complete(caring, {"is_carer": True}, TODAY)
    assert page_complete(caring, {"is_carer": True, "hours": 10}, TODAY)


def test_required_follow_up_of_a_chosen_option_must_be_answered() -> None:
    contact = page(
        "contact",
        question(
            "how",
            "radios",
            options=(choice("email", follow_up=question("email", "email")), choice("post")),
        ),
    )

    assert not page_complete(contact, {"how": "email"}, TODAY)
    assert page_complete(contact, {"how": "email", "email": "sam@example.org"}, TODAY)
    assert page_complete(contact, {"how": "post"}, TODAY)


# --- repeating pages --------------------------------------------------------------------------


def journeys_page(min_items: int) -> Page:
    return page(
        "journeys",
        question("from_town"),
        question("to_town"),
        repeat=Repeat(item_name=Text("journey"), min_items=min_items),
    )


def test_repeating_page_is_incomplete_until_it_has_the_minimum_number_of_items() -> None:
    one = {"from_town": "Banbury", "to_town": "Oxford"}
    two = {"from_town": "Didcot", "to_town": "Abingdon"}

    assert not page_complete(journeys_page(2), {}, TODAY)
    assert not page_complete(journeys_page(2), {"journeys": (one,)}, TODAY)
    assert page_complete(journeys_page(2), {"journeys": (one, two)}, TODAY)


def test_repeating_page_with_no_minimum_is_complete_without_items() -> None:
    assert page_complete(journeys_page(0), {}, TODAY)


def test_repeating_item_missing_a_required_answer_leaves_the_page_incomplete() -> None:
    assert not page_complete(journeys_page(1), {"journeys": ({"from_town": "Banbury"},)}, TODAY)


def test_repeating_page_holds_up_the_route_until_it_has_enough_items() -> None:
    form_ = pages_form(journeys_page(1), page("ideas", question("ideas")))

    assert ids(form_, {"ideas": "More buses"}) == ("journeys",)
    assert ids(form_, {"journeys": ({"from_town": "Banbury", "to_town": "Oxford"},)}) == ("journeys", "ideas")


# --- pages that ask for nothing required: done once the respondent has continued past them -----


def optional_page_form() -> Form:
    """Name, then a page of only optional questions, then an add-another page needing no items."""
    return pages_form(
        page("name", question("full_name")),
        page("extras", question("ideas", optional=True), question("comments", "long_text", optional=True)),
        journeys_page(0),
        page("contact", question("email", "email")),
    )


def test_a_page_of_optional_questions_holds_up_the_route_until_the_respondent_has_continued_past_it() -> None:
    answers = {"full_name": "Sam"}

    assert path(optional_page_form(), answers, TODAY, seen={"name"}).page_ids == ("name", "extras")
    assert path(optional_page_form(), answers, TODAY, seen={"name"}).end is End.UNFINISHED
    assert path(optional_page_form(), answers, TODAY, seen={"name", "extras"}).page_ids == (
        "name",
        "extras",
        "journeys",
    )


def test_an_optional_page_with_something_answered_is_done_without_a_record_of_continuing() -> None:
    answers = {"full_name": "Sam", "ideas": "More buses"}

    assert path(optional_page_form(), answers, TODAY, seen=()).page_ids == ("name", "extras", "journeys")


def test_an_add_another_page_that_needs_no_items_holds_up_the_route_until_seen() -> None:
    seen = {"name", "extras"}

    assert first_incomplete_page(optional_page_form(), {"full_name": "Sam"}, TODAY, seen=seen) == "journeys"
    assert (
        first_incomplete_page(optional_page_form(), {"full_name": "Sam"}, TODAY, seen={*seen, "journeys"})
        == "contact"
    )


def test_resume_lands_on_the_optional_page_the_respondent_has_not_seen() -> None:
    answers = {"full_name": "Sam", "email": "sam@example.org"}

    assert first_incomplete_page(optional_page_form(), answers, TODAY, seen={"name"}) == "extras"
    assert not can_visit(optional_page_form(), CHECK_ANSWERS, answers, TODAY, seen={"name"})
    assert (
        first_incomplete_page(optional_page_form(), answers, TODAY, seen={"name", "extras", "journeys"})
        == CHECK_ANSWERS
    )


def test_after_a_change_a_newly_shown_optional_page_is_asked_before_check_answers() -> None:
    form_ = pages_form(
        page("has_job", question("has_job", "yes_no")),
        page("work", question("employer", optional=True), show_if=parse("has_job = true")),
        page("ideas", question("ideas")),
    )
    finished = {"has_job": False, "ideas": "More buses"}
    seen = {"has_job", "ideas"}

    assert first_incomplete_page(form_, finished, TODAY, seen=seen) == CHECK_ANSWERS
    assert first_incomplete_page(form_, {**finished, "has_job": True}, TODAY, seen=seen) == "work"


def test_answers_read_without_a_record_of_seen_pages_count_every_page_as_seen() -> None:
    # A submission shown to staff: the respondent went through every page of the route.
    answers = {"full_name": "Sam", "email": "sam@example.org"}

    assert path(optional_page_form(), answers, TODAY).end is End.CHECK_ANSWERS


# --- next, back, resume, jumping ahead --------------------------------------------------------


def skip_form() -> Form:
    return pages_form(
        page("has_job", question("has_job", "yes_no"), routes=(goto("ideas", "has_job = false"),)),
        page("employer", question("employer")),
        page("ideas", question("ideas")),
    )


def test_continue_leads_to_the_next_page_on_the_route_and_past_a_skip() -> None:
    assert next_page(skip_form(), "has_job", {"has_job": False}, TODAY) == "ideas"
    assert next_page(skip_form(), "has_job", {"has_job": True}, TODAY) == "employer"


def test_continue_on_the_last_page_leads_to_check_answers() -> None:
    assert next_page(skip_form(), "ideas", {"has_job": False, "ideas": "More buses"}, TODAY) == CHECK_ANSWERS


def test_continue_on_an_unfinished_page_stays_on_it() -> None:
    assert next_page(skip_form(), "employer", {"has_job": True}, TODAY) == "employer"


def test_back_link_after_a_skip_returns_to_the_page_before_the_skip() -> None:
    answers = {"has_job": False, "employer": "Old answer", "ideas": "More buses"}

    assert previous_page(skip_form(), "ideas", answers, TODAY) == "has_job"


def test_back_link_on_the_first_page_leads_out_of_the_pages() -> None:
    assert previous_page(skip_form(), "has_job", {}, TODAY) is None


def test_back_link_from_check_answers_returns_to_the_last_page_on_the_route() -> None:
    answers = {"has_job": False, "ideas": "More buses"}

    assert previous_page(skip_form(), CHECK_ANSWERS, answers, TODAY) == "ideas"


def test_jumping_ahead_to_a_page_not_yet_reached_is_denied() -> None:
    assert can_visit(skip_form(), "has_job", {}, TODAY)
    assert not can_visit(skip_form(), "ideas", {}, TODAY)
    assert not can_visit(skip_form(), CHECK_ANSWERS, {}, TODAY)
    with pytest.raises(PageNotOnPath):
        next_page(skip_form(), "ideas", {}, TODAY)


def test_a_skipped_page_cannot_be_visited() -> None:
    answers = {"has_job": False, "ideas": "More buses"}

    assert not can_visit(skip_form(), "employer", answers, TODAY)
    assert can_visit(skip_form(), CHECK_ANSWERS, answers, TODAY)
    with pytest.raises(PageNotOnPath):
        previous_page(skip_form(), "employer", answers, TODAY)


def test_resume_goes_to_the_first_page_not_yet_finished() -> None:
    assert first_incomplete_page(skip_form(), {"has_job": True}, TODAY) == "employer"
    assert first_incomplete_page(skip_form(), {"has_job": False, "ideas": "Buses"}, TODAY) == CHECK_ANSWERS


def test_after_a_change_from_check_answers_a_newly_relevant_question_is_asked_first() -> None:
    finished = {"has_job": False, "ideas": "More buses"}
    changed = {**finished, "has_job": True}

    assert first_incomplete_page(skip_form(), finished, TODAY) == CHECK_ANSWERS
    assert first_incomplete_page(skip_form(), changed, TODAY) == "employer"
    assert first_incomplete_page(skip_form(), {**changed, "employer": "Council"}, TODAY) == CHECK_ANSWERS


# --- which answers are submitted --------------------------------------------------------------


def test_answers_on_pages_that_have_become_hidden_are_dropped_before_submission() -> None:
    answers = {
        "lives_here": True,
        "full_name": "Sam",
        "role": "carer",
        "cared_for_name": "Alex",
    }
    changed = {**answers, "role": "young_person"}

    assert relevant_answers(eligibility_form(), answers, TODAY)["cared_for_name"] == "Alex"
    assert relevant_answers(eligibility_form(), changed, TODAY) == {
        "lives_here": True,
        "full_name": "Sam",
        "role": "young_person",
    }


def test_changing_an_earlier_answer_drops_the_answers_of_pages_it_now_skips() -> None:
    answers = {"has_job": True, "employer": "Council", "ideas": "More buses"}

    assert relevant_answers(skip_form(), answers, TODAY) == answers
    assert relevant_answers(skip_form(), {**answers, "has_job": False}, TODAY) == {
        "has_job": False,
        "ideas": "More buses",
    }


def test_answers_after_an_exit_page_are_dropped() -> None:
    answers = {"lives_here": False, "full_name": "Sam", "role": "carer"}

    assert relevant_answers(eligibility_form(), answers, TODAY) == {"lives_here": False}


def test_answer_on_a_skipped_page_cannot_steer_a_later_condition() -> None:
    form_ = pages_form(
        page("has_job", question("has_job", "yes_no"), routes=(goto("ideas", "has_job = false"),)),
        page("employer", question("employer_is_council", "yes_no")),
        page("ideas", question("ideas")),
        page("council_staff", question("staff_number"), show_if=parse("employer_is_council = true")),
    )
    answers = {"has_job": False, "employer_is_council": True, "ideas": "More buses"}

    assert ids(form_, answers) == ("has_job", "ideas")


def test_answers_to_questions_hidden_by_show_if_are_dropped() -> None:
    form_ = pages_form(
        page(
            "caring",
            question("is_carer", "yes_no"),
            question("hours", "number", show_if=parse("is_carer = true")),
        ),
    )

    assert relevant_answers(form_, {"is_carer": False, "hours": 10}, TODAY) == {"is_carer": False}


def test_follow_up_of_an_option_that_is_not_chosen_is_dropped() -> None:
    form_ = pages_form(
        page(
            "contact",
            question(
                "how",
                "checkboxes",
                options=(
                    choice("email", follow_up=question("email", "email")),
                    choice("text", follow_up=question("mobile", "phone")),
                    choice("post"),
                ),
            ),
        ),
    )
    answers = {"how": ("text", "post"), "email": "sam@example.org", "mobile": "07700 900000"}

    assert relevant_answers(form_, answers, TODAY) == {"how": ("text", "post"), "mobile": "07700 900000"}


def test_other_text_is_dropped_when_the_other_option_is_not_chosen() -> None:
    form_ = pages_form(
        page("heard", question("heard", "radios", options=(choice("school"), choice("other", other=True)))),
    )

    assert relevant_answers(form_, {"heard": "other", "heard__other": "Radio"}, TODAY) == {
        "heard": "other",
        "heard__other": "Radio",
    }
    assert relevant_answers(form_, {"heard": "school", "heard__other": "Radio"}, TODAY) == {"heard": "school"}


def test_hidden_questions_inside_repeating_items_are_dropped() -> None:
    form_ = pages_form(
        page(
            "journeys",
            question("by_bus", "yes_no"),
            question("bus_route", show_if=parse("by_bus = true")),
            repeat=Repeat(item_name=Text("journey"), min_items=1),
        ),
    )
    answers = {"journeys": ({"by_bus": False, "bus_route": "S5"}, {"by_bus": True, "bus_route": "X3"})}

    assert relevant_answers(form_, answers, TODAY) == {
        "journeys": ({"by_bus": False}, {"by_bus": True, "bus_route": "X3"})
    }


# --- piping and check answers -----------------------------------------------------------------


def named_form() -> Form:
    return form(
        section("about", page("name", question("first_name"))),
        section(
            "ideas",
            page(
                "ideas",
                question(
                    "idea",
                    label="What would you change, ((first_name))?",
                    hint=Text("Tell us anything"),
                ),
                question("more", optional=True),
            ),
        ),
    )


def test_pipe_replaces_a_placeholder_with_the_earlier_answer() -> None:
    text = Text("Thanks, ((first_name)).", {"cy": "Diolch, (( first_name ))."})

    assert pipe(text, named_form(), {"first_name": "Sam"}, "en") == "Thanks, Sam."
    assert pipe(text, named_form(), {"first_name": "Sam"}, "cy") == "Diolch, Sam."


def test_pipe_of_an_unanswered_question_is_empty() -> None:
    assert pipe(Text("Thanks((first_name))."), named_form(), {}, "en") == "Thanks."


def test_pipe_uses_the_easy_read_wording_when_asked() -> None:
    text = Text("Thank you for your response, ((first_name)).", {"easy": "Thank you ((first_name))."})

    assert pipe(text, named_form(), {"first_name": "Sam"}, "en", easy_read=True) == "Thank you Sam."


def test_pipe_uses_the_answers_display_text() -> None:
    form_ = pages_form(page("role", question("role", "radios", options=(choice("young_person"),))))
    shown = QUESTION_TYPES["radios"].display(form_.question("role"), "young_person", "en")

    assert pipe(Text("You are: ((role))"), form_, {"role": "young_person"}, "en") == f"You are: {shown}"
    assert shown != "young_person"


def test_check_answers_groups_rows_by_section_with_piped_labels_and_change_links() -> None:
    answers = {"first_name": "Sam", "idea": "More buses"}

    groups = check_answers_rows(named_form(), answers, TODAY, "en")

    assert [(g.section_id, g.title) for g in groups] == [("about", "About"), ("ideas", "Ideas")]
    assert [(r.label, r.answer, r.page_id) for r in groups[1].rows] == [
        ("What would you change, Sam?", "More buses", "ideas"),
        ("More", "", "ideas"),
    ]
    assert [r.answered for r in groups[1].rows] == [True, False]


def test_check_answers_leaves_out_hidden_questions_and_skipped_pages() -> None:
    answers = {"has_job": False, "employer": "Council", "ideas": "More buses"}

    rows = [row for group in check_answers_rows(skip_form(), answers, TODAY, "en") for row in group.rows]

    assert [row.question_id for row in rows] == ["has_job", "ideas"]


def test_check_answers_shows_a_chosen_follow_up_and_other_text() -> None:
    form_ = pages_form(
        page(
            "heard",
            question(
                "heard",
                "radios",
                options=(choice("friend", follow_up=question("friend_name")), choice("other", other=True)),
            ),
        ),
    )
    heard = form_.question("heard")

    friend = check_answers_rows(form_, {"heard": "friend", "friend_name": "Jo"}, TODAY, "en")[0].rows
    other = check_answers_rows(form_, {"heard": "other", "heard__other": "Radio"}, TODAY, "en")[0].rows

    assert [(r.question_id, r.answer) for r in friend] == [
        ("heard", QUESTION_TYPES["radios"].display(heard, "friend", "en")),
        ("friend_name", "Jo"),
    ]
    assert other[0].answer.splitlines()[-1] == "Radio"


def test_check_answers_shows_a_row_per_repeating_item() -> None:
    form_ = pages_form(journeys_page(1))
    answers = {
        "journeys": (
            {"from_town": "Banbury", "to_town": "Oxford"},
            {"from_town": "Didcot", "to_town": "Abingdon"},
        )
    }

    rows = check_answers_rows(form_, answers, TODAY, "en")[0].rows

    assert [(r.label, r.answer.splitlines(), r.item_index) for r in rows] == [
        ("Journey 1", ["Banbury", "Oxford"], 0),
        ("Journey 2", ["Didcot", "Abingdon"], 1),
    ]
    assert {r.page_id for r in rows} == {"journeys"}


# --- progress and the task list ---------------------------------------------------------------


def sections_form() -> Form:
    return form(
        section(
            "about", page("role", question("role", "radios", options=(choice("carer"), choice("parent"))))
        ),
        section("caring", page("cared_for", question("cared_for_name")), show_if="selected(role, 'carer')"),
        section("travel", page("bus", question("bus")), page("train", question("train"))),
        section("ideas", page("ideas", question("ideas"))),
    )


def test_progress_counts_only_the_sections_on_the_route() -> None:
    as_carer = progress(sections_form(), "cared_for", {"role": "carer"}, TODAY)
    as_parent = progress(sections_form(), "bus", {"role": "parent"}, TODAY)

    assert (as_carer.number, as_carer.count, as_carer.section.id) == (2, 4, "caring")
    assert (as_parent.number, as_parent.count, as_parent.section.id) == (2, 3, "travel")


def test_progress_of_a_page_not_on_the_route_is_refused() -> None:
    with pytest.raises(PageNotOnPath):
        progress(sections_form(), "cared_for", {"role": "parent"}, TODAY)


def test_task_list_shows_completed_in_progress_and_sections_that_cannot_start_yet() -> None:
    statuses = task_list(sections_form(), {"role": "parent", "bus": "Daily"}, TODAY)

    assert [(s.section.id, s.state, s.page_id) for s in statuses] == [
        ("about", "completed", "role"),
        ("travel", "in_progress", "train"),
        ("ideas", "cannot_start", None),
    ]


def test_task_list_shows_the_next_section_not_started_once_the_one_before_is_completed() -> None:
    statuses = task_list(sections_form(), {"role": "carer"}, TODAY)

    assert [(s.section.id, s.state) for s in statuses] == [
        ("about", "completed"),
        ("caring", "not_started"),
        ("travel", "cannot_start"),
        ("ideas", "cannot_start"),
    ]


def test_task_list_shows_every_section_completed_when_the_form_is_finished() -> None:
    answers = {"role": "parent", "bus": "Daily", "train": "Never", "ideas": "More buses"}

    assert {s.state for s in task_list(sections_form(), answers, TODAY)} == {"completed"}
