"""Small helpers for the author page tests: a CSRF token from a page, and the forms they use."""

from __future__ import annotations

import re

from starlette.testclient import TestClient


def csrf_token(client: TestClient, path: str = "/staff/author/upload") -> str:
    """The CSRF token a page carries in its <meta name="csrf-token">."""
    found = re.search(r'<meta name="csrf-token" content="([^"]+)"', client.get(path).text)
    if found is None:
        raise AssertionError(f"{path} carries no CSRF token")
    return found.group(1)


def posting_forms(html: str) -> list[str]:
    """The action of every form on a page that posts."""
    return re.findall(r'<form method="post" action="([^"]+)"', html)
