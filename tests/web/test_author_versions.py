"""Versions on the author pages: broken files, the versions list, upload, check, publish and diffs."""

from __future__ import annotations

import os
from html import unescape
from pathlib import Path
from textwrap import dedent

from starlette.testclient import TestClient

from app import create_app
from engine import storage
from engine.settings import Settings
from tests.web.author_helpers import csrf_token
from tests.web.staff_helpers import sign_in_as

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
      - id: name_page
        questions:
          - id: name
            type: text
            label: Your name
    """)
BROKEN = TRAVEL.replace("type: text", "type: txt")


def write(path: Path, text: str) -> None:
    """Write a form file and move its modification time on, so the watcher sees every change."""
    before = path.stat().st_mtime_ns if path.exists() else 0
    path.write_text(text, encoding="utf-8")
    os.utime(path, ns=(before + 10**9, before + 10**9))


def files_app(settings: Settings, forms_dir: Path) -> TestClient:
    return TestClient(create_app(Settings(**{**settings.__dict__, "forms_dir": forms_dir})))


def upload(client: TestClient, name: str, text: str) -> str:
    """Upload a definition; returns where the app sent the author (the version page, if it checked out)."""
    answer = client.post(
        "/staff/author/upload",
        data={"csrf_token": csrf_token(client)},
        files={"definition": (name, text.encode("utf-8"), "application/yaml")},
        follow_redirects=False,
    )
    assert answer.status_code == 303, answer.text
    return answer.headers["location"]


def test_a_broken_file_keeps_respondents_on_the_last_good_version_and_shows_authors_the_mistake(
    settings: Settings, tmp_path: Path
) -> None:
    forms_dir = tmp_path / "forms"
    forms_dir.mkdir()
    write(forms_dir / "travel.yaml", TRAVEL)
    with files_app(settings, forms_dir) as client:
        assert client.get("/forms/travel/name_page").status_code in (200, 303)
    write(forms_dir / "travel.yaml", BROKEN.replace("title: How you travel", "title: How you travelled"))

    with files_app(settings, forms_dir) as client:
        start = client.get("/forms/travel")
        sign_in_as(client, "author")
        versions = client.get("/staff/forms/travel/versions")
        home = client.get("/staff/author")

    assert start.status_code == 200
    assert "How you travel" in start.text
    assert "How you travelled" not in start.text
    assert (
        f"<code>{forms_dir / 'travel.yaml'}:14:15</code>: there is no question type &#39;txt&#39;."
        in versions.text
    )
    assert "<strong>Fix:</strong> did you mean text?" in versions.text
    assert "Respondents still get the last good version" in versions.text
    assert "1 mistake" in home.text


def test_in_development_a_file_that_breaks_while_running_is_reported_and_a_fixed_one_goes_live(
    settings: Settings, tmp_path: Path
) -> None:
    forms_dir = tmp_path / "forms"
    forms_dir.mkdir()
    write(forms_dir / "travel.yaml", TRAVEL)
    with files_app(settings, forms_dir) as client:
        library = client.app.state.library  # type: ignore[attr-defined]
        sign_in_as(client, "author")

        write(forms_dir / "travel.yaml", BROKEN)
        client.portal.call(library.check_files)  # type: ignore[union-attr]
        broken = client.get("/staff/forms/travel/versions")
        still = client.get("/forms/travel")

        write(forms_dir / "travel.yaml", TRAVEL.replace("title: How you travel", "title: How you travelled"))
        client.portal.call(library.check_files)  # type: ignore[union-attr]
        fixed = client.get("/forms/travel")

    assert "there is no question type &#39;txt&#39;" in broken.text
    assert "How you travel" in still.text
    assert "How you travelled" in fixed.text


def test_a_form_with_no_good_version_is_not_served_but_its_mistakes_are_shown(
    settings: Settings, tmp_path: Path
) -> None:
    forms_dir = tmp_path / "forms"
    forms_dir.mkdir()
    write(forms_dir / "travel.yaml", BROKEN)

    with files_app(settings, forms_dir) as client:
        start = client.get("/forms/travel")
        sign_in_as(client, "author")
        versions = client.get("/staff/forms/travel/versions")

    assert start.status_code == 404
    assert "cannot use this form until the file is put right" in versions.text


def test_the_versions_list_shows_dates_sources_and_response_counts(client: TestClient) -> None:
    sign_in_as(client, "author")
    version = client.app.state.forms["garden"].version  # type: ignore[attr-defined]
    client.portal.call(storage.create_draft, "garden", version, "en")  # type: ignore[union-attr]

    page = client.get("/staff/forms/garden/versions")

    assert page.status_code == 200
    assert f'<code>{version[:12]}</code></a> <strong class="tag tag--green">Live</strong>' in unescape(
        page.text
    )
    assert "<td>Form file</td>" in unescape(page.text)
    assert "<td>1</td>\n      <td>0</td>" in unescape(page.text)


def test_an_upload_is_checked_previewed_and_published_only_on_confirmation(
    settings: Settings, tmp_path: Path
) -> None:
    forms_dir = tmp_path / "forms"
    forms_dir.mkdir()
    write(forms_dir / "travel.yaml", TRAVEL)
    changed = TRAVEL.replace("label: Your name", "label: Your full name").replace(
        "          - {value: coach, label: Coach}\n", ""
    )
    with files_app(settings, forms_dir) as client:
        sign_in_as(client, "author")
        version_page = upload(client, "travel.yaml", changed)
        check = client.get(version_page)
        preview = client.get(
            f"/staff/forms/travel/preview?version={version_page.rsplit('/', 1)[1]}&page=name_page"
        )
        before = client.get("/forms/travel/name_page", follow_redirects=True)
        published = client.post(
            f"{version_page}/publish", data={"csrf_token": csrf_token(client)}, follow_redirects=False
        )
        listing = client.get(published.headers["location"])
        live = client.app.state.forms["travel"]  # type: ignore[attr-defined]

    assert 'Reworded question name: "Your name" is now "Your full name"' in unescape(check.text)
    assert "option coach of question transport has gone" in unescape(check.text)
    assert "Publish this version" in unescape(check.text)
    assert "Your full name" in preview.text
    assert "This version (<code>" in preview.text
    assert "Your full name" not in before.text
    assert published.status_code == 303
    assert "is now live" in listing.text
    assert "<td>Uploaded</td>" in listing.text
    assert live.question("name").label.default == "Your full name"


def test_an_upload_with_mistakes_is_refused_with_each_mistake_and_its_fix(client: TestClient) -> None:
    sign_in_as(client, "author")

    answer = client.post(
        "/staff/author/upload",
        data={"csrf_token": csrf_token(client)},
        files={"definition": ("travel.yaml", BROKEN.encode("utf-8"), "application/yaml")},
    )

    assert answer.status_code == 422
    assert "<code>travel.yaml:14:15</code>: there is no question type &#39;txt&#39;." in answer.text
    assert '<a href="#problems">travel.yaml cannot be used yet' in answer.text


def test_an_upload_without_a_file_asks_for_one(client: TestClient) -> None:
    sign_in_as(client, "author")

    answer = client.post("/staff/author/upload", data={"csrf_token": csrf_token(client)})

    assert answer.status_code == 422
    assert '<a href="#definition">Choose a form file to upload</a>' in answer.text


def test_the_diff_page_names_an_added_question_a_removed_option_and_a_reworded_label(
    settings: Settings, tmp_path: Path
) -> None:
    forms_dir = tmp_path / "forms"
    forms_dir.mkdir()
    write(forms_dir / "travel.yaml", TRAVEL)
    changed = (
        TRAVEL.replace("label: Your name", "label: Your full name")
        .replace("          - {value: coach, label: Coach}\n", "")
        .replace("  - id: name_page\n", "  - id: name_page\n    title: About you\n")
        .replace(
            "        label: Your full name\n",
            "        label: Your full name\n      - {id: email, type: email, label: Email}\n",
        )
    )
    with files_app(settings, forms_dir) as client:
        sign_in_as(client, "author")
        old = client.app.state.forms["travel"].version  # type: ignore[attr-defined]
        new = upload(client, "travel.yaml", changed).rsplit("/", 1)[1]
        page = client.get(f"/staff/forms/travel/diff?from={old}&to={new}")

    assert page.status_code == 200
    assert 'Added question email ("Email") on page name_page' in unescape(page.text)
    assert 'Removed option coach ("Coach") from question transport' in unescape(page.text)
    assert 'Reworded question name: "Your name" is now "Your full name"' in unescape(page.text)
