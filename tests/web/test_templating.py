"""The template helpers: links to the same page with a changed query."""

from __future__ import annotations

from starlette.requests import Request

from engine.web.templating import this_page_with


def request_for(path: str, query: bytes) -> Request:
    scope = {
        "type": "http",
        "method": "GET",
        "scheme": "http",
        "server": ("testserver", 80),
        "path": path,
        "query_string": query,
        "headers": [],
    }
    return Request(scope)


def test_a_link_to_this_page_keeps_the_other_parameters_and_replaces_the_one_set() -> None:
    request = request_for("/forms/board/name_page", b"lang=en&change=1")

    assert this_page_with(request, lang="cy") == "/forms/board/name_page?change=1&lang=cy"


def test_a_link_to_this_page_without_a_query_gets_just_the_parameter() -> None:
    assert this_page_with(request_for("/forms/board", b""), easy="1") == "/forms/board?easy=1"


def test_the_parameter_values_are_encoded() -> None:
    request = request_for("/forms/board", b"q=a+b")

    assert this_page_with(request, easy="1 & 2") == "/forms/board?q=a+b&easy=1+%26+2"
