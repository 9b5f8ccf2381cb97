"""The Jinja environment: autoescaped templates, the markdown filter and the furniture words.

Templates call `t("continue")` for page furniture in the page's language (the `lang` variable),
`text(some_text)` for an author's `Text`, and `csrf_input()` for a hidden field holding a fresh
CSRF token (`csrf_token()` gives the bare token, for htmx requests that send no form).
"""

from __future__ import annotations

from collections.abc import MutableMapping
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import jinja2
from markupsafe import Markup
from starlette.datastructures import MultiDict
from starlette.requests import Request
from starlette.templating import Jinja2Templates

from engine.definition import Text
from engine.messages import furniture
from engine.web.markdown import render_markdown
from engine.web.security import CSRF_FIELD, CsrfTokens
from engine.web.views import text_direction

TEMPLATES_DIR = Path(__file__).resolve().parent.parent.parent / "templates"


def furniture_words(key: str, language: str, **params: object) -> str:
    """Furniture in `language`: ("section_progress", "en", number=2, total=4) -> "Section 2 of 4".

    All the wording lives in engine.messages; this is the name respond.py and `t()` call it by.
    """
    return furniture(key, language, **params)


def image_src(src: str) -> str:
    """Where an author's image is served: "logo.png" -> "/static/forms/logo.png"; "/x.png" stays.

    Form images live in static/forms/; anything else would be blocked by the CSP's img-src anyway.
    """
    if src.startswith(("/", "data:")):
        return src
    return f"/static/forms/{src}"


class _Environment(jinja2.Environment):
    """A Jinja environment whose templates see its globals as one plain dict.

    Jinja hands each template a ChainMap over the environment's globals, so later changes to them
    show everywhere; on every `{% from ... import %}` it then takes the set difference of the
    page's global names and the imported template's key by key through the ChainMap (about nine
    imports per question page). The globals here are all set in `make_templates`, before any
    template is loaded, so a plain copy per template sees the same names and the difference is
    one C-level set operation.
    """

    def make_globals(self, d: MutableMapping[str, Any] | None) -> MutableMapping[str, Any]:
        return {**self.globals, **(d or {})}


def this_page_with(request: Request, **params: str) -> str:
    """This page's address with query parameters set, as a link: on /forms/a/p?change=1,
    lang="cy" gives "/forms/a/p?change=1&lang=cy" (a parameter already there is replaced)."""
    query = MultiDict(request.query_params.multi_items())
    query.update(params)
    return f"{request.url.path}?{urlencode(query.multi_items())}"


def make_templates(
    csrf: CsrfTokens, directory: Path = TEMPLATES_DIR, *, auto_reload: bool = False
) -> Jinja2Templates:
    """The app's templates, with strict undefined variables so a typo fails loudly in tests.

    Each template is compiled once; with `auto_reload` (development) Jinja instead checks every template
    file for changes on every render, which costs a stat call per file per page.
    """
    environment = _Environment(
        loader=jinja2.FileSystemLoader(directory),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        auto_reload=auto_reload,
    )

    @jinja2.pass_context
    def words(context: jinja2.runtime.Context, key: str, **params: Any) -> str:
        return furniture_words(key, context.get("lang") or "en", **params)

    @jinja2.pass_context
    def author_text(context: jinja2.runtime.Context, value: Text | None) -> str:
        if value is None:
            return ""
        return value.get(context.get("lang"), bool(context.get("easy_read")))

    @jinja2.pass_context
    def csrf_input(context: jinja2.runtime.Context) -> Markup:
        request: Request = context["request"]
        token = csrf.token_for(request)
        return Markup('<input type="hidden" name="{}" value="{}">').format(CSRF_FIELD, token)

    @jinja2.pass_context
    def csrf_value(context: jinja2.runtime.Context) -> str:
        return csrf.token_for(context["request"])

    environment.globals.update(
        t=words,
        csrf_token=csrf_value,
        text=author_text,
        csrf_input=csrf_input,
        text_direction=text_direction,
        image_src=image_src,
        this_page_with=this_page_with,
    )
    environment.filters["markdown"] = render_markdown
    return Jinja2Templates(env=environment)
