"""A draft stays on the form version it started with: when an author publishes a new version while
someone is part-way through, they finish, check and send their answers on the version they began,
and the submission says so; anyone starting after the change gets the new version."""

from __future__ import annotations

import dataclasses
import os
import re
from collections.abc import Iterator
from pathlib import Path
from textwrap import dedent

import pytest
from httpx2 import Response
from starlette.applications import Starlette
from starlette.testclient import TestClient

from app import create_app
from engine.settings import Settings
from engine.versions import Library
from tests.journeys.conftest import NOW
from tests.journeys.story import (
    and_i_answer,
    and_i_save_for_later,
    and_i_send_my_answers,
    press,
    reference_on,
    stored_submission,
    then_i_am_on,
    then_i_do_not_see,
    then_i_see,
    when_i_start,
)

SLUG = "library-hours"
FORM = f"/forms/{SLUG}"

VERSION_ONE = dedent("""\
    title: Library opening hours
    pages:
      - id: visits_page
        questions:
          - id: visits
            type: radios
            label: How often do you visit the library?
            options:
              - {value: weekly, label: Every week}
              - {value: rarely, label: Now and then}
      - id: evenings_page
        questions:
          - id: evenings
            type: yes_no
            label: Would you come in the evenings?
    """)

VERSION_TWO = VERSION_ONE.replace("evenings", "weekends").replace("in the weekends", "at weekends")


@pytest.fixture
def forms_dir(tmp_path: Path) -> Path:
    directory = tmp_path / "forms"
    directory.mkdir()
    write(directory / f"{SLUG}.yaml", VERSION_ONE)
    return directory


@pytest.fixture
def app(settings: Settings, forms_dir: Path) -> Starlette:
    return create_app(dataclasses.replace(settings, forms_dir=forms_dir), clock=lambda: NOW)


@pytest.fixture
def client(app: Starlette) -> Iterator[TestClient]:
    with TestClient(app) as client:
        yield client


def write(path: Path, text: str) -> None:
    """Write a form file and move its modification time on, so the library sees the change."""
    before = path.stat().st_mtime_ns if path.exists() else 0
    path.write_text(text, encoding="utf-8")
    os.utime(path, ns=(before + 10**9, before + 10**9))


def when_the_author_publishes_version_two(client: TestClient, forms_dir: Path) -> None:
    write(forms_dir / f"{SLUG}.yaml", VERSION_TWO)
    assert client.portal is not None
    library: Library = client.app.state.library  # type: ignore[attr-defined]
    published = client.portal.call(library.check_files)
    assert published == [SLUG]


def on_another_browser(client: TestClient) -> None:
    """Carry on as someone else, or the same person on another device: no cookies. (A second test
    client would run the app on another event loop, which the database connection refuses.)"""
    client.cookies.clear()


def live_version(client: TestClient) -> str:
    version: str = client.app.state.forms[SLUG].version  # type: ignore[attr-defined]
    return version


def and_i_am_on_the_evenings_question(page: Response) -> None:
    then_i_am_on(page, f"{FORM}/evenings_page")
    then_i_see(page, "Would you come in the evenings?")


def test_a_draft_started_before_a_new_version_is_finished_and_sent_on_its_own_version(
    client: TestClient, forms_dir: Path
) -> None:
    version_one = live_version(client)
    page = when_i_start(client, SLUG)
    page = and_i_answer(client, page, {"visits": "weekly"})
    and_i_am_on_the_evenings_question(page)

    when_the_author_publishes_version_two(client, forms_dir)
    assert live_version(client) != version_one
    page = client.get(f"{FORM}/evenings_page")
    and_i_am_on_the_evenings_question(page)
    page = and_i_answer(client, page, {"evenings": "yes"})
    then_i_am_on(page, f"{FORM}/check-answers")
    then_i_see(page, "Would you come in the evenings?")
    then_i_do_not_see(page, "Would you come at weekends?")
    page = and_i_send_my_answers(client, page)

    then_i_am_on(page, f"{FORM}/confirmation")
    submission = stored_submission(client, reference_on(page))
    assert submission.version == version_one
    assert submission.answers == {"visits": "weekly", "evenings": True}


def test_start_now_on_the_start_page_carries_on_with_the_draft_on_its_own_version(
    client: TestClient, forms_dir: Path
) -> None:
    page = when_i_start(client, SLUG)
    and_i_answer(client, page, {"visits": "weekly"})

    when_the_author_publishes_version_two(client, forms_dir)
    start = client.get(FORM)
    page = press(client, start, {})

    and_i_am_on_the_evenings_question(page)


def test_a_resume_link_after_a_new_version_opens_the_draft_on_its_own_version(
    client: TestClient, forms_dir: Path
) -> None:
    page = when_i_start(client, SLUG)
    saved = and_i_save_for_later(client, page, {"visits": "rarely"})
    link = re.search(r'value="(http://testserver/resume/[^"]+)"', saved.text)
    assert link is not None

    when_the_author_publishes_version_two(client, forms_dir)
    on_another_browser(client)
    page = client.get(link.group(1))

    then_i_am_on(page, f"{FORM}/evenings_page")
    then_i_see(page, "Would you come in the evenings?")


def test_someone_starting_after_a_new_version_is_published_gets_the_new_version(
    client: TestClient, forms_dir: Path
) -> None:
    page = when_i_start(client, SLUG)
    and_i_answer(client, page, {"visits": "weekly"})

    when_the_author_publishes_version_two(client, forms_dir)
    on_another_browser(client)
    page = when_i_start(client, SLUG)
    page = and_i_answer(client, page, {"visits": "weekly"})

    then_i_am_on(page, f"{FORM}/weekends_page")
    then_i_see(page, "Would you come at weekends?")
