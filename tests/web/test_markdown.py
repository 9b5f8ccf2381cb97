"""Author markdown is rendered, and anything that could run script is removed."""

from __future__ import annotations

import re

from engine.web.markdown import render_markdown


def test_markdown_becomes_html() -> None:
    assert render_markdown("Call **999** now") == "<p>Call <strong>999</strong> now</p>\n"


def test_raw_script_tags_are_shown_as_text_not_run() -> None:
    html = render_markdown("Hello <script>alert(1)</script>")

    assert "<script" not in html
    assert "&lt;script&gt;" in html


def test_event_handler_attributes_are_removed() -> None:
    html = render_markdown('<img src="x" onerror="alert(1)"> ![a picture](pic.png "t")')

    assert re.search(r"<[^>]*onerror", html) is None
    assert '<img src="pic.png" alt="a picture" title="t">' in html


def test_javascript_links_lose_their_address() -> None:
    html = render_markdown("[click me](javascript:alert(1)) and [help](https://example.org)")

    assert re.search(r"<a[^>]*javascript:", html) is None
    assert '<a href="https://example.org" rel="noopener noreferrer">help</a>' in html


def test_headings_below_the_page_heading_are_kept_but_h1_is_not() -> None:
    html = render_markdown("# Big\n\n## Smaller")

    assert "<h1>" not in html
    assert "<h2>Smaller</h2>" in html
