"""Fixtures for the web tests: an app serving one small inline form, and a client for it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.applications import Starlette
from starlette.testclient import TestClient

from app import create_app
from engine.definition import Form
from engine.loader import load_form_text
from engine.settings import Settings

GARDEN_FORM = """
title: Tell us about the garden
summary: A short survey about the community garden.
audience: People who use the garden.
sensitive: true
privacy: We keep your answers for **one year**.
help_now: If you are in danger now, call 999.
pages:
  - id: visits_page
    questions:
      - id: visits
        type: number
        label: How many times have you visited?
        hint: Count this year only.
  - id: likes_page
    title: What you like
    questions:
      - id: likes
        type: checkboxes
        label: What do you like?
        options:
          - {value: paths, label: The paths}
          - {value: beds, label: The raised beds, hint: There are 8.}
      - id: comments
        type: long_text
        optional: true
        max_length: 200
        label: Anything else?
"""


@pytest.fixture
def garden_form() -> Form:
    return load_form_text(GARDEN_FORM, "garden.yaml")


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    # The test client speaks plain http, where a browser would not send Secure cookies back.
    # The app opens its database at start-up: each test gets its own SQLite file.
    return Settings(
        database_url=f"sqlite://{tmp_path / 'coform.sqlite3'}",
        secret_key="test-secret",
        secure_cookies=False,
        max_body_bytes=2048,
    )


@pytest.fixture
def app(settings: Settings, garden_form: Form) -> Starlette:
    return create_app(settings, forms={"garden": garden_form})


@pytest.fixture
def client(app: Starlette) -> Iterator[TestClient]:
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client
