"""The Jinja environment: autoescaped templates, the markdown filter and the furniture words.

Templates call `t("continue")` for page furniture in the page's language (the `lang` variable),
`text(some_text)` for an author's `Text`, and `csrf_input()` for a hidden field holding a fresh
CSRF token (`csrf_token()` gives the bare token, for htmx requests that send no form).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup
from starlette.requests import Request
from starlette.templating import Jinja2Templates

from engine.definition import Text
from engine.messages import furniture
from engine.web.markdown import render_markdown
from engine.web.security import CSRF_FIELD, CsrfTokens
from engine.web.views import text_direction

TEMPLATES_DIR = Path(__file__).resolve().parent.parent.parent / "templates"

#: Furniture that only the web pages use and engine/messages.py does not hold yet (English only).
#: engine.messages is asked first; a key found there wins, so these can move there one by one.
_WEB_FURNITURE: Mapping[str, str] = {
    "service_name": "Council forms",
    "exit_this_page_hint": "Or press Shift 3 times to leave this page quickly",
    "select_option": "Select an option",
    "ranking_position": "Position for {item}",
    "consent_agree": "I understand and agree",
    "file_limits": "Each file must be smaller than {size}.",
    "file_types": "Files must be: {types}.",
    "warning": "Warning",
    "preview": "Preview",
    "preview_notice": "This is a preview of every page. You cannot send answers from here.",
    "preview_page": "Page {number}",
    "preview_exit_page": "This page ends the form.",
    "preview_repeats": "Asked once for each {item}, from {min} to {max} times.",
    "preview_questions": "Shown only to some people, depending on their earlier answers.",
    "help_now_title": "If you need help now",
    "easy_read_off": "Standard version",
    "accessibility": "Accessibility statement",
    "privacy": "Privacy",
    "forms_heading": "Forms you can fill in",
    "forms_none": "There are no forms to fill in at the moment.",
    "who_for": "Who it is for",
    "preview_link": "Preview all pages of {title}",
    "error_400_title": "Sorry, there is a problem with your request",
    "error_400_body": "Go back and try again. If it keeps happening, close your browser and start again.",
    "error_403_title": "Sorry, we could not accept that",
    "error_403_body": (
        "This can happen if the page was open for a long time or in another browser. "
        "Go back, refresh the page and try again."
    ),
    "error_404_title": "Page not found",
    "error_404_body": (
        "If you typed the web address, check it is correct. If you pasted it, check you copied all of it."
    ),
    "error_405_title": "Sorry, that did not work",
    "error_405_body": "This page cannot be used in that way. Go back and use the buttons on the page.",
    "error_413_title": "Sorry, what you sent was too big",
    "error_413_body": "Go back and try again with smaller or fewer files.",
    "error_500_title": "Sorry, there is a problem with the service",
    "error_500_body": "Try again later.",
    "error_home": "Go to the list of forms",
}


def furniture_words(key: str, language: str, **params: object) -> str:
    """Furniture in `language`: ("section_progress", "en", number=2, total=4) -> "Section 2 of 4"."""
    try:
        return furniture(key, language, **params)
    except KeyError:
        return _WEB_FURNITURE[key].format_map(params)


def image_src(src: str) -> str:
    """Where an author's image is served: "logo.png" -> "/static/forms/logo.png"; "/x.png" stays.

    Form images live in static/forms/; anything else would be blocked by the CSP's img-src anyway.
    """
    if src.startswith(("/", "data:")):
        return src
    return f"/static/forms/{src}"


def make_templates(csrf: CsrfTokens, directory: Path = TEMPLATES_DIR) -> Jinja2Templates:
    """The app's templates, with strict undefined variables so a typo fails loudly in tests."""
    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader(directory),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
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
    )
    environment.filters["markdown"] = render_markdown
    return Jinja2Templates(env=environment)
