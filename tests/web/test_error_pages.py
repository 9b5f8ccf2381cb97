"""Errors get friendly, plain-English, whole pages that htmx swaps in place of the whole body."""

from __future__ import annotations

import logging

import pytest
from starlette.applications import Starlette
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.testclient import TestClient


def test_an_unknown_page_shows_the_friendly_not_found_page(client: TestClient) -> None:
    response = client.get("/no-such-page")

    assert response.status_code == 404
    assert '<h1 class="heading-l">Page not found</h1>' in response.text
    assert "check you copied all of it" in response.text
    assert response.headers["hx-retarget"] == "body"
    assert response.headers["hx-reswap"] == "outerHTML"


def test_an_unknown_form_slug_is_not_found(client: TestClient) -> None:
    response = client.get("/forms/no-such-form/preview")

    assert response.status_code == 404
    assert "Page not found" in response.text


def test_the_wrong_method_shows_the_friendly_page_and_says_what_is_allowed(client: TestClient) -> None:
    response = client.post("/forms/garden/preview")

    assert response.status_code == 405
    assert "This page cannot be used in that way" in response.text
    assert set(response.headers["allow"].split(", ")) == {"GET", "HEAD"}


def test_a_declared_body_over_the_limit_is_refused_with_the_friendly_page(client: TestClient) -> None:
    response = client.post("/forms/garden/preview", content=b"x" * 4096)

    assert response.status_code == 413
    assert "what you sent was too big" in response.text
    assert response.headers["hx-retarget"] == "body"
    assert "default-src 'self'" in response.headers["content-security-policy"]


def test_a_streamed_body_over_the_limit_is_refused_once_it_crosses_the_limit(
    app: Starlette, client: TestClient
) -> None:
    async def read_body(request: Request) -> Response:
        await request.body()
        return Response("read")

    app.router.routes.append(Route("/test-read", read_body, methods=["POST"]))

    def chunks() -> list[bytes]:
        return [b"x" * 1000] * 4

    response = client.post("/test-read", content=iter(chunks()))

    assert response.status_code == 413
    assert "what you sent was too big" in response.text


def test_an_unexpected_error_shows_a_page_that_leaks_nothing(app: Starlette, client: TestClient) -> None:
    async def broken(request: Request) -> Response:
        raise RuntimeError("database password is hunter2")

    app.router.routes.append(Route("/test-broken", broken))

    response = client.get("/test-broken")

    assert response.status_code == 500
    assert "there is a problem with the service" in response.text
    assert "hunter2" not in response.text
    assert "RuntimeError" not in response.text
    assert "Traceback" not in response.text
    assert response.headers["content-security-policy"].startswith("default-src 'self'")
    assert response.headers["cache-control"] == "no-store"


def test_a_browser_that_goes_away_mid_request_is_not_logged_as_an_error(
    app: Starlette, client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    async def reads_a_body_that_never_comes(request: Request) -> Response:
        raise ClientDisconnect()

    app.router.routes.append(Route("/test-gone", reads_a_body_that_never_comes, methods=["POST"]))

    with caplog.at_level(logging.INFO):
        response = client.post("/test-gone", data={"a": "b"})

    assert response.status_code == 400
    assert "there is a problem with the service" not in response.text
    assert not [record for record in caplog.records if record.levelno >= logging.WARNING]
