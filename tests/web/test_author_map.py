"""The form map page: the drawing and, for screen-reader users, the same map as nested lists."""

from __future__ import annotations

import re
from html import unescape

from starlette.testclient import TestClient

from engine.formmap import build_map, edge_sentence
from tests.web.staff_helpers import sign_in_as


def test_the_map_page_draws_the_form_and_lists_every_page_and_where_it_leads(client: TestClient) -> None:
    sign_in_as(client, "author")
    form = client.app.state.forms["garden"]  # type: ignore[attr-defined]

    page = client.get("/staff/forms/garden/map")
    text = unescape(page.text)

    assert page.status_code == 200
    assert re.search(r'<svg [^>]*role="img" aria-labelledby="form-map-title"', page.text)
    assert '<title id="form-map-title">Map of Tell us about the garden' in text
    for mapped in build_map(form).pages:
        assert f"<strong>{mapped.label}</strong> (page {mapped.id})" in text
    for edge in build_map(form).edges:
        sentence = edge_sentence(edge)
        assert f"<li>{sentence[0].upper()}{sentence[1:]}</li>" in text


def test_the_map_of_an_unknown_form_is_not_found(client: TestClient) -> None:
    sign_in_as(client, "author")

    assert client.get("/staff/forms/no-such-form/map").status_code == 404
