"""Every response carries the security headers, whatever made it."""

from __future__ import annotations

import pytest
from starlette.testclient import TestClient

EXPECTED_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; "
    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'"
)


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/forms/garden/preview",
        "/forms/garden/privacy",
        "/accessibility",
        "/no-such-page",
        "/static/coform.css",
    ],
)
def test_every_response_carries_the_security_headers(client: TestClient, path: str) -> None:
    response = client.get(path)

    assert response.headers["content-security-policy"] == EXPECTED_CSP
    assert response.headers["referrer-policy"] == "same-origin"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert "camera=()" in response.headers["permissions-policy"]
    assert "HX-Request" in response.headers["vary"]


def test_pages_have_no_inline_script_or_style(client: TestClient) -> None:
    html = client.get("/forms/garden/preview").text

    assert "<style" not in html
    assert " style=" not in html
    assert "<script>" not in html
    assert " on" + "click=" not in html
    for script_tag in html.split("<script")[1:]:
        assert script_tag.lstrip().startswith('src="/static/')


def test_htmx_is_told_not_to_inject_its_indicator_style(client: TestClient) -> None:
    html = client.get("/").text

    assert '<meta name="htmx-config" content=\'{"includeIndicatorCSS": false' in html
    assert '<script src="/static/vendor/htmx-4.0.1.min.js" defer></script>' in html
