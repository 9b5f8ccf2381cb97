"""A POST is accepted only with a CSRF token issued to the same browser."""

from __future__ import annotations

import re

import pytest
from itsdangerous import URLSafeTimedSerializer
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route
from starlette.testclient import TestClient

from app import create_app
from engine.definition import Form
from engine.settings import Settings
from engine.web.security import CSRF_COOKIE, CSRF_SCOPE_KEY, CsrfTokens


@pytest.fixture
def posting_client(app: Starlette, client: TestClient) -> TestClient:
    """The client, with a test-only POST endpoint that uses the CSRF check endpoints will use."""

    async def accept(request: Request) -> Response:
        csrf: CsrfTokens = request.app.state.csrf
        form = await csrf.checked_form(request)
        return PlainTextResponse(f"accepted {form['answer']}")

    app.router.routes.append(Route("/test-post", accept, methods=["POST"]))
    return client


def token_in(html: str) -> str:
    match = re.search(r'<meta name="csrf-token" content="([^"]+)">', html)
    assert match is not None
    return match.group(1)


def test_a_post_with_the_token_from_the_page_is_accepted(posting_client: TestClient) -> None:
    token = token_in(posting_client.get("/").text)

    response = posting_client.post("/test-post", data={"csrf_token": token, "answer": "yes"})

    assert response.status_code == 200
    assert response.text == "accepted yes"


def test_a_post_without_a_token_gets_a_plain_english_403_page(posting_client: TestClient) -> None:
    posting_client.get("/")

    response = posting_client.post("/test-post", data={"answer": "yes"})

    assert response.status_code == 403
    assert "Sorry, we could not accept that" in response.text
    assert "refresh the page and try again" in response.text


def test_a_token_issued_to_another_browser_is_refused(posting_client: TestClient, app: Starlette) -> None:
    with TestClient(app) as other_browser:
        stolen = token_in(other_browser.get("/").text)
    posting_client.get("/")

    response = posting_client.post("/test-post", data={"csrf_token": stolen, "answer": "yes"})

    assert response.status_code == 403


def test_a_tampered_token_is_refused(posting_client: TestClient) -> None:
    token = token_in(posting_client.get("/").text)

    response = posting_client.post("/test-post", data={"csrf_token": token[:-2] + "xx", "answer": "yes"})

    assert response.status_code == 403


def test_the_token_travels_in_a_header_for_htmx_requests_without_a_form(posting_client: TestClient) -> None:
    token = token_in(posting_client.get("/").text)

    response = posting_client.post("/test-post", data={"answer": "no"}, headers={"X-CSRF-Token": token})

    assert response.status_code == 200


def test_the_token_is_different_on_every_render_and_each_one_works(posting_client: TestClient) -> None:
    first = token_in(posting_client.get("/").text)
    second = token_in(posting_client.get("/").text)

    assert first != second
    for token in (first, second):
        assert posting_client.post("/test-post", data={"csrf_token": token, "answer": "x"}).status_code == 200


def test_the_csrf_cookie_is_httponly_lax_and_secure_by_default(garden_form: Form) -> None:
    app = create_app(Settings(secret_key="k"), forms={"garden": garden_form})
    with TestClient(app, base_url="https://testserver") as client:
        cookie = client.get("/").headers["set-cookie"]

    assert cookie.startswith(f"{CSRF_COOKIE}=")
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie
    assert "Secure" in cookie
    assert "Path=/" in cookie


def test_the_secure_flag_can_be_turned_off_for_local_http(client: TestClient) -> None:
    cookie = client.get("/").headers["set-cookie"]

    assert "Secure" not in cookie


def test_the_cookie_is_set_once_and_kept(client: TestClient) -> None:
    client.get("/")

    assert "set-cookie" not in client.get("/").headers


def browser_request(cookie: str) -> Request:
    """A request from the browser holding CSRF cookie `cookie`, as CsrfMiddleware leaves it."""
    headers = [(b"cookie", f"{CSRF_COOKIE}={cookie}".encode())]
    scope = {"type": "http", "method": "POST", "path": "/", "headers": headers, CSRF_SCOPE_KEY: cookie}
    return Request(scope)


def test_a_token_is_refused_once_it_is_older_than_its_lifetime(monkeypatch: pytest.MonkeyPatch) -> None:
    tokens = CsrfTokens("test-secret", max_age_seconds=60)
    request = browser_request("c" * 43)
    monkeypatch.setattr("engine.web.security.time.time", lambda: 1_000_000.0)
    token = tokens.token_for(request)

    monkeypatch.setattr("engine.web.security.time.time", lambda: 1_000_060.0)
    assert tokens.is_valid(request, token)
    monkeypatch.setattr("engine.web.security.time.time", lambda: 1_000_061.0)
    assert not tokens.is_valid(request, token)


def test_a_token_does_not_reveal_the_cookie_secret() -> None:
    token = CsrfTokens("test-secret", max_age_seconds=60).token_for(browser_request("c" * 43))

    assert "c" * 8 not in token


def test_a_token_signed_in_the_earlier_format_is_still_accepted_in_the_same_browser() -> None:
    """Pages rendered before the HMAC tokens, still open in someone's browser, can still be sent."""
    earlier = URLSafeTimedSerializer("test-secret", salt="coform.csrf").dumps(["c" * 43, "nonce"])
    tokens = CsrfTokens("test-secret", max_age_seconds=60)

    assert tokens.is_valid(browser_request("c" * 43), earlier)
    assert not tokens.is_valid(browser_request("d" * 43), earlier)


def test_a_token_with_characters_no_token_has_is_refused_not_an_error(posting_client: TestClient) -> None:
    token = token_in(posting_client.get("/").text)

    response = posting_client.post("/test-post", data={"csrf_token": token[:-1] + "é", "answer": "yes"})

    assert response.status_code == 403
