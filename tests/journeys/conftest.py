"""Journey fixtures: the app serving the bundled forms on a fresh database (SQLite and PostgreSQL),
at a fixed moment while every bundled form is open, and a browser with JavaScript off."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from starlette.applications import Starlette
from starlette.testclient import TestClient

from app import create_app, load_bundled_forms
from engine.definition import Form
from engine.settings import PROJECT_ROOT, Settings

#: Every bundled form is open at this moment (they open on 1 November 2026).
NOW = dt.datetime(2026, 11, 26, 10, 0, tzinfo=dt.UTC)


@pytest.fixture
def settings(database_url: str) -> Settings:
    # Plain http in tests, where a browser would not send a Secure cookie back.
    return Settings(
        database_url=database_url,
        forms_dir=PROJECT_ROOT / "forms",
        secret_key="journey-tests",
        secure_cookies=False,
    )


@pytest.fixture(scope="session")
def bundled_forms() -> dict[str, Form]:
    forms = load_bundled_forms(Settings(forms_dir=PROJECT_ROOT / "forms"))
    assert forms, "the bundled forms did not load"
    return forms


@pytest.fixture
def app(settings: Settings, bundled_forms: dict[str, Form]) -> Starlette:
    return create_app(settings, forms=bundled_forms, clock=lambda: NOW)


@pytest.fixture
def client(app: Starlette) -> Iterator[TestClient]:
    with TestClient(app) as client:
        yield client


def new_browser(app: Starlette) -> TestClient:
    """Another browser (no cookies) on the same running app."""
    return TestClient(app)
