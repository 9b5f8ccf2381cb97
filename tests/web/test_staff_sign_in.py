"""Staff signing in through the pages: the set-password link, setting up an authenticator app, the
code on each sign-in, the cookie, signing out, sessions that end, and limits that hold across workers."""

from __future__ import annotations

import asyncio
import datetime as dt
import functools
import html
import re
from collections.abc import Iterator
from pathlib import Path

import httpx2
import pyotp
import pytest
from argon2 import PasswordHasher
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route
from starlette.testclient import TestClient

from app import create_app
from engine import accounts, storage
from engine.accounts import Staff
from engine.settings import Settings
from engine.web.staff import COOKIE, requires, safe_next
from tests.browser.conftest import start_server
from tests.web.staff_helpers import sign_in_as

NOW = dt.datetime(2026, 11, 26, 10, 0, tzinfo=dt.UTC)
PASSWORD = "correct horse battery staple"
WRONG_PASSWORD_MESSAGE = "The email address or password is not right"


class Clock:
    """The app's "now", moved on by the test."""

    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> dt.datetime:
        return self.now

    def wait(self, **delta: float) -> None:
        self.now += dt.timedelta(**delta)


@pytest.fixture(autouse=True)
def quick_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    """Still argon2id, with the least work, here (the two-worker test's servers hash for real)."""
    monkeypatch.setattr(accounts, "_hasher", PasswordHasher(time_cost=1, memory_cost=8, parallelism=1))


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def app(database_url: str, clock: Clock) -> Starlette:
    settings = Settings(database_url=database_url, secret_key="staff-tests", secure_cookies=False)
    app = create_app(settings, forms={}, clock=clock)

    @requires("reviewer")
    async def reviewers_only(request: Request) -> Response:
        return PlainTextResponse("for reviewers")

    app.router.routes.append(Route("/staff/reviewers-only", reviewers_only))
    return app


@pytest.fixture
def client(app: Starlette) -> Iterator[TestClient]:
    with TestClient(app, follow_redirects=False) as client:
        yield client


def csrf_of(client: TestClient) -> str:
    found = re.search(r'<meta name="csrf-token" content="([^"]+)"', client.get("/staff/sign-in").text)
    assert found is not None
    return found.group(1)


def given_an_account(client: TestClient, role: str, email: str = "sam@example.org") -> str:
    """A new account; returns its set-password link."""
    assert client.portal is not None
    _, token = client.portal.call(functools.partial(accounts.add_user, email, role, now=NOW))
    return f"/staff/setup/{token}"


def when_i_set_my_password(client: TestClient, link: str, password: str = PASSWORD) -> httpx2.Response:
    client.get(link)
    return client.post(
        link, data={"password": password, "password_again": password, "csrf_token": csrf_of(client)}
    )


def when_i_sign_in(
    client: TestClient, email: str = "sam@example.org", password: str = PASSWORD, next_page: str = ""
) -> httpx2.Response:
    data = {"email": email, "password": password, "next": next_page, "csrf_token": csrf_of(client)}
    return client.post("/staff/sign-in", data=data)


def when_i_enter_the_code(client: TestClient, code: str, next_page: str = "") -> httpx2.Response:
    return client.post(
        "/staff/second-factor", data={"code": code, "next": next_page, "csrf_token": csrf_of(client)}
    )


def secret_shown_on(page: httpx2.Response) -> str:
    found = re.search(r'<code class="totp-secret">([A-Z2-7 ]+)</code>', page.text)
    assert found is not None, "the page shows no key to type in"
    return found.group(1).replace(" ", "")


def given_a_reviewer_with_an_app(client: TestClient, clock: Clock) -> pyotp.TOTP:
    when_i_set_my_password(client, given_an_account(client, "reviewer"))
    totp = pyotp.TOTP(secret_shown_on(client.get("/staff/second-factor")))
    when_i_enter_the_code(client, totp.at(clock()))
    client.post("/staff/sign-out", data={"csrf_token": csrf_of(client)})
    clock.wait(minutes=1)
    return totp


def message_of(page: httpx2.Response) -> str:
    """The page's main content without the parts that differ on every request (tokens, what was typed)."""
    main = page.text.split('id="main-content">', 1)[1]
    main = re.sub(r'name="csrf_token" value="[^"]+"', "", main)
    return re.sub(r'name="email" type="email" value="[^"]*"', "", main)


# --- setting up an account ----------------------------------------------------------------------------


def test_a_reviewer_sets_a_password_then_adds_an_authenticator_app_and_reaches_the_staff_home(
    client: TestClient, clock: Clock
) -> None:
    link = given_an_account(client, "reviewer")

    set_up = when_i_set_my_password(client, link)
    assert set_up.status_code == 303
    assert set_up.headers["location"] == "/staff/second-factor"
    enrol = client.get("/staff/second-factor")
    assert "Set up your authenticator app" in enrol.text
    secret = secret_shown_on(enrol)
    assert f'href="otpauth://totp/coform:sam%40example.org?secret={secret}&amp;issuer=coform"' in enrol.text
    assert '<svg role="img" aria-label="QR code"' in enrol.text
    assert client.get("/staff").status_code == 303, "the staff pages wait for the second factor"

    done = when_i_enter_the_code(client, pyotp.TOTP(secret).at(clock()))

    assert done.status_code == 303
    assert done.headers["location"] == "/staff"
    home = client.get("/staff")
    assert home.status_code == 200
    assert "Signed in as sam@example.org (Reviewer)" in home.text
    assert "Read responses, including personal information." in home.text


def test_a_setup_link_works_once(client: TestClient) -> None:
    link = given_an_account(client, "board")
    when_i_set_my_password(client, link)

    again = client.get(link)

    assert again.status_code == 404
    assert "This link has expired or has been used" in again.text


def test_a_setup_link_stops_working_after_three_days(client: TestClient, clock: Clock) -> None:
    link = given_an_account(client, "board")
    clock.wait(days=3)

    late = when_i_set_my_password(client, link)

    assert late.status_code == 404
    assert "This link has expired or has been used" in late.text


def test_a_short_password_or_a_different_second_typing_is_explained(client: TestClient) -> None:
    link = given_an_account(client, "board")
    client.get(link)

    short = when_i_set_my_password(client, link, "too short")
    different = client.post(
        link, data={"password": PASSWORD, "password_again": PASSWORD + "!", "csrf_token": csrf_of(client)}
    )

    assert "Your password must be at least 12 characters" in short.text
    assert 'href="#password"' in short.text
    assert "The passwords do not match" in different.text
    assert 'href="#password_again"' in different.text
    assert short.text.count("<title>Error: ") == 1


# --- signing in ---------------------------------------------------------------------------------------


def test_a_reviewer_signs_in_with_a_password_and_a_code_and_returns_to_the_page_asked_for(
    client: TestClient, clock: Clock
) -> None:
    totp = given_a_reviewer_with_an_app(client, clock)
    asked = client.get("/staff/reviewers-only?page=2")
    assert asked.headers["location"] == "/staff/sign-in?next=%2Fstaff%2Freviewers-only%3Fpage%3D2"

    password_done = when_i_sign_in(client, next_page="/staff/reviewers-only?page=2")
    assert password_done.headers["location"].startswith("/staff/second-factor?next=")
    code_page = client.get(password_done.headers["location"])
    assert "Enter the code from your authenticator app" in code_page.text
    assert "totp-secret" not in code_page.text, "the key is shown only while setting up"
    next_page = re.search(r'name="next" value="([^"]+)"', code_page.text)
    assert next_page is not None
    signed_in = when_i_enter_the_code(client, totp.at(clock()), html.unescape(next_page.group(1)))

    assert signed_in.headers["location"] == "/staff/reviewers-only?page=2"
    assert client.get("/staff/reviewers-only?page=2").text == "for reviewers"


def test_a_code_used_once_is_refused_the_second_time(client: TestClient, clock: Clock) -> None:
    totp = given_a_reviewer_with_an_app(client, clock)
    when_i_sign_in(client)
    code = totp.at(clock())
    when_i_enter_the_code(client, code)
    client.post("/staff/sign-out", data={"csrf_token": csrf_of(client)})

    when_i_sign_in(client)
    replayed = when_i_enter_the_code(client, code)

    assert replayed.status_code == 200
    assert "The code is not right, or has been used already" in replayed.text
    assert client.get("/staff").status_code == 303


def test_a_board_member_needs_no_code(client: TestClient) -> None:
    when_i_set_my_password(client, given_an_account(client, "board"))
    client.post("/staff/sign-out", data={"csrf_token": csrf_of(client)})

    signed_in = when_i_sign_in(client)

    assert signed_in.headers["location"] == "/staff"
    assert client.get("/staff").status_code == 200


def test_a_wrong_password_and_an_unknown_email_show_the_same_page(client: TestClient) -> None:
    when_i_set_my_password(client, given_an_account(client, "board"))
    client.post("/staff/sign-out", data={"csrf_token": csrf_of(client)})

    wrong_password = when_i_sign_in(client, password="not the password at all")
    unknown_email = when_i_sign_in(client, email="nobody@example.org")

    assert wrong_password.status_code == unknown_email.status_code == 200
    assert WRONG_PASSWORD_MESSAGE in wrong_password.text
    assert message_of(wrong_password) == message_of(unknown_email)


def test_an_empty_sign_in_form_says_what_is_missing(client: TestClient) -> None:
    page = when_i_sign_in(client, email="", password="")

    assert "Enter your email address" in page.text
    assert "Enter your password" in page.text
    assert 'aria-describedby="email-error"' in page.text


def test_the_session_cookie_is_http_only_lax_and_sent_only_to_staff_pages(client: TestClient) -> None:
    set_up = when_i_set_my_password(client, given_an_account(client, "board"))

    cookie = set_up.headers["set-cookie"]

    assert cookie.startswith(f"{COOKIE}=")
    assert "HttpOnly" in cookie
    assert "SameSite=lax" in cookie
    assert "Path=/staff" in cookie


def test_the_session_cookie_is_secure_unless_turned_off(database_url: str) -> None:
    app = create_app(Settings(database_url=database_url, secret_key="staff-tests"), forms={})
    with TestClient(app, base_url="https://testserver", follow_redirects=False) as client:
        set_up = when_i_set_my_password(client, given_an_account(client, "board"))

    assert "Secure" in set_up.headers["set-cookie"]


def test_signing_out_ends_the_session_on_the_server(client: TestClient) -> None:
    when_i_set_my_password(client, given_an_account(client, "board"))
    token = client.cookies[COOKIE]

    signed_out = client.post("/staff/sign-out", data={"csrf_token": csrf_of(client)})
    client.cookies.set(COOKIE, token, path="/staff")

    assert signed_out.headers["location"] == "/staff/sign-in?notice=signed_out"
    assert "You have signed out." in client.get(signed_out.headers["location"]).text
    assert client.get("/staff").status_code == 303


def test_a_session_left_for_thirty_minutes_asks_to_sign_in_again(client: TestClient, clock: Clock) -> None:
    sign_in_as(client, "board")
    clock.wait(minutes=29)
    assert client.get("/staff").status_code == 200

    clock.wait(minutes=30)

    assert client.get("/staff").status_code == 303


def test_a_sign_in_without_a_csrf_token_is_refused(client: TestClient) -> None:
    when_i_set_my_password(client, given_an_account(client, "board"))
    client.post("/staff/sign-out", data={"csrf_token": csrf_of(client)})

    forged = client.post("/staff/sign-in", data={"email": "sam@example.org", "password": PASSWORD})

    assert forged.status_code == 403
    assert COOKIE not in forged.headers.get("set-cookie", "")


# --- the guard on staff pages ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "status"), [("reviewer", 200), ("admin", 200), ("board", 403), ("author", 403)]
)
def test_a_guarded_page_lets_in_its_role_and_admin_only(client: TestClient, role: str, status: int) -> None:
    sign_in_as(client, role)

    page = client.get("/staff/reviewers-only")

    assert page.status_code == status
    assert page.headers["cache-control"] == "no-store"
    if status == 403:
        assert "You cannot see this page" in page.text


@pytest.mark.parametrize(
    ("asked", "goes_to"),
    [
        ("/staff/forms/board/responses?page=2", "/staff/forms/board/responses?page=2"),
        ("/staff", "/staff"),
        ("https://evil.example/staff", "/staff"),
        ("//evil.example/staff", "/staff"),
        ("/staffing", "/staff"),
        ("/staff\\..\\evil", "/staff"),
        (None, "/staff"),
    ],
)
def test_after_signing_in_people_go_only_to_staff_pages(asked: str | None, goes_to: str) -> None:
    assert safe_next(asked) == goes_to


# --- limits across workers ------------------------------------------------------------------------------


async def _account_with_password(database_url: str, email: str) -> Staff:
    async with storage.connect(database_url):
        _, token = await accounts.add_user(email, "board")
        return await accounts.set_password(token, PASSWORD)


def _sign_in_over_http(base_url: str, email: str, password: str) -> httpx2.Response:
    with httpx2.Client(base_url=base_url, timeout=60) as browser:
        page = browser.get("/staff/sign-in")
        token = re.search(r'<meta name="csrf-token" content="([^"]+)"', page.text)
        assert token is not None
        data = {"email": email, "password": password, "next": "", "csrf_token": token.group(1)}
        return browser.post("/staff/sign-in", data=data, follow_redirects=False)


@pytest.mark.slow
def test_the_sign_in_limit_holds_across_two_workers(database_url: str, tmp_path: Path) -> None:
    workers = [start_server(database_url), start_server(database_url)]
    try:
        asyncio.run(_account_with_password(database_url, "sam@example.org"))
        failures = [
            _sign_in_over_http(workers[attempt % 2].url, "sam@example.org", "a wrong guess")
            for attempt in range(accounts.EMAIL_ATTEMPT_LIMIT)
        ]
        right_password_on_the_other_worker = _sign_in_over_http(workers[1].url, "sam@example.org", PASSWORD)
        unknown = [
            _sign_in_over_http(workers[attempt % 2].url, "nobody@example.org", "a wrong guess")
            for attempt in range(accounts.EMAIL_ATTEMPT_LIMIT + 1)
        ]
    finally:
        for worker in workers:
            worker.stop()

    assert [page.status_code for page in failures] == [200] * accounts.EMAIL_ATTEMPT_LIMIT
    assert all(WRONG_PASSWORD_MESSAGE in page.text for page in failures)
    assert right_password_on_the_other_worker.status_code == 429
    assert "You have tried to sign in too many times" in right_password_on_the_other_worker.text
    assert [page.status_code for page in unknown] == [200] * accounts.EMAIL_ATTEMPT_LIMIT + [429]
