"""Every staff route against every role: anonymous, board, reviewer, author, safeguarding and admin.

The routes come from the app itself, so a page added later is covered without touching this file.
Who may open a route comes from the `ROUTE_ROLES` table in the module that defines its endpoint
(engine.web.staff.PUBLIC marks the sign-in pages anyone may open); a /staff route missing from its
module's table fails `test_every_staff_route_says_who_may_open_it`.

What is expected of each route and method:
- anonymous: 303 to /staff/sign-in?next=…
- signed in without the role: 403 with the "You cannot see this page" page
- signed in with the role (admin has every role): GET answers 200; a POST with a valid CSRF token
  is let through (anything but the sign-in redirect, the 403 page or a server error)

Path parameters are filled in by `path_values`: {slug} is a bundled form; any other parameter (an
id, a reference, a token) is made up, so for those routes a right-role GET may answer 404 instead
of 200, because no real object has that id. A parameter whose made-up value would not even match
the route's pattern should be added to MADE_UP_VALUES.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import pytest
from starlette.applications import Starlette
from starlette.routing import BaseRoute, Mount, Route
from starlette.testclient import TestClient

from app import create_app, load_bundled_forms
from engine.accounts import ROLES
from engine.settings import PROJECT_ROOT, Settings
from engine.web.staff import PUBLIC
from tests.web.staff_helpers import signed_in_session

BUNDLED_SLUG = "coproduction-board-application"
#: Values for path parameters that are not a form slug; none of them names a real object.
MADE_UP_VALUES: Mapping[str, str] = {
    "int": "999999",
    "uuid": "00000000-0000-4000-8000-000000000000",
    "reference": "CPB-2222-2222",
}
MADE_UP_TEXT = "made-up-for-the-role-matrix"
WHO = ("anonymous", *ROLES)
FORBIDDEN_HEADING = "You cannot see this page"


@dataclass(frozen=True)
class StaffRoute:
    path: str
    route: Route

    @property
    def methods(self) -> tuple[str, ...]:
        return tuple(sorted((self.route.methods or {"GET"}) - {"HEAD"}))

    @property
    def needs_a_real_object(self) -> bool:
        return any(name != "slug" for name in self.route.param_convertors)

    def url(self) -> str:
        return path_values(self.path, self.route)


def path_values(path: str, route: Route) -> str:
    """Fill in a route's parameters: "/staff/forms/{slug}/x/{reference}" -> ".../<a slug>/x/CPB-2222-2222"."""

    def value(match: re.Match[str]) -> str:
        name = match.group(1)
        convertor = type(route.param_convertors[name]).__name__.removesuffix("Convertor").lower()
        if name == "slug":
            return BUNDLED_SLUG
        return MADE_UP_VALUES.get(name) or MADE_UP_VALUES.get(convertor) or MADE_UP_TEXT

    return re.sub(r"\{(\w+)(?::\w+)?\}", value, path)


def staff_routes(routes: list[BaseRoute], prefix: str = "") -> Iterator[StaffRoute]:
    for route in routes:
        if isinstance(route, Mount):
            yield from staff_routes(route.routes, prefix + route.path)
        elif isinstance(route, Route) and (prefix + route.path).startswith("/staff"):
            yield StaffRoute(prefix + route.path, route)


def declared_roles(route: StaffRoute) -> tuple[str, ...] | None:
    """The ROUTE_ROLES entry for this route in the module of its endpoint, or None if it has none."""
    module = importlib.import_module(route.route.endpoint.__module__)
    table: Mapping[str, tuple[str, ...]] = getattr(module, "ROUTE_ROLES", {})
    return table.get(route.path)


def build_app(database_url: str) -> Starlette:
    settings = Settings(
        database_url=database_url,
        forms_dir=PROJECT_ROOT / "forms",
        secret_key="role-matrix",
        secure_cookies=False,
    )
    return create_app(settings, forms=load_bundled_forms(settings))


@pytest.fixture
def app(database_url: str) -> Starlette:
    return build_app(database_url)


def test_every_staff_route_says_who_may_open_it(tmp_path: Path) -> None:
    routes = list(staff_routes(build_app(f"sqlite://{tmp_path / 'unused.sqlite3'}").routes))

    undeclared = [
        f"{route.path} (add it to ROUTE_ROLES in {route.route.endpoint.__module__})"
        for route in routes
        if declared_roles(route) is None
    ]

    assert [route.path for route in routes if route.path == "/staff/sign-in"], (
        "the staff routes are not mounted"
    )
    assert undeclared == []


def test_every_staff_route_lets_in_only_its_roles(app: Starlette) -> None:
    mismatches: list[str] = []
    with TestClient(app, follow_redirects=False, raise_server_exceptions=False) as client:
        for who in WHO:
            client.cookies.clear()
            csrf_token = _csrf_token(client)
            if who != "anonymous":
                _, session = signed_in_session(client, who)
                client.cookies.set("coform_staff", session, path="/staff")
            for route in staff_routes(app.routes):
                roles = declared_roles(route)
                if roles is None or roles == PUBLIC:
                    continue
                for method in route.methods:
                    problem = _check(client, route, method, who, roles, csrf_token)
                    if problem:
                        mismatches.append(f"{method} {route.path} as {who}: {problem}")

    assert mismatches == []


def test_pages_anyone_may_open_do_not_ask_anyone_to_sign_in(app: Starlette) -> None:
    with TestClient(app, follow_redirects=False, raise_server_exceptions=False) as client:
        public = [route for route in staff_routes(app.routes) if declared_roles(route) == PUBLIC]
        answers = {route.path: client.get(route.url()) for route in public if "GET" in route.methods}

    assert "/staff/sign-in" in answers
    assert {
        path: answer.status_code
        for path, answer in answers.items()
        if answer.status_code >= 500 or answer.headers.get("location", "").startswith("/staff/sign-in?next=")
    } == {}


def test_a_staff_post_without_a_csrf_token_is_refused(app: Starlette) -> None:
    refused: dict[str, int] = {}
    with TestClient(app, follow_redirects=False, raise_server_exceptions=False) as client:
        _csrf_token(client)
        _, session = signed_in_session(client, "admin")
        client.cookies.set("coform_staff", session, path="/staff")
        for route in staff_routes(app.routes):
            if "POST" in route.methods:
                refused[route.path] = client.post(route.url(), data={"anything": "x"}).status_code

    assert "/staff/sign-out" in refused
    assert {path: status for path, status in refused.items() if status != 403} == {}


def _check(
    client: TestClient, route: StaffRoute, method: str, who: str, roles: tuple[str, ...], csrf_token: str
) -> str | None:
    """What is wrong with the answer to `method` on `route` for `who`, or None if it is as expected."""
    url = route.url()
    data = {"csrf_token": csrf_token} if method != "GET" else None
    answer = client.request(method, url, data=data, headers={"x-csrf-token": csrf_token})
    location = answer.headers.get("location", "")
    if who == "anonymous":
        expected = "/staff/sign-in?next="
        return None if answer.status_code == 303 and location.startswith(expected) else _got(answer)
    allowed = who == "admin" or who in roles
    denied = answer.status_code == 403 and FORBIDDEN_HEADING in answer.text
    if not allowed:
        return None if denied else f"expected the 403 page, {_got(answer)}"
    if denied or location.startswith("/staff/sign-in"):
        return f"was turned away, {_got(answer)}"
    if answer.status_code >= 500:
        return _got(answer)
    if answer.headers.get("cache-control") != "no-store":
        return "a staff page must be sent with Cache-Control: no-store"
    if method == "GET":
        ok = {200, 404} if route.needs_a_real_object else {200}
        return None if answer.status_code in ok else f"expected {sorted(ok)}, {_got(answer)}"
    return None


def _got(answer: object) -> str:
    status = getattr(answer, "status_code", "?")
    location = getattr(answer, "headers", {}).get("location")
    return f"got {status}" + (f" to {location}" if location else "")


def _csrf_token(client: TestClient) -> str:
    page = client.get("/staff/sign-in")
    found = re.search(r'<meta name="csrf-token" content="([^"]+)"', page.text)
    assert found is not None, "the sign-in page carries no CSRF token"
    return found.group(1)
