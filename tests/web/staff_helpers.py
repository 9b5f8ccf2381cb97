"""Signing in as a member of staff in tests, without going through the sign-in pages.

    with TestClient(app) as client:
        reviewer = sign_in_as(client, "reviewer")     # a new account, fully signed in
        page = client.get("/staff/forms/board/responses")

The client must be open (inside `with TestClient(app)`): the account is made on the app's own
event loop and database, at the app's clock. Use one client per person for several in one test.
"""

from __future__ import annotations

import functools
import itertools
from typing import cast

from starlette.applications import Starlette
from starlette.testclient import TestClient

from engine import accounts
from engine.accounts import Staff
from engine.web.staff import COOKIE, COOKIE_PATH

_numbers = itertools.count(1)


def sign_in_as(client: TestClient, role: str, email: str | None = None) -> Staff:
    """Create an account with `role` and put its session cookie (second factor done) on `client`."""
    staff, token = signed_in_session(client, role, email)
    client.cookies.set(COOKIE, token, path=COOKIE_PATH)
    return staff


def signed_in_session(client: TestClient, role: str, email: str | None = None) -> tuple[Staff, str]:
    """Create an account with `role` and a fully signed-in session; returns it and the cookie value
    (for the cookie named engine.web.staff.COOKIE)."""
    if client.portal is None:
        raise RuntimeError("open the client first: with TestClient(app) as client: ...")
    app = cast(Starlette, client.app)
    address = email or f"{role}-{next(_numbers)}@example.org"
    staff, _ = client.portal.call(accounts.add_user, address, role)
    start = functools.partial(
        accounts.start_session, staff.id, second_factor_done=True, now=app.state.clock()
    )
    return staff, client.portal.call(start)
