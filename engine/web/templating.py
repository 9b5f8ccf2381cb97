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
    # The respondent's journey (engine/web/respond.py)
    "start_continue": "Continue where you left off",
    "start_again": "Start again",
    "start_again_hint": "Starting again forgets the answers you have given so far.",
    "contact": "Contact",
    "csrf_notice": (
        "This page was open for too long, or was opened in another browser, so we could not save it. "
        "Check your answers on this page and press the button again."
    ),
    "csrf_notice_start": "This page was open for too long. Press the button again to start.",
    "csrf_notice_submit": (
        "This page was open for too long, so your answers were not sent yet. "
        "Check them and press the button again."
    ),
    "important": "Important",
    "form_closed_title": "This form has closed",
    "form_closed_body": "This form closed on {date}. You can no longer send answers.",
    "form_closed_draft": "Your saved answers cannot be sent now. Contact the team if you need help.",
    "form_not_open_title": "This form is not open yet",
    "form_not_open_body": "You can fill in this form from {date}.",
    "form_changed_title": "This form has changed since you started",
    "form_changed_body": (
        "We changed the questions after you started, so we cannot carry on with your saved answers. "
        "Sorry about that. You can start again."
    ),
    "saved_title": "Your answers have been saved",
    "saved_body": (
        "To come back to this form, use this link. It works for {days} days after your last change."
    ),
    "saved_link_label": "Your link to come back",
    "saved_warning": "Anyone with this link can see your answers. Keep it safe and do not share it.",
    "saved_continue": "Continue filling in the form",
    "resume_expired_title": "This link has expired or is not right",
    "resume_expired_body": (
        "Links to saved answers work for {days} days after the last change, and stop working once the "
        "answers are sent. Check you copied all of the link, or start the form again."
    ),
    "add_another_question": "Do you want to add another {item}?",
    "add_another_required": "Select yes if you want to add another {item}",
    "items_none": "You have not added any yet.",
    "items_max": "You cannot add more than {max}.",
    "too_few_items": "Add at least {count} {item}",
    "remove_item_question": "Are you sure you want to remove {item} {number}?",
    "remove_item_required": "Select yes if you want to remove this {item}",
    "not_answered": "Not answered",
    "send_heading": "Now send your answers",
    "send_declaration": "By sending, you confirm that your answers are correct, as far as you know.",
    "send": "Send",
    "sent_title": "Your answers have been sent",
    "answers_copy_title": "A copy of your answers",
    "answers_copy_intro": "Sent on {date}. Your reference number is {reference}.",
    "print_this_page": "Print this page",
    "task_list_intro": "Fill in each section. You can come back to a section to change it.",
    "check_answers_task": "Check your answers and send",
    "answers_saved": "Your answers on this page have been saved",
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
