"""Reviewing responses: filters, board redaction, status, tags, notes, flags, audit, erasure and purge,
on SQLite and PostgreSQL (see conftest.py)."""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import sys
from asyncio.subprocess import PIPE
from pathlib import Path

import pytest

from engine import review, storage
from engine.definition import Form
from engine.journey import check_answers_rows
from engine.loader import load_form_text

FORM = """
title: Have your say on buses
reference_prefix: BUS
retention: 30 days
review_statuses:
  - {value: unread, label: Unread}
  - {value: read, label: Read}
pages:
  - id: about
    title: About you
    questions:
      - id: name
        type: name
        label: Your name
        personal: true
      - id: age_band
        type: radios
        label: How old are you?
        personal: true
        options:
          - {value: young, label: Under 25}
          - {value: older, label: 25 or over}
  - id: travel
    title: Travel
    questions:
      - id: mode
        type: checkboxes
        label: How do you travel, ((name))?
        options:
          - {value: bus, label: Bus}
          - {value: car, label: Car}
      - id: usual
        type: radios
        label: Which do you use most?
        options:
          - {value: bus, label: Bus}
          - {value: car, label: Car}
      - id: likes_buses
        type: yes_no
        label: Do you like the buses?
      - id: ideas
        type: long_text
        label: Your ideas
        optional: true
"""


@pytest.fixture
def form() -> Form:
    return load_form_text(FORM, "buses.yaml")


pytestmark = pytest.mark.usefixtures("storage")


async def answered(form: Form, *answers: dict[str, storage.JSONInput]) -> list[str]:
    await storage.record_form_version(form.slug, form.version, {"title": form.title.default})
    return await storage.import_submissions(form.slug, form.version, "en", answers, "BUS")


def alice() -> dict[str, storage.JSONInput]:
    return {"name": "Alice Smith", "age_band": "young", "mode": ["bus"], "usual": "bus", "likes_buses": True}


def bob() -> dict[str, storage.JSONInput]:
    return {
        "name": "Bob Jones",
        "age_band": "older",
        "mode": ["bus", "car"],
        "usual": "car",
        "likes_buses": False,
        "ideas": "More buses to Witney please",
    }


async def listed(form: Form, params: list[tuple[str, str]], *, board: bool = False) -> set[str]:
    parsed = review.parse_filter(form, params, board=board)
    found = await storage.find_reviewed(form.slug, parsed.filter.criteria(form, board=board))
    return {row.submission.reference for row in found}


async def test_filters_on_choice_answers_use_every_ticked_box_and_yes_no_as_true_or_false(form: Form) -> None:
    a, b = await answered(form, alice(), bob())

    assert await listed(form, [("answer.mode", "car")]) == {b}
    assert await listed(form, [("answer.mode", "bus")]) == {a, b}
    assert await listed(form, [("answer.likes_buses", "true")]) == {a}
    assert await listed(form, [("answer.mode", "bus"), ("answer.usual", "car")]) == {b}


async def test_free_text_search_finds_words_in_any_answer_or_the_reference(form: Form) -> None:
    a, b = await answered(form, alice(), bob())

    assert await listed(form, [("q", "witney")]) == {b}
    assert await listed(form, [("q", a[-4:])]) == {a}
    assert await listed(form, [("q", "nothing like this")]) == set()


async def test_the_board_cannot_filter_or_search_on_personal_answers(form: Form) -> None:
    await answered(form, alice(), bob())

    parsed = review.parse_filter(form, [("answer.age_band", "young"), ("q", "Alice")], board=True)

    assert parsed.filter.answers == ()
    assert [problem.code for problem in parsed.problems] == ["personal"]
    assert await listed(form, [("q", "Alice")], board=True) == set()
    assert len(await listed(form, [("q", "Alice")], board=False)) == 1


async def test_a_question_whose_label_pipes_a_personal_answer_is_hidden_from_the_board(form: Form) -> None:
    assert review.hidden_from_board(form, form.question("mode"))
    assert "mode" not in review.searchable_keys(form)
    assert [q.id for q in review.filterable_questions(form, board=True)] == ["usual", "likes_buses"]
    assert review.parse_filter(form, [("answer.mode", "bus")], board=True).problems[0].code == "personal"


async def test_the_first_status_also_matches_responses_nobody_has_touched(form: Form) -> None:
    a, b = await answered(form, alice(), bob())
    await review.set_status(form, b, "read", "rev@example.org")

    assert await listed(form, [("status", "unread")]) == {a}
    assert await listed(form, [("status", "read")]) == {b}


async def test_a_status_that_is_not_the_forms_own_is_refused(form: Form) -> None:
    (a,) = await answered(form, alice())

    with pytest.raises(review.ReviewError):
        await review.set_status(form, a, "done", "rev@example.org")
    assert review.parse_filter(form, [("status", "done")], board=False).problems[0].code == "unknown_status"


async def test_the_date_range_includes_both_days_in_london_time(form: Form) -> None:
    (a,) = await answered(form, alice())
    today = dt.datetime.now(review.LONDON).date()

    assert await listed(form, [("from", today.isoformat()), ("to", today.isoformat())]) == {a}
    assert await listed(form, [("to", (today - dt.timedelta(days=1)).isoformat())]) == set()
    parsed = review.parse_filter(form, [("from", "2026-02-30")], board=False)
    assert parsed.problems[0].code == "date_invalid"


async def test_status_tag_note_and_flag_changes_are_audited_with_who_and_what(form: Form) -> None:
    (a,) = await answered(form, alice())

    await review.set_status(form, a, "read", "rev@example.org")
    tag = await review.create_tag(form, "  Bus   routes ", "rev@example.org")
    await review.tag_responses(form, [a], tag, "rev@example.org")
    await review.add_note(form, a, "Call back about Witney", "rev@example.org")
    await review.flag_concern(form, a, "Mentions being unsafe at home", "rev@example.org")
    await review.close_concern(form, a, "Spoke to the family", "safe@example.org")

    events = await storage.audit_events(form.slug, a)
    actions = [(event.actor, event.action, dict(event.detail)) for event in reversed(events)]
    assert actions == [
        ("rev@example.org", "status_changed", {"from": None, "to": "read"}),
        ("rev@example.org", "tag_added", {"tag": "Bus routes"}),
        ("rev@example.org", "note_added", {}),
        ("rev@example.org", "flag_raised", {"alerts": 0}),
        ("safe@example.org", "flag_closed", {}),
    ]
    notes = await storage.notes_of(form.slug, a)
    assert [note.body for note in notes] == [
        "Call back about Witney",
        "Safeguarding concern closed: Spoke to the family",
    ]


async def test_bulk_tagging_tags_each_response_once_and_audits_each(form: Form) -> None:
    a, b = await answered(form, alice(), bob())
    await review.create_tag(form, "Transport", "rev@example.org")

    first = await review.tag_responses(form, [a, b], "Transport", "rev@example.org")
    again = await review.tag_responses(form, [a, b], "Transport", "rev@example.org")

    assert (first, again) == (2, 0)
    assert await listed(form, [("tag", "Transport")]) == {a, b}
    tag_events = [e for e in await storage.audit_events(form.slug) if e.action == "tag_added"]
    assert sorted(e.reference or "" for e in tag_events) == sorted([a, b])


async def test_tagging_with_a_tag_the_form_does_not_have_is_refused(form: Form) -> None:
    (a,) = await answered(form, alice())

    with pytest.raises(review.ReviewError) as refused:
        await review.tag_responses(form, [a], "Never made", "rev@example.org")
    assert refused.value.code == "unknown_tag"


async def test_a_flagged_response_is_on_the_safeguarding_list_until_the_concern_is_closed(form: Form) -> None:
    a, _ = await answered(form, alice(), bob())

    assert await review.flag_concern(form, a, "Worried", "rev@example.org")
    assert not await review.flag_concern(form, a, "Worried again", "rev@example.org")
    flagged = await storage.flagged_submissions()
    assert [(row.submission.reference, row.flag_reason) for row in flagged] == [(a, "Worried")]

    await review.close_concern(form, a, "Handled", "safe@example.org")
    assert await storage.flagged_submissions() == []


async def test_next_and_previous_follow_the_filtered_list_newest_first(form: Form) -> None:
    refs = []
    for answers in (alice(), bob(), alice()):
        refs.extend(await answered(form, answers))
    everything = review.ResponseFilter().criteria(form, board=False)
    newest_first = [r.submission.reference for r in await storage.find_reviewed(form.slug, everything)]

    middle = newest_first[1]
    assert await storage.neighbours(form.slug, everything, middle) == (newest_first[0], newest_first[2])
    only_alice = review.parse_filter(form, [("answer.usual", "bus")], board=False).filter.criteria(
        form, board=False
    )
    alices = [r for r in newest_first if r != refs[1]]
    assert await storage.neighbours(form.slug, only_alice, alices[0]) == (None, alices[1])


async def test_the_board_sees_personal_answers_and_piped_labels_hidden(form: Form) -> None:
    answers = {
        "name": "Alice Smith",
        "age_band": "young",
        "mode": ("bus",),
        "usual": "bus",
        "likes_buses": True,
    }
    sections = check_answers_rows(form, answers, dt.date(2026, 11, 26), "en")

    redacted = review.redact_for_board(form, sections, "en")

    shown = [(row.label, row.answer) for section in redacted for row in section.rows]
    assert shown == [
        ("Your name", review.HIDDEN),
        ("How old are you?", review.HIDDEN),
        ("How do you travel, [hidden]?", review.HIDDEN),
        ("Which do you use most?", "Bus"),
        ("Do you like the buses?", "Yes"),
        ("Your ideas", ""),
    ]
    assert "Alice" not in repr(redacted)


async def test_an_old_response_is_read_with_the_labels_of_the_version_it_answered(form: Form) -> None:
    old_yaml = FORM.replace("Which do you use most?", "What do you use most often?")
    await storage.record_form_version(form.slug, "old-version", {"yaml": old_yaml})

    old = await review.answered_version(form, "old-version")

    assert old.question("usual").label.default == "What do you use most often?"
    assert await review.answered_version(form, form.version) is form


async def test_erasing_by_reference_deletes_the_response_and_its_files_and_is_audited(
    form: Form, tmp_path: Path
) -> None:
    await storage.record_form_version(form.slug, form.version, {})
    draft, _ = await storage.create_draft(form.slug, form.version, "en")
    stored = await storage.store_file(
        draft.id, "ideas", "plan.pdf", "application/pdf", b"%PDF", upload_dir=tmp_path
    )
    submission = await storage.submit(draft.id, alice(), "BUS")

    assert await storage.erase_submission(submission.reference.lower(), "admin@example.org")

    assert await storage.find_by_reference(submission.reference) is None
    assert not (tmp_path / stored.id.replace("-", "")).exists()
    events = await storage.audit_events(form.slug, submission.reference)
    assert [(e.actor, e.action) for e in events] == [("admin@example.org", "erased")]
    assert not await storage.erase_submission(submission.reference, "admin@example.org")


async def test_purging_deletes_only_submissions_and_drafts_older_than_the_retention(form: Form) -> None:
    old, recent = await answered(form, alice(), bob())
    draft, _ = await storage.create_draft(form.slug, form.version, "en")
    cutoff = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=1)
    # Make `recent` newer than the cut-off, as if it came in after it.
    await storage.Response.filter(reference=recent).update(submitted_at=cutoff + dt.timedelta(days=1))

    count = await storage.purge_form(form.slug, cutoff, "coform purge")

    assert count == storage.PurgeCount(submissions=1, drafts=1, files=0)
    assert await storage.find_by_reference(old) is None
    assert await storage.find_by_reference(recent) is not None
    with pytest.raises(storage.NotFound):
        await storage.get_draft(draft.id)
    events = await storage.audit_events(form.slug)
    assert events[0].action == "purged"
    assert dict(events[0].detail) == {"submissions": 1, "drafts": 1, "files": 0}


async def test_purge_expired_uses_each_forms_own_retention_period(form: Form) -> None:
    other = load_form_text(FORM.replace("retention: 30 days", "retention: 2 years"), "trams.yaml")
    (bus,) = await answered(form, alice())
    await storage.record_form_version(other.slug, other.version, {})
    (tram,) = await storage.import_submissions(other.slug, other.version, "en", [alice()], "BUS")
    forty_days_ago = dt.datetime.now(dt.UTC) - dt.timedelta(days=40)
    await storage.Response.filter(reference__in=[bus, tram]).update(submitted_at=forty_days_ago)

    counts = await review.purge_expired([form, other], dt.datetime.now(dt.UTC))

    assert counts == {
        "buses": storage.PurgeCount(submissions=1, drafts=0, files=0),
        "trams": storage.PurgeCount(submissions=0, drafts=0, files=0),
    }
    assert await storage.find_by_reference(bus) is None
    assert await storage.find_by_reference(tram) is not None


async def test_coform_purge_deletes_what_is_past_retention_and_says_how_much(
    form: Form, database_url: str, tmp_path: Path
) -> None:
    forms_dir = tmp_path / "forms"
    forms_dir.mkdir()
    (forms_dir / "buses.yaml").write_text(FORM, encoding="utf-8")
    old, recent = await answered(form, alice(), bob())
    await storage.Response.filter(reference=old).update(
        submitted_at=dt.datetime.now(dt.UTC) - dt.timedelta(days=31)
    )
    env = {**os.environ, "DATABASE_URL": database_url, "COFORM_FORMS_DIR": str(forms_dir)}

    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "engine.cli", "purge", env=env, stdout=PIPE, stderr=PIPE
    )
    out, err = await process.communicate()

    assert process.returncode == 0, err.decode()
    assert "buses: deleted 1 submission, 0 drafts and 0 files older than 30 days" in out.decode()
    assert await storage.find_by_reference(old) is None
    assert await storage.find_by_reference(recent) is not None
