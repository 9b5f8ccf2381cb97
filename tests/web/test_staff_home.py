"""The staff home and the staff bar: who is signed in, sign-out, and links only to pages the role may open."""

from __future__ import annotations

import re

import pytest
from starlette.testclient import TestClient

from engine.accounts import ROLES, Staff
from engine.web.staff_nav import PLACES, ROUTE_ROLES, form_links, may_open, places_for
from tests.web.staff_helpers import sign_in_as

NAV_LINK = re.compile(r'<a class="staff-nav__link" href="([^"]+)"')


def nav_hrefs(html: str) -> list[str]:
    return NAV_LINK.findall(html)


def test_every_place_in_the_navigation_is_a_guarded_staff_route() -> None:
    assert [place.href for place in PLACES if place.href not in ROUTE_ROLES] == []


@pytest.mark.parametrize("role", ROLES)
def test_the_staff_bar_links_only_to_the_pages_the_role_may_open(client: TestClient, role: str) -> None:
    sign_in_as(client, role)

    home = client.get("/staff")

    expected = [place.href for place in PLACES if may_open(Staff(0, "", role), place.href)]
    assert nav_hrefs(home.text) == expected
    for href in expected:
        answer = client.get(href, follow_redirects=False)
        assert answer.status_code == 200, f"{role} was shown {href} but it answered {answer.status_code}"


def test_pages_the_role_may_not_open_are_neither_linked_nor_let_in(client: TestClient) -> None:
    sign_in_as(client, "board")

    home = client.get("/staff").text

    assert "/staff/erasure" not in home
    assert "/staff/safeguarding" not in home
    assert "/staff/forms/garden/versions" not in home
    assert client.get("/staff/erasure", follow_redirects=False).status_code == 403


def test_the_home_page_lists_each_form_with_the_pages_about_it_the_role_may_open(client: TestClient) -> None:
    sign_in_as(client, "author")

    home = client.get("/staff").text

    assert "Tell us about the garden" in home
    assert 'href="/staff/forms/garden/versions"' in home
    assert 'href="/staff/forms/garden/preview"' in home
    assert 'href="/staff/forms/garden/responses"' not in home


def test_the_bar_says_who_is_signed_in_and_signs_out_with_a_post_carrying_a_csrf_token(
    client: TestClient,
) -> None:
    sign_in_as(client, "reviewer", "sam@example.org")

    home = client.get("/staff").text

    assert "Signed in as sam@example.org (Reviewer)" in home
    sign_out = re.search(r'<form method="post" action="/staff/sign-out"[^>]*>(.*?)</form>', home, re.S)
    assert sign_out is not None
    assert 'name="csrf_token"' in sign_out.group(1)
    assert "Sign out</button>" in sign_out.group(1)


def test_the_page_open_now_is_marked_as_current_in_the_bar(client: TestClient) -> None:
    sign_in_as(client, "reviewer")

    listed = client.get("/staff/forms/garden/responses").text

    current = re.findall(r'href="([^"]+)" aria-current="page"', listed)
    assert current == ["/staff/forms"]


def test_an_author_page_about_one_form_belongs_to_the_author_section() -> None:
    admin = Staff(0, "", "admin")

    marked = [place.href for place in places_for(admin, "/staff/forms/{slug}/map") if place.current]

    assert marked == ["/staff/author"]


def test_the_sign_in_page_has_no_staff_bar(client: TestClient) -> None:
    page = client.get("/staff/sign-in").text

    assert nav_hrefs(page) == []
    assert "Signed in as" not in page


def test_admin_sees_every_place_and_every_link_for_a_form(client: TestClient) -> None:
    admin = Staff(0, "", "admin")

    assert [place.href for place in places_for(admin)] == [place.href for place in PLACES]
    assert len(form_links(admin, client.app.state.forms["garden"])) == 4  # type: ignore[attr-defined]
