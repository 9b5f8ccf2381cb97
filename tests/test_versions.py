"""Form versions: the live version is the newest published one in the database, broken files keep
the last good version live, diffs between versions read as sentences, and the orphaning check."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path
from textwrap import dedent

import pytest

from engine import storage as store
from engine.cli import main
from engine.loader import load_form_text
from engine.versions import Library, diff, orphaned_answers

TRAVEL = dedent("""\
    title: How you travel
    pages:
      - id: travel_page
        questions:
          - id: transport
            type: radios
            label: How did you travel?
            options:
              - {value: bus, label: Bus}
              - {value: coach, label: Coach}
              - {value: walk, label: Walking}
      - id: name_page
        questions:
          - id: name
            type: text
            label: Your name
    """)


def travel(*edits: tuple[str, str]) -> str:
    text = TRAVEL
    for old, new in edits:
        if old not in text:
            raise ValueError(f"{old!r} is not in the travel form")
        text = text.replace(old, new)
    return text


def write(path: Path, text: str) -> None:
    """Write a form file and move its modification time on, so a watcher sees every change."""
    before = path.stat().st_mtime_ns if path.exists() else 0
    path.write_text(text, encoding="utf-8")
    os.utime(path, ns=(before + 10**9, before + 10**9))


# --- diffs ------------------------------------------------------------------------------------------


def test_the_diff_names_an_added_question_a_removed_option_and_a_reworded_label() -> None:
    old = load_form_text(TRAVEL, "travel.yaml")
    new = load_form_text(
        travel(
            ("          - {value: coach, label: Coach}\n", ""),
            ("label: Your name", "label: Your full name"),
            (
                "        label: Your full name\n",
                "        label: Your full name\n      - {id: email, type: email, label: Your email}\n",
            ),
        ).replace(
            "  - id: name_page\n    questions:", "  - id: name_page\n    title: About you\n    questions:"
        ),
        "travel.yaml",
    )

    sentences = [str(change) for change in diff(old, new)]

    assert sentences == [
        'Removed option coach ("Coach") from question transport',
        'Reworded question name: "Your name" is now "Your full name"',
        'Added question email ("Your email") on page name_page',
    ]


def test_the_diff_follows_a_question_that_replaces_an_old_id() -> None:
    old = load_form_text(TRAVEL, "travel.yaml")
    new = load_form_text(travel(("id: name\n", "id: full_name\n        replaces: name\n")), "travel.yaml")

    assert [change.kind for change in diff(old, new)] == ["question_renamed"]


def test_two_identical_versions_have_no_differences() -> None:
    assert diff(load_form_text(TRAVEL, "travel.yaml"), load_form_text(TRAVEL, "travel.yaml")) == ()


# --- orphaning ----------------------------------------------------------------------------------------


def test_removing_a_question_orphans_its_answers_and_replaces_silences_it() -> None:
    old = load_form_text(TRAVEL, "travel.yaml")
    renamed = load_form_text(travel(("id: name\n", "id: full_name\n")), "travel.yaml")
    declared = load_form_text(
        travel(("id: name\n", "id: full_name\n        replaces: name\n")), "travel.yaml"
    )

    assert [str(found) for found in orphaned_answers(old, renamed)] == [
        "question name has gone, so the answers given to it would be orphaned. "
        "Fix: put it back, or add replaces: name to the question that takes its place"
    ]
    assert orphaned_answers(old, declared) == ()


def test_removing_an_option_orphans_its_answers_and_replaces_silences_it() -> None:
    old = load_form_text(TRAVEL, "travel.yaml")
    merged = load_form_text(travel(("          - {value: coach, label: Coach}\n", "")), "travel.yaml")
    declared = load_form_text(
        travel(
            ("          - {value: coach, label: Coach}\n", ""),
            ("{value: bus, label: Bus}", "{value: bus, label: Bus or coach, replaces: coach}"),
        ),
        "travel.yaml",
    )

    assert [found.question_id for found in orphaned_answers(old, merged)] == ["transport"]
    assert "option coach of question transport has gone" in str(orphaned_answers(old, merged)[0])
    assert orphaned_answers(old, declared) == ()


def test_keeping_an_id_but_changing_its_type_orphans_its_answers() -> None:
    old = load_form_text(TRAVEL, "travel.yaml")
    retyped = load_form_text(travel(("type: text\n", "type: long_text\n")), "travel.yaml")

    assert [str(found) for found in orphaned_answers(old, retyped)] == [
        "question name was text and is now long_text, so the answers already given would not fit it. "
        "Fix: give the new question another id and replaces: name"
    ]


def test_adding_questions_and_options_orphans_nothing() -> None:
    old = load_form_text(TRAVEL, "travel.yaml")
    grown = load_form_text(
        travel(
            (
                "          - {value: walk, label: Walking}\n",
                "          - {value: walk, label: Walking}\n          - {value: cycle, label: Cycling}\n",
            )
        ),
        "travel.yaml",
    )

    assert orphaned_answers(old, grown) == ()


# --- the live version ------------------------------------------------------------------------------------


async def test_a_form_file_is_stored_published_and_served(storage: str, tmp_path: Path) -> None:
    write(tmp_path / "travel.yaml", TRAVEL)
    library = Library(forms_dir=tmp_path)

    await library.start()

    live = await store.live_form_versions()
    assert live == {"travel": library.forms["travel"].version}
    [record] = await store.version_records("travel")
    assert (record.source, record.published_at is not None) == ("file", True)


async def test_a_broken_file_keeps_the_last_good_version_live_and_reports_the_mistake(
    storage: str, tmp_path: Path
) -> None:
    write(tmp_path / "travel.yaml", TRAVEL)
    library = Library(forms_dir=tmp_path)
    await library.start()
    good = library.forms["travel"].version

    write(tmp_path / "travel.yaml", TRAVEL.replace("type: text", "type: txt"))
    published = await library.check_files()

    assert published == []
    assert library.forms["travel"].version == good
    assert [str(error) for error in library.problems_of("travel")] == [
        f"{tmp_path / 'travel.yaml'}:15:15: there is no question type 'txt'. Fix: did you mean text?"
    ]


async def test_a_worker_starting_with_a_broken_file_serves_the_good_version_stored_before(
    storage: str, tmp_path: Path
) -> None:
    write(tmp_path / "travel.yaml", TRAVEL)
    await Library(forms_dir=tmp_path).start()
    write(tmp_path / "travel.yaml", "title: [broken\n")

    restarted = Library(forms_dir=tmp_path)
    await restarted.start()

    assert restarted.forms["travel"].title.default == "How you travel"
    assert len(restarted.problems_of("travel")) == 1


async def test_a_form_with_no_good_version_is_not_served(storage: str, tmp_path: Path) -> None:
    write(tmp_path / "travel.yaml", "title: [broken\n")
    library = Library(forms_dir=tmp_path)

    await library.start()

    assert "travel" not in library.forms
    assert library.problems_of("travel")


async def test_a_changed_file_goes_live_for_every_worker(storage: str, tmp_path: Path) -> None:
    write(tmp_path / "travel.yaml", TRAVEL)
    first, second = Library(forms_dir=tmp_path), Library(forms_dir=tmp_path)
    await first.start()
    await second.start()

    write(tmp_path / "travel.yaml", travel(("label: Your name", "label: Your full name")))
    assert await first.check_files() == ["travel"]
    await second.refresh()

    assert second.forms["travel"].question("name").label.default == "Your full name"


async def test_an_unchanged_file_does_not_take_the_live_place_back_from_an_upload(
    storage: str, tmp_path: Path
) -> None:
    write(tmp_path / "travel.yaml", TRAVEL)
    library = Library(forms_dir=tmp_path)
    await library.start()
    uploaded = await library.store_upload(travel(("label: Your name", "label: Name")), "travel.yaml")
    await library.publish("travel", uploaded.version)

    restarted = Library(forms_dir=tmp_path)
    await restarted.start()

    assert restarted.forms["travel"].version == uploaded.version


async def test_an_upload_is_not_served_until_it_is_published(storage: str, tmp_path: Path) -> None:
    write(tmp_path / "travel.yaml", TRAVEL)
    library = Library(forms_dir=tmp_path)
    await library.start()
    live = library.forms["travel"].version

    uploaded = await library.store_upload(travel(("label: Your name", "label: Name")), "travel.yaml")

    assert library.forms["travel"].version == live
    assert (await library.stored_form("travel", uploaded.version)) == uploaded
    records = {record.version: record for record in await store.version_records("travel")}
    assert (records[uploaded.version].source, records[uploaded.version].published_at) == ("upload", None)


async def test_publishing_an_unknown_version_is_refused(storage: str) -> None:
    with pytest.raises(store.NotFound):
        await Library().publish("travel", "no-such-version")


# --- coform check --stored ------------------------------------------------------------------------------


async def _publish_files(database_url: str, folder: Path) -> None:
    await store.migrate(database_url)
    async with store.connect(database_url):
        await Library(forms_dir=folder).start()


def test_coform_check_stored_flags_orphaned_answers_and_replaces_silences_it(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "live").mkdir()
    write(tmp_path / "live" / "travel.yaml", TRAVEL)
    asyncio.run(_publish_files(database_url, tmp_path / "live"))
    monkeypatch.setenv("DATABASE_URL", database_url)
    edited = tmp_path / "travel.yaml"

    write(edited, travel(("id: name\n", "id: full_name\n")))
    assert main(["check", "--stored", str(edited)]) == 1
    [line] = capsys.readouterr().out.splitlines()
    assert line.startswith(
        f"{edited}:1:1: question name has gone, so the answers given to it would be orphaned"
    )

    write(edited, travel(("id: name\n", "id: full_name\n        replaces: name\n")))
    assert main(["check", "--stored", str(edited)]) == 0
    assert capsys.readouterr().out.startswith("travel: How you travel")
