"""Author markdown to safe HTML: markdown-it with raw HTML off, then an nh3 allow-list.

render_markdown("Call **01865 000000**") == Markup("<p>Call <strong>01865 000000</strong></p>\\n")

Raw HTML is already escaped by markdown-it; nh3 is the second wall, removing anything a future
markdown plugin or a crafted link might let through (script, event handlers, javascript: URLs).

The same author text (help boxes, page bodies) is shown on page after page and never changes within
a form version, so each rendering is remembered, by its source text, in a bounded cache.
"""

from __future__ import annotations

from functools import lru_cache

import nh3
from markdown_it import MarkdownIt
from markupsafe import Markup

_MARKDOWN = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})

# No h1: the page's own heading is its only h1. No tables, forms or media beyond images.
ALLOWED_TAGS = frozenset(
    {"p", "br", "hr", "strong", "em", "a", "ul", "ol", "li", "h2", "h3", "h4", "blockquote", "code", "pre"}
    | {"img"}
)
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "img": {"src", "alt", "title"}, "ol": {"start"}}
ALLOWED_SCHEMES = frozenset({"https", "http", "mailto", "tel"})
#: Distinct texts remembered: every form's author markdown in every language fits many times over;
#: text with a respondent's piped answers in it only ever pushes out the least recently shown.
CACHED_TEXTS = 2048


@lru_cache(maxsize=CACHED_TEXTS)
def render_markdown(source: str) -> Markup:
    """Render author-written markdown to sanitised HTML, safe to put in a page unescaped."""
    html = _MARKDOWN.render(source)
    cleaned = nh3.clean(
        html,
        tags=set(ALLOWED_TAGS),
        attributes={tag: set(names) for tag, names in ALLOWED_ATTRIBUTES.items()},
        url_schemes=set(ALLOWED_SCHEMES),
        link_rel="noopener noreferrer",
    )
    return Markup(cleaned)  # noqa: S704 - nh3 has just sanitised it
