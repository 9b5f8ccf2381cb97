"""Drafts, submissions, files and answer counts, on SQLite and PostgreSQL (see conftest.py)."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from engine import storage

pytestmark = pytest.mark.usefixtures("storage")

REFERENCE = re.compile(rf"CPB-[{storage.REFERENCE_ALPHABET}]{{4}}-[{storage.REFERENCE_ALPHABET}]{{4}}")


async def new_draft(version: str = "v1") -> tuple[storage.Draft, str]:
    await storage.record_form_version("board", version, {"title": "Join the board"})
    return await storage.create_draft("board", version, "en")


async def submitted(answers: dict[str, storage.JSONInput]) -> storage.Submission:
    draft, _ = await new_draft()
    return await storage.submit(draft.id, answers, "CPB")


@pytest.fixture
def upload_dir(tmp_path: Path) -> Path:
    return tmp_path / "uploads"


def in_a_day() -> dt.datetime:
    return dt.datetime.now(dt.UTC) + dt.timedelta(days=1)


async def test_a_new_draft_is_empty_and_stays_on_the_form_version_it_started_on() -> None:
    draft, _ = await new_draft("v1")
    await storage.record_form_version("board", "v2", {"title": "Join the board (changed)"})

    saved = await storage.save_answers(draft.id, {"role": "carer"})

    assert draft.answers == {}
    assert draft.status == "draft"
    assert (saved.version, saved.form_slug, saved.language) == ("v1", "board", "en")


async def test_recording_a_form_version_again_is_harmless() -> None:
    await storage.record_form_version("board", "v1", {"title": "first"})
    await storage.record_form_version("board", "v1", {"title": "first"})

    draft, _ = await storage.create_draft("board", "v1", "cy")

    assert draft.language == "cy"


async def test_a_draft_cannot_start_on_a_form_version_never_recorded() -> None:
    with pytest.raises(storage.NotFound, match="has not been recorded"):
        await storage.create_draft("board", "unknown", "en")


async def test_saving_a_page_sets_and_removes_answers_in_one_step() -> None:
    draft, _ = await new_draft()
    await storage.save_answers(draft.id, {"role": "carer", "age": 15, "why": "To help"})

    saved = await storage.save_answers(
        draft.id, {"role": "young_person", "activities": ("art", "sport")}, remove=["age"]
    )

    expected = {"role": "young_person", "why": "To help", "activities": ["art", "sport"]}
    assert saved.answers == expected
    assert (await storage.get_draft(draft.id)).answers == expected
    assert saved.updated_at >= draft.updated_at


async def test_every_answer_kind_comes_back_as_the_same_json() -> None:
    draft, _ = await new_draft()
    answers: dict[str, storage.JSONInput] = {
        "name": "Siân Ó Briain 🙂",
        "count": 3,
        "amount": "12.50",
        "born": "2010-02-01",
        "consent": True,
        "activities": ["art", "sport"],
        "address": {"line1": "1 High St", "town": "Oxford", "postcode": "OX1 1AA"},
        "journeys": [{"from": "Banbury", "cost": "4.20"}],
    }

    saved = await storage.save_answers(draft.id, answers)

    assert saved.answers == answers


async def test_a_page_with_one_bad_answer_saves_nothing() -> None:
    draft, _ = await new_draft()
    await storage.save_answers(draft.id, {"role": "carer"})

    with pytest.raises(storage.StorageInputError):
        await storage.save_answers(draft.id, {"role": "parent", "why": "bad\x00text"})

    assert (await storage.get_draft(draft.id)).answers == {"role": "carer"}


@pytest.mark.parametrize(
    ("answers", "complaint"),
    [
        ({"why": "a\x00b"}, r"the answer to 'why' contains a NUL character"),
        ({"why": "a\udc80b"}, r"the answer to 'why' contains invalid Unicode"),
        ({"activities": ["art", "\ud800"]}, r"the answer to 'activities'\[1\] contains invalid Unicode"),
        ({"address": {"line1\x00": "x"}}, r"a key in the answer to 'address' contains a NUL"),
        ({"why\x00": "x"}, r"a question id contains a NUL"),
        ({"amount": float("nan")}, r"which JSON cannot hold"),
        ({"born": dt.date(2010, 1, 1)}, r"answers must be JSON values"),
    ],
)
async def test_text_the_database_cannot_hold_is_refused_with_a_clear_error(
    answers: dict[str, storage.JSONInput], complaint: str
) -> None:
    draft, _ = await new_draft()

    with pytest.raises(storage.StorageInputError, match=complaint):
        await storage.save_answers(draft.id, answers)
    with pytest.raises(storage.StorageInputError, match=complaint):
        await storage.submit(draft.id, answers, "CPB")


async def test_a_page_cannot_both_set_and_remove_one_answer() -> None:
    draft, _ = await new_draft()

    with pytest.raises(storage.StorageInputError, match="both saved and removed"):
        await storage.save_answers(draft.id, {"role": "carer"}, remove=["role"])


async def test_a_resume_token_opens_its_draft_and_only_its_hash_is_stored() -> None:
    draft, token = await new_draft()
    await storage.save_answers(draft.id, {"role": "carer"})

    found = await storage.find_draft_by_token(token)
    stored = await storage.Response.all().values_list("resume_token_hash")

    assert found is not None
    assert (found.id, found.answers) == (draft.id, {"role": "carer"})
    assert len(token) >= 22  # URL-safe base64: 22 characters carry 128 bits
    assert stored == [(hashlib.sha256(token.encode()).hexdigest(),)]


@pytest.mark.parametrize("token", ["", "short", "x" * 43, "not a token at all!", "ab\x00" * 10])
async def test_a_wrong_or_malformed_token_opens_nothing(token: str) -> None:
    await new_draft()

    assert await storage.find_draft_by_token(token) is None


async def test_a_draft_not_changed_since_the_cutoff_is_not_resumed() -> None:
    _, token = await new_draft()

    assert await storage.find_draft_by_token(token, changed_after=in_a_day()) is None
    assert await storage.find_draft_by_token(token, changed_after=in_a_day() - dt.timedelta(days=2))


async def test_submitting_stores_the_final_answers_under_an_unambiguous_reference() -> None:
    draft, _ = await new_draft()
    await storage.save_answers(draft.id, {"role": "carer", "hidden": "dropped by the journey"})

    submission = await storage.submit(draft.id, {"role": "carer", "activities": ["art"]}, "CPB")

    assert REFERENCE.fullmatch(submission.reference)
    assert submission.answers == {"role": "carer", "activities": ["art"]}
    assert await storage.get_submission(submission.reference.lower()) == submission
    assert await storage.find_draft_by_token("") is None


async def test_submitting_twice_returns_the_same_reference_and_stores_one_submission() -> None:
    draft, token = await new_draft()

    first = await storage.submit(draft.id, {"role": "carer"}, "CPB")
    again = await storage.submit(draft.id, {"role": "changed on retry"}, "CPB")

    assert again == first
    assert await storage.count_submissions("board") == 1
    assert await storage.count_by_answer("board", "role") == {"carer": 1}
    assert await storage.find_draft_by_token(token) is None


async def test_a_submitted_draft_reads_back_with_its_reference_and_no_longer_changes() -> None:
    draft, _ = await new_draft()
    submission = await storage.submit(draft.id, {"role": "carer"}, "CPB")

    again = await storage.get_draft(draft.id)
    with pytest.raises(storage.AlreadySubmitted):
        await storage.save_answers(draft.id, {"role": "parent"})
    with pytest.raises(storage.AlreadySubmitted):
        await storage.store_file(draft.id, "receipt", "r.pdf", "application/pdf", b"%PDF")

    assert (again.status, again.reference, again.answers) == (
        "submitted",
        submission.reference,
        {"role": "carer"},
    )


async def test_a_reference_that_is_already_taken_is_replaced_in_the_same_submission(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    taken = (await submitted({"role": "carer"})).reference
    offered: Iterator[str] = iter([taken, taken, "CPB-2345-6789"])
    monkeypatch.setattr(storage, "_new_reference", lambda prefix: next(offered))
    draft, _ = await new_draft()

    submission = await storage.submit(draft.id, {"role": "parent"}, "CPB")

    assert submission.reference == "CPB-2345-6789"
    assert await storage.count_submissions("board") == 2


@pytest.mark.parametrize("prefix", ["", "C", "cpb", "TOOLONG", "C-B", "CP\x00"])
async def test_a_reference_prefix_that_is_not_2_to_5_capital_letters_is_refused(prefix: str) -> None:
    draft, _ = await new_draft()

    with pytest.raises(storage.StorageInputError, match="2 to 5 capital letters"):
        await storage.submit(draft.id, {}, prefix)


@pytest.mark.parametrize("draft_id", [str(uuid.uuid4()), "not-a-uuid", ""])
async def test_an_unknown_draft_is_not_found(draft_id: str) -> None:
    with pytest.raises(storage.NotFound):
        await storage.get_draft(draft_id)
    with pytest.raises(storage.NotFound):
        await storage.save_answers(draft_id, {"role": "carer"})
    with pytest.raises(storage.NotFound):
        await storage.submit(draft_id, {"role": "carer"}, "CPB")


async def test_expiring_removes_unsubmitted_drafts_changed_before_the_cutoff_with_their_files(
    upload_dir: Path,
) -> None:
    stale, _ = await new_draft()
    kept = await submitted({"role": "carer"})
    file = await storage.store_file(
        stale.id, "receipt", "r.pdf", "application/pdf", b"%PDF", upload_dir=upload_dir
    )

    none_yet = await storage.expire_drafts(dt.datetime.now(dt.UTC) - dt.timedelta(days=1))
    expired = await storage.expire_drafts(in_a_day())

    assert (none_yet, expired) == (0, 1)
    with pytest.raises(storage.NotFound):
        await storage.get_draft(stale.id)
    with pytest.raises(storage.NotFound):
        await storage.get_file(file.id)
    assert list(upload_dir.iterdir()) == []
    assert await storage.get_submission(kept.reference) == kept


@pytest.mark.parametrize("in_directory", [False, True], ids=["in the database", "in upload_dir"])
async def test_a_stored_file_comes_back_byte_for_byte_with_its_size_and_checksum(
    upload_dir: Path, in_directory: bool
) -> None:
    draft, _ = await new_draft()
    data = bytes(range(256)) * 40

    stored = await storage.store_file(
        draft.id,
        "receipt",
        "bus ticket.pdf",
        "application/pdf",
        data,
        upload_dir=upload_dir if in_directory else None,
    )
    found, read = await storage.get_file(stored.id)

    assert read == data
    assert found == stored
    assert (stored.size, stored.sha256) == (len(data), hashlib.sha256(data).hexdigest())
    assert (stored.draft_id, stored.question_id, stored.filename) == (draft.id, "receipt", "bus ticket.pdf")
    assert upload_dir.exists() == in_directory


async def test_deleting_a_file_removes_it_and_its_bytes(upload_dir: Path) -> None:
    draft, _ = await new_draft()
    stored = await storage.store_file(
        draft.id, "receipt", "r.pdf", "application/pdf", b"%PDF", upload_dir=upload_dir
    )

    assert await storage.delete_file(stored.id) is True
    assert await storage.delete_file(stored.id) is False
    assert list(upload_dir.iterdir()) == []


async def test_a_file_whose_bytes_changed_on_disk_is_reported_as_damaged(upload_dir: Path) -> None:
    draft, _ = await new_draft()
    stored = await storage.store_file(
        draft.id, "receipt", "r.pdf", "application/pdf", b"%PDF", upload_dir=upload_dir
    )
    (upload_dir / uuid.UUID(stored.id).hex).write_bytes(b"%PDX")

    with pytest.raises(storage.StorageError, match="damaged"):
        await storage.get_file(stored.id)


async def test_a_file_name_with_a_nul_byte_is_refused() -> None:
    draft, _ = await new_draft()

    with pytest.raises(storage.StorageInputError, match="the file name contains a NUL"):
        await storage.store_file(draft.id, "receipt", "r\x00.pdf", "application/pdf", b"%PDF")


async def test_counting_answers_counts_each_ticked_box_of_submitted_responses_only() -> None:
    await submitted({"role": "carer", "activities": ["art", "sport"], "over_18": True})
    await submitted({"role": "carer", "activities": ["art"], "over_18": False})
    await submitted({"role": "young_person", "activities": [], "why": "x" * 300})
    draft, _ = await new_draft()
    await storage.save_answers(draft.id, {"role": "parent"})

    assert await storage.count_by_answer("board", "role") == {"carer": 2, "young_person": 1}
    assert await storage.count_by_answer("board", "activities") == {"art": 2, "sport": 1}
    assert await storage.count_by_answer("board", "over_18") == {"true": 1, "false": 1}
    assert await storage.count_by_answer("board", "why") == {}


async def test_filtering_by_a_choice_answer_finds_only_matching_submissions_newest_first() -> None:
    first = await submitted({"role": "carer", "activities": ["art"]})
    await submitted({"role": "young_person", "activities": ["sport"]})
    last = await submitted({"role": "carer", "activities": ["art", "sport"]})

    carers = await storage.find_submissions("board", answer=("role", "carer"))
    second_page = await storage.find_submissions("board", answer=("activities", "art"), limit=1, offset=1)

    assert [s.reference for s in carers] == [last.reference, first.reference]
    assert carers[0].answers == {"role": "carer", "activities": ["art", "sport"]}
    assert [s.reference for s in second_page] == [first.reference]
    assert await storage.count_submissions("board", answer=("activities", "sport")) == 2
    assert await storage.count_submissions("board") == 3


async def test_imported_responses_are_counted_and_found_like_submitted_ones() -> None:
    await storage.record_form_version("board", "v1", {"title": "Join the board"})

    references = await storage.import_submissions(
        "board", "v1", "en", [{"role": "carer"}, {"role": "parent"}, {"role": "carer"}], "CPB"
    )

    assert len(set(references)) == 3
    assert await storage.count_by_answer("board", "role") == {"carer": 2, "parent": 1}
    found = await storage.get_submission(references[1])
    assert found is not None
    assert found.answers == {"role": "parent"}


# PRAGMAs are SQLite's: this test runs on the SQLite database only, rather than skipping on PostgreSQL.
@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_sqlite_commits_durably_in_wal_mode_and_waits_for_other_writers(database_url: str) -> None:
    pragmas = await storage.sqlite_pragmas()

    # synchronous 2 is FULL: every commit is fsynced before it returns.
    assert pragmas == {
        "journal_mode": "wal",
        "synchronous": "2",
        "busy_timeout": "30000",
        "foreign_keys": "1",
    }
